"""docs/design/digest.md §6 rows 7-16, 26, 27: requests, httpx, urllib and hand-built headers against a
real server.

Exchanges are counted on the client side: `response.history` for requests (its Digest retry is kept
there), an event hook for httpx (it fires once per request on the wire, retries included).
"""

from __future__ import annotations

import asyncio
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import requests
from requests.auth import HTTPDigestAuth

from sandbox.testing.server import SandboxServer
from tests.e2e.digest_helpers import (
    ORDER,
    STATUSES,
    answer,
    assert_failure_envelope,
    assert_fresh_challenge,
    authorization,
    fetch_challenge,
    header,
    parse_challenge,
    parse_params,
    send,
)
from tests.support.constants import DEMO, GOLDEN_GUID, PARTNER_HEADERS
from tests.support.servers import dedicated_server


def _sent(response: requests.Response) -> dict[str, str]:
    value = response.request.headers["Authorization"]
    assert value.startswith("Digest ")
    return parse_params(value.removeprefix("Digest "))


@pytest.fixture
def expiring_server(tmp_path: Path) -> Iterator[SandboxServer]:
    """Its own nonce clock, moved by the test: the shared session server's clock is never touched."""
    with dedicated_server(tmp_path, orders=0, customers=1) as running:
        yield running


# --- rows 7-11: python-requests --------------------------------------------------------------------


def test_requests_get_two_exchanges_quoted_qop_200(server: SandboxServer) -> None:
    response = requests.get(
        server.url + STATUSES, auth=HTTPDigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=10
    )
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert 'qop="auth"' in response.request.headers["Authorization"]


def test_requests_post_json_two_exchanges_returns_order_200(server: SandboxServer) -> None:
    response = requests.post(
        server.url + ORDER,
        json={"guid": GOLDEN_GUID},
        auth=HTTPDigestAuth(*DEMO),
        headers=PARTNER_HEADERS,
        timeout=10,
    )
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert response.json()["data"]["guid"] == GOLDEN_GUID


def test_requests_session_three_gets_four_exchanges_nc_pre_sent(
    session: requests.Session, server: SandboxServer
) -> None:
    responses = [session.get(server.url + STATUSES, timeout=10) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    # 2 + 1 + 1 exchanges: calls 2 and 3 are pre-authorised, with no 401 in between.
    assert [len(r.history) for r in responses] == [1, 0, 0]
    sent = [_sent(r) for r in responses]
    assert [params["nc"] for params in sent] == ["00000001", "00000002", "00000003"]
    assert len({params["nonce"] for params in sent}) == 1


def test_requests_session_expired_nonce_stale_401_then_retry_200(expiring_server: SandboxServer) -> None:
    with requests.Session() as http:
        http.auth = HTTPDigestAuth(*DEMO)
        http.headers.update(PARTNER_HEADERS)
        first = http.get(expiring_server.url + STATUSES, timeout=10)
        assert first.status_code == 200
        expiring_server.sandbox.nonce_clock.advance(expiring_server.settings.digest_nonce_ttl + 1)
        second = http.get(expiring_server.url + STATUSES, timeout=10)
    assert second.status_code == 200
    [refused] = second.history
    assert _sent(refused)["nonce"] == _sent(first)["nonce"] and _sent(refused)["nc"] == "00000002"
    assert refused.status_code == 401 and refused.json()["data"]["error"] == "nonce_expired"
    assert parse_challenge(refused.headers["WWW-Authenticate"]).stale
    assert _sent(second)["nonce"] != _sent(first)["nonce"] and _sent(second)["nc"] == "00000001"


def test_requests_wrong_password_and_unknown_user_same_401_body(server: SandboxServer) -> None:
    url = server.url + STATUSES
    wrong = requests.get(url, auth=HTTPDigestAuth("demo", "wrong"), headers=PARTNER_HEADERS, timeout=10)
    unknown = requests.get(
        url, auth=HTTPDigestAuth("nobody", "demo-secret"), headers=PARTNER_HEADERS, timeout=10
    )
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert len(wrong.history) == len(unknown.history) == 1
    assert wrong.content == unknown.content
    assert wrong.json()["data"]["error"] == "invalid_credentials"


@pytest.mark.parametrize(
    ("server_fixture", "used"),
    [("sha256_first_server", "MD5"), ("md5_first_server", "SHA-256")],
    ids=["sha256-md5", "md5-sha256"],
)
def test_requests_two_challenge_lines_answers_last_line_200(
    request: pytest.FixtureRequest, server_fixture: str, used: str
) -> None:
    target: SandboxServer = request.getfixturevalue(server_fixture)
    response = requests.get(
        target.url + STATUSES, auth=HTTPDigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=10
    )
    assert response.status_code == 200
    assert _sent(response)["algorithm"] == used


# --- rows 12-13: httpx -----------------------------------------------------------------------------


def _recorder(seen: list[str | None]) -> Callable[[httpx.Request], None]:
    """A request hook keeping each exchange's Authorization as sent: httpx's Digest flow re-sends the
    same Request object, so the header must be copied when the hook runs."""

    def record(request: httpx.Request) -> None:
        seen.append(request.headers.get("Authorization"))

    return record


def _recording_client(base_url: str, seen: list[str | None]) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        auth=httpx.DigestAuth(*DEMO),
        headers=PARTNER_HEADERS,
        event_hooks={"request": [_recorder(seen)]},
    )


