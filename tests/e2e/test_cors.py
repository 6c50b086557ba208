"""CORS (docs/design/digest.md §6 row 26): preflights are answered without auth, only for
SANDBOX_CORS_ORIGINS.

Browsers send a preflight without credentials, so the answer comes before the Digest gate and the
control token; the default allows no origin at all.
"""

from __future__ import annotations

import pytest

from sandbox.testing.server import SandboxServer
from tests.e2e.digest_helpers import ORDER, STATUSES, RawResponse, send
from tests.support.constants import GOLDEN_GUID
from tests.support.servers import ServerPool

FRONTEND = "http://localhost:3000"
PREFLIGHT_POST = [
    ("Access-Control-Request-Method", "POST"),
    ("Access-Control-Request-Headers", "authorization, content-type, x-client-id"),
]


@pytest.fixture
def open_to_frontend(server_pool: ServerPool) -> SandboxServer:
    return server_pool.get(cors_origins=(FRONTEND,), control_token="ctl")


@pytest.fixture
def closed(server: SandboxServer) -> SandboxServer:
    """The session server: no SANDBOX_CORS_ORIGINS."""
    return server


def preflight(server: SandboxServer, origin: str, target: str = ORDER, locale: str = "en"):
    headers = [("Origin", origin), ("Accept-Language", locale), *PREFLIGHT_POST]
    return send(server, "OPTIONS", target, headers, partner_headers=False)


def assert_refused(response: RawResponse, message: str) -> None:
    assert response.status == 403
    assert response.header("Content-Type") == "application/json"
    assert response.json == {
        "data": {"error": "cors_preflight_refused"},
        "success": False,
        "code": 403,
        "message": message,
    }
    assert response.header("Access-Control-Allow-Origin") is None
    assert response.header_all("WWW-Authenticate") == []


def test_preflight_from_allowed_origin_2xx_without_auth_or_challenge(open_to_frontend: SandboxServer) -> None:
    response = preflight(open_to_frontend, FRONTEND)
    assert response.status == 200
    assert response.header("Access-Control-Allow-Origin") == FRONTEND
    assert "POST" in response.header("Access-Control-Allow-Methods")
    assert response.header("Access-Control-Allow-Headers") == "authorization, content-type, x-client-id"
    assert response.header_all("WWW-Authenticate") == []


def test_preflight_to_control_api_needs_no_token(open_to_frontend: SandboxServer) -> None:
    response = preflight(open_to_frontend, FRONTEND, "/_sandbox/reset")
    assert response.status == 200
    assert response.header("Access-Control-Allow-Origin") == FRONTEND


def test_preflight_from_other_origin_refused_in_envelope(open_to_frontend: SandboxServer) -> None:
    response = preflight(open_to_frontend, "http://evil.example")
    assert_refused(response, "CORS preflight refused (origin); allow the origin with SANDBOX_CORS_ORIGINS.")


def test_default_allows_no_origin(closed: SandboxServer) -> None:
    response = preflight(closed, FRONTEND, locale="tr")
    assert_refused(
        response, "Bu tarayıcı isteğine CORS izni yok (origin); SANDBOX_CORS_ORIGINS ayarına bakın."
    )


def test_simple_request_from_allowed_origin_exposes_digest_headers(open_to_frontend: SandboxServer) -> None:
    response = send(open_to_frontend, "GET", STATUSES, [("Origin", FRONTEND)])
    assert response.status == 401
    assert response.header("Access-Control-Allow-Origin") == FRONTEND
    exposed = {name.strip().lower() for name in response.header("Access-Control-Expose-Headers").split(",")}
    assert {"www-authenticate", "authentication-info", "retry-after"} <= exposed


def test_request_from_unlisted_origin_gets_no_cors_headers(closed: SandboxServer) -> None:
    response = send(closed, "GET", f"{ORDER}?guid={GOLDEN_GUID}", [("Origin", FRONTEND)])
    assert response.header("Access-Control-Allow-Origin") is None


def test_wildcard_allows_any_origin(server_pool: ServerPool) -> None:
    response = preflight(server_pool.get(cors_origins=("*",)), "http://anything.test:5173")
    assert response.status == 200
    assert response.header("Access-Control-Allow-Origin") == "*"
