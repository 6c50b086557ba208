"""Auth coverage (issue 7, part 2, item 3): every route the app registers is behind the right lock.

The routes come from `create_app(...).routes` (included routers flattened, mounts and non-OpenAPI
routes included), so a new route is checked without editing this file:

- every `/partner/` route refuses missing (401 authentication_required with a Digest challenge), wrong
  (401 invalid_credentials) and replayed (the same Authorization header, same nc, twice: 401
  nonce_count_reused) Digest credentials;
- every `/_sandbox/` route follows the control-token rule on a server with `control_token="tok"`: no
  token is 401 control_token_required (a browser GET asking for HTML is sent to the login page
  instead), a wrong one 403 control_token_invalid, the right one passes; the only open ones are the
  login page and Swagger's static files;
- any route outside both prefixes must be on an explicit allow-list.
"""

from __future__ import annotations

import re

import pytest

from sandbox.testing.server import SandboxServer
from tests.e2e.digest_helpers import (
    RawResponse,
    answer,
    assert_failure_envelope,
    fetch_challenge,
    header,
    send,
)
from tests.reliability.fuzz_support import app_instance, registered_routes
from tests.support.constants import CONTROL_TOKEN

ROUTES = registered_routes(app_instance())


def is_control(path: str) -> bool:
    """What the control gate guards: `/_sandbox` itself and everything under it."""
    return path == "/_sandbox" or path.startswith("/_sandbox/")


PARTNER = [(m, p) for p, methods in ROUTES if p.startswith("/partner/") for m in sorted(methods or ())]
CONTROL = [(m, p) for p, methods in ROUTES if is_control(p) and methods for m in sorted(methods)]
# Routes outside /partner and /_sandbox that are open on purpose: the landing `/` (a map of the other
# pages, nothing of the world), the API docs, and the 3-D Secure bank page a card holder's browser
# opens (its token is the capability).
OPEN_OUTSIDE = {
    ("/", "GET"),
    ("/docs", "GET"),
    ("/openapi.json", "GET"),
    ("/pay/{token}", "GET"),
    ("/pay/{token}", "POST"),
    ("/pay/{token}/callback/{result}", "GET"),
}
# The control API's open exceptions (sandbox/control/protection.py): Swagger's assets, so /docs
# renders; the login page is answered by the gate itself and is not a route.
OPEN_CONTROL_MOUNTS = {"/_sandbox/static/swagger"}
LOGIN = "/_sandbox/login"
# Plausible values for path parameters (an unknown name falls back to "1").
PATH_VALUES = {
    "external_order_id": "ALS8HEVP",
    "order_ref": "ALS8HEVP",
    "ref": "ALS8HEVP",
    "external_customer_id": "auth-probe",
    "customer_external_id": "auth-probe",
    "external_id": "auth-probe",
    "partner": "demo",
    "flow": "buy-cash",
    "token": "A" * 32,
    "result": "success",
    "name": "dashboard.css",
}
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def concrete(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda match: PATH_VALUES.get(match[1], "1"), path)


