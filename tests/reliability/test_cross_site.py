"""Issue 13, finding 3: no web page may drive the control API, and no DNS-rebinding page may read it.

With no control token (the default) a self-submitting form on any site could `POST
/_sandbox/reset?everything=true`, and a page whose name is rebound to 127.0.0.1 could read the
journal. Over real HTTP, with the headers browsers send (tests/reliability/test_cross_site_browser.py
does the same from headless Chromium): a state-changing control call from another site's page is 403
`foreign_origin`, one that is not JSON 415 `control_json_required`, any Host the sandbox does not know
421 `host_not_allowed`; scripts (no Origin) and the sandbox's own pages keep working.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.reliability.cross_site_support import MARKER, witness_rule
from tests.reliability.fuzz_support import assert_error_envelope, operations
from tests.reliability.procs_server import ServerProcess
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import ServerPool

FRONTEND = "http://localhost:3000"  # listed in SANDBOX_CORS_ORIGINS
EVIL = "http://evil.example"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TEXT = {"Content-Type": "text/plain;charset=UTF-8"}  # what a no-cors fetch with a string body sends
JSON = {"Content-Type": "application/json"}
FOREIGN = "A sandbox control call from another site's page is refused ({origin}); call it from the "
FOREIGN += "sandbox's own pages, a script, or an origin listed in SANDBOX_CORS_ORIGINS."
NOT_JSON = "Sandbox control calls send JSON: Content-Type: application/json (a call without a body may "
NOT_JSON += "send no Content-Type)."
NOT_HOST = "The sandbox does not answer to the host {host}; add that name to SANDBOX_ALLOWED_HOSTS."


@pytest.fixture(scope="module")
def world(server_pool: ServerPool) -> Iterator[SandboxServer]:
    """The `empty` scenario (a hostile reseed would bring `default` back), control API open."""
    with server_pool.fresh(scenario="empty", cors_origins=(FRONTEND,)) as running:
        yield running


@pytest.fixture
def witness(world: SandboxServer) -> Iterator[int]:
    yield from witness_rule(world.url)


def state(server: SandboxServer) -> dict:
    return httpx.get(f"{server.url}/_sandbox/state").json()["data"]


def assert_untouched(server: SandboxServer, rule_id: int) -> None:
    faults = httpx.get(f"{server.url}/_sandbox/faults").json()["data"]["faults"]
    assert [rule["id"] for rule in faults] == [rule_id]
    assert state(server)["scenario"] == "empty"


def assert_refused(response: httpx.Response, status: int, key: str, message: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert_error_envelope(body, status)
    assert body["data"] == {"error": key}
    assert body["message"] == message


# -- what a web page can send: refused, nothing changes ----------------------------------------------

# (method, path, headers, body, the origin the message names)
RESET = "/_sandbox/reset?everything=true"
FORGED = {
    "self-submitting empty form, reset everything": ("POST", RESET, {"Origin": EVIL, **FORM}, b"", EVIL),
    "self-submitting empty form, seed": ("POST", "/_sandbox/seed", {"Origin": EVIL, **FORM}, b"", EVIL),
    "multipart form, seed": (
        "POST", "/_sandbox/seed", {"Origin": EVIL, "Content-Type": "multipart/form-data; boundary=x"},
        b"--x--\r\n", EVIL,
    ),
    "no-cors fetch, text/plain JSON": (
        "POST", "/_sandbox/seed", {"Origin": EVIL, **TEXT}, b'{"scenario": "default"}', EVIL,
    ),
    "no-cors fetch, no body, no type": ("POST", RESET, {"Origin": EVIL}, b"", EVIL),
    "form from a sandboxed frame (Origin null)": ("POST", RESET, {"Origin": "null", **FORM}, b"", "null"),
    "foreign Origin with JSON": ("POST", RESET, {"Origin": EVIL, **JSON}, b"{}", EVIL),
    "foreign Origin, DELETE with JSON": ("DELETE", "/_sandbox/faults", {"Origin": EVIL, **JSON}, b"", EVIL),
    "Referer only (no Origin)": ("POST", RESET, {"Referer": f"{EVIL}/page?x=1", **FORM}, b"", EVIL),
    "Sec-Fetch-Site cross-site only": (
        "POST", RESET, {"Sec-Fetch-Site": "cross-site"}, b"", "Sec-Fetch-Site: cross-site",
    ),
    "another port of this machine": (
        "POST", RESET, {"Origin": "http://127.0.0.1:9", "Sec-Fetch-Site": "same-site", **JSON}, b"{}",
        "http://127.0.0.1:9",
    ),
    "dashboard form from another site": (
        "POST", "/_sandbox/ui/reset", {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", **FORM}, b"", EVIL,
    ),
}  # fmt: skip

# No Origin, Referer or Sec-Fetch-Site (an old browser on a no-referrer page, or a script) but not JSON.
NOT_JSON_CALLS = {
    "empty form": (RESET, FORM, b""),
    "text/plain": ("/_sandbox/seed", TEXT, b'{"scenario": "default"}'),
    "a body without Content-Type": ("/_sandbox/seed", {}, b'{"scenario": "default"}'),
}


@pytest.mark.parametrize("case", FORGED, ids=list(FORGED))
def test_a_call_from_another_sites_page_is_refused(world: SandboxServer, witness: int, case: str) -> None:
    method, path, headers, body, origin = FORGED[case]
    response = httpx.request(
        method, world.url + path, headers={"Accept-Language": "en", **headers}, content=body
    )
    assert_refused(response, 403, "foreign_origin", FOREIGN.format(origin=origin))
    assert_untouched(world, witness)


@pytest.mark.parametrize("case", NOT_JSON_CALLS, ids=list(NOT_JSON_CALLS))
def test_a_control_call_that_is_not_json_is_refused(world: SandboxServer, witness: int, case: str) -> None:
    path, headers, body = NOT_JSON_CALLS[case]
    response = httpx.post(world.url + path, headers={"Accept-Language": "en", **headers}, content=body)
    assert_refused(response, 415, "control_json_required", NOT_JSON)
    assert_untouched(world, witness)


def test_the_sandboxs_own_page_still_sends_json(world: SandboxServer, witness: int) -> None:
    """Same origin, but a form type outside the dashboard: the JSON rule holds for every page."""
    own = {"Origin": world.url, "Sec-Fetch-Site": "same-origin", "Accept-Language": "en", **FORM}
    response = httpx.post(f"{world.url}/_sandbox/reset?everything=true", headers=own)
    assert_refused(response, 415, "control_json_required", NOT_JSON)
    assert_untouched(world, witness)


def test_refusals_speak_turkish_by_default(world: SandboxServer, witness: int) -> None:
    response = httpx.post(f"{world.url}/_sandbox/reset", headers={"Origin": EVIL})
    assert response.status_code == 403
    assert response.json()["message"].startswith("Başka bir sitenin sayfasından gelen sandbox kontrol")


# -- what must keep working -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl -X POST .../reset: no body, no Content-Type, no Origin
        JSON,  # Content-Type: application/json with an empty body
        {"Content-Type": "application/json; charset=utf-8"},
    ],
    ids=["curl-no-body", "json-type-empty-body", "json-type-with-charset"],
)
def test_scripts_reset_without_an_origin(world: SandboxServer, witness: int, headers: dict[str, str]) -> None:
    response = httpx.post(f"{world.url}/_sandbox/reset", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["reset"] is True
    assert_untouched(world, witness)  # a plain reset keeps fault rules


def test_scripts_send_json_bodies_and_body_less_deletes(world: SandboxServer, witness: int) -> None:
    assert httpx.post(f"{world.url}/_sandbox/reset", json={}).status_code == 200
    assert httpx.delete(f"{world.url}/_sandbox/requests").json()["data"] == {"cleared": 0}
    assert httpx.delete(f"{world.url}/_sandbox/faults/{witness}").status_code == 200
    assert httpx.get(f"{world.url}/_sandbox/faults").json()["data"]["faults"] == []


@pytest.mark.parametrize(
    ("host", "origin"),
    [("127.0.0.1", "http://127.0.0.1"), ("localhost", "http://localhost")],
)
def test_the_sandboxs_own_pages_may_change_state(
    world: SandboxServer, witness: int, host: str, origin: str
) -> None:
    """Origin equal to the Host the browser used (without Sec-Fetch-Site, as older browsers send)."""
    port = world.port
    headers = {"Host": f"{host}:{port}", "Origin": f"{origin}:{port}"}
    response = httpx.post(f"{world.url}/_sandbox/faults", json=MARKER, headers=headers)
    assert response.status_code == 200, response.text
    assert len(httpx.get(f"{world.url}/_sandbox/faults").json()["data"]["faults"]) == 2


def test_a_frontend_listed_in_cors_origins_may_change_state(world: SandboxServer, witness: int) -> None:
    headers = {"Origin": FRONTEND, "Sec-Fetch-Site": "same-site"}
    response = httpx.delete(f"{world.url}/_sandbox/faults/{witness}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND


def test_cors_wildcard_does_not_open_the_control_api(server_pool: ServerPool) -> None:
    server = server_pool.get(cors_origins=("*",))
    origin = {"Origin": EVIL, "Accept-Language": "en", **JSON}
    response = httpx.post(f"{server.url}/_sandbox/reset?everything=true", headers=origin)
    assert_refused(response, 403, "foreign_origin", FOREIGN.format(origin=EVIL))
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # the page may read why


# -- Host: DNS rebinding -----------------------------------------------------------------------------

REBOUND = "rebind.evil.example"
PARTNER_OPERATIONS = operations("/partner/")


def test_a_rebound_page_cannot_read_the_journal(world: SandboxServer) -> None:
    with httpx.Client(base_url=world.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS) as http:
        assert http.get("/partner/orders/statuses").status_code == 200  # something in the journal
    assert httpx.get(f"{world.url}/_sandbox/requests").json()["data"]["requests"]
    host = f"{REBOUND}:{world.port}"
    response = httpx.get(f"{world.url}/_sandbox/requests", headers={"Host": host, "Accept-Language": "en"})
    assert_refused(response, 421, "host_not_allowed", NOT_HOST.format(host=host))


@pytest.mark.parametrize(
    ("method", "path"), PARTNER_OPERATIONS, ids=[f"{m} {p}" for m, p in PARTNER_OPERATIONS]
)
def test_every_partner_operation_refuses_an_unknown_host(
    world: SandboxServer, method: str, path: str
) -> None:
    """Before Digest: a rebound page gets neither data nor a challenge."""
    target = world.url + path.replace("{", "").replace("}", "")
    with httpx.Client(auth=httpx.DigestAuth(*DEMO), headers={**PARTNER_HEADERS, "Host": REBOUND}) as http:
        response = http.request(method, target, json={} if method != "GET" else None)
    assert response.status_code == 421, response.text
    assert response.json()["data"] == {"error": "host_not_allowed"}
    assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_sandbox/ui"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
        ("GET", "/pay/x"),
        ("OPTIONS", "/partner/order"),
    ],
)
def test_pages_docs_and_preflights_refuse_an_unknown_host(
    world: SandboxServer, method: str, path: str
) -> None:
    headers = {"Host": REBOUND, "Origin": FRONTEND, "Access-Control-Request-Method": "POST"}
    response = httpx.request(method, world.url + path, headers=headers)
    assert response.status_code == 421
    assert response.json()["data"] == {"error": "host_not_allowed"}


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST.",
        "127.0.0.1",
        "127.1.2.3",
        "[::1]",
        "10.20.30.40",
        "[fe80::1]",
        "app.localhost",
    ],
)
def test_loopback_names_and_ip_addresses_are_answered(world: SandboxServer, host: str) -> None:
    for value in (host, f"{host}:{world.port}"):
        assert httpx.get(f"{world.url}/_sandbox/state", headers={"Host": value}).status_code == 200


@pytest.mark.parametrize(
    "host",
    ["sandbox.test", "localhost.evil.example", "127.0.0.1.nip.io", "localhost:80x", "evil.example:8000"],
)
def test_other_names_are_not(world: SandboxServer, host: str) -> None:
    response = httpx.get(f"{world.url}/_sandbox/state", headers={"Host": host, "Accept-Language": "en"})
    assert_refused(response, 421, "host_not_allowed", NOT_HOST.format(host=host))


def test_allowed_hosts_and_the_bind_host_add_names(server_pool: ServerPool) -> None:
    """`SANDBOX_HOST` names the sandbox too (here a name; this test server binds 127.0.0.1 itself)."""
    server = server_pool.get(allowed_hosts=("sandbox.test", "ci.internal"), host="bind.test")
    for host in (
        "sandbox.test",
        f"SANDBOX.TEST.:{server.port}",
        "ci.internal",
        f"bind.test:{server.port}",
    ):
        headers = {**PARTNER_HEADERS, "Host": host}
        with httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=headers) as http:
            assert http.get("/partner/orders/statuses").status_code == 200, host
    assert httpx.get(f"{server.url}/_sandbox/state", headers={"Host": "other.test"}).status_code == 421


def test_allowed_hosts_star_answers_any_name(server_pool: ServerPool) -> None:
    server = server_pool.get(allowed_hosts=("*",))
    assert httpx.get(f"{server.url}/_sandbox/state", headers={"Host": REBOUND}).status_code == 200


def test_serve_reads_sandbox_allowed_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a container gets it: `-e SANDBOX_ALLOWED_HOSTS=sandbox` for a compose service name."""
    monkeypatch.setenv("SANDBOX_ALLOWED_HOSTS", "sandbox, sandbox.ci.internal")
    server = ServerProcess(tmp_path / "s.db", flags=("--orders", "0", "--customers", "1")).start()
    try:
        for host, status in (("sandbox:8000", 200), ("sandbox.ci.internal", 200), ("other", 421)):
            assert httpx.get(f"{server.url}/_sandbox/state", headers={"Host": host}).status_code == status, (
                host
            )
    finally:
        server.stop()