def test_httpx_client_get_two_exchanges_unquoted_md5_and_qop_200(server: SandboxServer) -> None:
    seen: list[str | None] = []
    with _recording_client(server.url, seen) as http:
        response = http.get(STATUSES)
    assert response.status_code == 200
    assert len(seen) == 2 and seen[0] is None
    value = seen[1] or ""
    assert "algorithm=MD5" in value and "qop=auth" in value and '"MD5"' not in value and '"auth"' not in value


def test_httpx_client_post_json_returns_order_200(server: SandboxServer) -> None:
    seen: list[str | None] = []
    with _recording_client(server.url, seen) as http:
        response = http.post(ORDER, json={"guid": GOLDEN_GUID})
    assert response.status_code == 200
    assert len(seen) == 2
    assert response.json()["data"]["guid"] == GOLDEN_GUID


def test_httpx_async_twenty_concurrent_gets_pre_sent_all_200(server: SandboxServer) -> None:
    seen: list[str | None] = []
    sync_record = _recorder(seen)

    async def record(request: httpx.Request) -> None:
        sync_record(request)

    async def run() -> list[httpx.Response]:
        auth = httpx.DigestAuth(*DEMO)
        hooks = {"request": [record]}
        async with httpx.AsyncClient(
            base_url=server.url, auth=auth, headers=PARTNER_HEADERS, event_hooks=hooks
        ) as http:
            first = await http.get(STATUSES)
            return [first, *await asyncio.gather(*(http.get(STATUSES) for _ in range(20)))]

    responses = asyncio.run(run())
    assert [r.status_code for r in responses] == [200] * 21
    # 2 for the first request, then no 401 retries: every out-of-order nc fitted the window (§4.2).
    assert len(seen) == 22
    sent = [parse_params((value or "").removeprefix("Digest ")) for value in seen[1:]]
    assert sorted(int(params["nc"], 16) for params in sent) == list(range(1, 22))
    assert len({params["nonce"] for params in sent}) == 1


# --- row 14: urllib --------------------------------------------------------------------------------


def _urllib_get(url: str) -> int:
    handler = urllib.request.HTTPDigestAuthHandler(urllib.request.HTTPPasswordMgrWithDefaultRealm())
    handler.add_password(None, url, *DEMO)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), handler)
    with opener.open(urllib.request.Request(url, headers=PARTNER_HEADERS), timeout=10) as response:
        return response.status


def test_urllib_digest_handler_md5_only_server_200(server: SandboxServer) -> None:
    assert _urllib_get(server.url + STATUSES) == 200


def test_urllib_digest_handler_md5_first_of_two_lines_200(md5_first_server: SandboxServer) -> None:
    assert _urllib_get(md5_first_server.url + STATUSES) == 200


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="urllib learnt SHA-256 in Python 3.14 (gh-128192)")
def test_urllib_digest_handler_sha256_first_line_raises_value_error(
    sha256_first_server: SandboxServer,
) -> None:
    # A documented client limitation (docs/design/digest.md §2.1, §6 row 14), not a server bug: urllib <= 3.13
    # takes the first challenge line only and knows MD5 and SHA-1.
    with pytest.raises(ValueError, match="SHA-256"):
        _urllib_get(sha256_first_server.url + STATUSES)


# --- rows 15-16: hand-built headers ----------------------------------------------------------------


def test_hand_built_legacy_header_real_nonce_200(server: SandboxServer) -> None:
    params = answer(fetch_challenge(server), qop=None)
    assert set(params) == {"username", "realm", "nonce", "uri", "response", "opaque", "algorithm"}
    response = send(server, "GET", STATUSES, authorization(header(params)))
    assert response.status == 200
    assert response.json["success"] is True
    assert response.header("Authentication-Info") is None


def test_docs_literal_example_header_401_with_challenge(server: SandboxServer) -> None:
    literal = 'Digest username=guest, realm="test", nonce="2", uri="/uri", response="***"'
    response = send(server, "GET", STATUSES, authorization(literal))
    assert_failure_envelope(response, 401, "invalid_credentials")
    assert_fresh_challenge(response, previous_nonce="2")


# Row 26 (CORS preflight without auth) lives in test_cors.py, with a server that allows an origin.


# --- row 27: malformed JSON ------------------------------------------------------------------------

MALFORMED = b'{"guid": "896AE1AC-'
JSON_TYPE = [("Content-Type", "application/json")]


def test_post_malformed_json_without_auth_401_before_body(server: SandboxServer) -> None:
    response = send(server, "POST", ORDER, JSON_TYPE, MALFORMED)
    assert_failure_envelope(response, 401, "authentication_required")
    assert_fresh_challenge(response, previous_nonce=None)


def test_post_malformed_json_with_valid_auth_422_malformed_json(server: SandboxServer) -> None:
    params = answer(fetch_challenge(server), method="POST", uri=ORDER)
    response = send(server, "POST", ORDER, [*JSON_TYPE, *authorization(header(params))], MALFORMED)
    assert response.status == 422
    assert response.json["data"]["error"] == "malformed_json"
    assert response.json["success"] is False and "detail" not in response.json