def ids(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{method} {path}" for method, path in pairs]


def test_every_route_is_partner_control_or_allowed() -> None:
    outside = {
        (path, method)
        for path, methods in ROUTES
        if not path.startswith("/partner/") and not is_control(path)
        for method in sorted(methods or {"MOUNT"})
    }
    assert outside == OPEN_OUTSIDE
    mounts = {path for path, methods in ROUTES if methods is None}
    assert mounts == OPEN_CONTROL_MOUNTS
    assert len(PARTNER) >= 30 and len(CONTROL) >= 50  # the walk found the included routers


# --- /partner: Digest ----------------------------------------------------------------------------


def _partner(server: SandboxServer, method: str, target: str, auth: str | None) -> RawResponse:
    headers = [("Authorization", auth)] if auth else []
    body = b""
    if method in BODY_METHODS:
        headers.append(("Content-Type", "application/json"))
        body = b"{}"
    return send(server, method, target, headers, body)


@pytest.mark.parametrize(("method", "path"), PARTNER, ids=ids(PARTNER))
def test_partner_route_refuses_missing_wrong_and_replayed_digest(
    token_server: SandboxServer, method: str, path: str
) -> None:
    target = concrete(path)

    missing = _partner(token_server, method, target, None)
    assert_failure_envelope(missing, 401, "authentication_required")
    assert (missing.header("WWW-Authenticate") or "").startswith("Digest "), missing.headers

    wrong = answer(fetch_challenge(token_server), method=method, uri=target, password="not-the-secret")
    refused = _partner(token_server, method, target, header(wrong))
    assert_failure_envelope(refused, 401, "invalid_credentials")

    right = header(answer(fetch_challenge(token_server), method=method, uri=target, nc="00000001"))
    first = _partner(token_server, method, target, right)
    assert first.status not in (400, 401), first.body
    replayed = _partner(token_server, method, target, right)
    assert_failure_envelope(replayed, 401, "nonce_count_reused")
    assert "stale=true" in (replayed.header("WWW-Authenticate") or ""), replayed.headers


# --- /_sandbox: the control token ----------------------------------------------------------------


def _control(
    server: SandboxServer, method: str, target: str, token: str | None, accept: str = "application/json"
) -> RawResponse:
    headers = [("Accept", accept)]
    if token is not None:
        headers.append(("Authorization", f"Bearer {token}"))
    body = b""
    if method in BODY_METHODS:
        form = target.startswith("/_sandbox/ui/")
        headers.append(("Content-Type", "application/x-www-form-urlencoded" if form else "application/json"))
        body = b"" if form else b"{}"
    return send(server, method, target, headers, body, partner_headers=False)


@pytest.mark.parametrize(("method", "path"), CONTROL, ids=ids(CONTROL))
def test_control_route_needs_the_token(token_server: SandboxServer, method: str, path: str) -> None:
    target = concrete(path)

    missing = _control(token_server, method, target, None)
    assert_failure_envelope(missing, 401, "control_token_required")
    assert missing.header("WWW-Authenticate") == 'Bearer realm="minted-sandbox control"'
    if method == "GET":
        browser = _control(token_server, method, target, None, accept="text/html")
        assert browser.status == 303, browser.body
        assert (browser.header("Location") or "").startswith(f"{LOGIN}?next="), browser.headers

    wrong = _control(token_server, method, target, "not-the-token")
    assert_failure_envelope(wrong, 403, "control_token_invalid")

    # Partner Digest credentials never open it (any other scheme counts as no token).
    digest = header(answer(fetch_challenge(token_server), method=method, uri=target))
    with_digest = send(token_server, method, target, [("Authorization", digest)], partner_headers=False)
    assert with_digest.status == 401, with_digest.body

    right = _control(token_server, method, target, CONTROL_TOKEN)
    assert right.status not in (401, 403), (right.status, right.body[:300])


def test_only_the_login_page_and_swagger_assets_are_open(token_server: SandboxServer) -> None:
    login = send(token_server, "GET", LOGIN, partner_headers=False)
    assert login.status == 200 and b"<form" in login.body
    asset = send(token_server, "GET", "/_sandbox/static/swagger/swagger-ui.css", partner_headers=False)
    assert asset.status == 200
    # An unknown control path is locked too (the gate runs before routing) ...
    unknown = send(token_server, "GET", "/_sandbox/not-a-route", partner_headers=False)
    assert_failure_envelope(unknown, 401, "control_token_required")
    # ... and the open static prefix does not reach past itself.
    for sneaky in (
        "/_sandbox/static/../state",
        "/_sandbox/static/%2e%2e/state",
        "/_sandbox/static/..%2Fstate",
    ):
        response = send(token_server, "GET", sneaky, partner_headers=False)
        assert response.status in (401, 404), (sneaky, response.status)
        assert b'"seed"' not in response.body
    for outside in ("/docs", "/openapi.json"):
        assert send(token_server, "GET", outside, partner_headers=False).status == 200
