"""GET /_sandbox/state counts what the database holds; SANDBOX_CONTROL_TOKEN locks every /_sandbox call."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Connection

from sandbox import cli
from sandbox.catalog import STATUS_NAMES
from sandbox.control.protection import is_loopback
from sandbox.store.models import WebhookEvent
from sandbox.testing.plugin import Control
from sandbox.testing.server import SandboxServer
from sandbox.world.documented import DOCUMENTED_ORDERS
from tests.support.constants import CONTROL_TOKEN as TOKEN
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import ServerPool, fresh_world

FROZEN_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def locked(server_pool: ServerPool) -> SandboxServer:
    """A server whose control API needs `SANDBOX_CONTROL_TOKEN` (these tests change no state)."""
    return server_pool.get(control_token=TOKEN)


@pytest.fixture
def counted(server: SandboxServer, server_control: Control) -> Iterator[SandboxServer]:
    """The session server holding a fresh world, its clock frozen at FROZEN_AT."""
    with fresh_world(server_control, FROZEN_AT):
        yield server


def sandbox_get(server: SandboxServer, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(f"{server.url}/_sandbox{path}", **kwargs)


def error_key(response: httpx.Response) -> str:
    return response.json()["data"]["error"]


def database(server: SandboxServer) -> Connection:
    """The server's database on a connection of its own, as another program would read it."""
    return server.sandbox.store.engine.connect()


# -- state ------------------------------------------------------------------------------------------


def test_state_counts_equal_the_database_counts(counted: SandboxServer) -> None:
    with counted.sandbox.store.session(write=True) as session:  # two events waiting in the outbox
        for _ in range(2):
            session.add(WebhookEvent(partner_id=1, event="order.pushed", created_at=FROZEN_AT))

    data = sandbox_get(counted, "/state").json()["data"]

    with database(counted) as db:
        partners = db.exec_driver_sql("SELECT id, username FROM partner ORDER BY id").fetchall()
        customers = dict(
            db.exec_driver_sql("SELECT partner_id, count(*) FROM customer GROUP BY partner_id").all()
        )
        wallets = dict(
            db.exec_driver_sql("SELECT partner_id, count(*) FROM wallet GROUP BY partner_id").all()
        )
        orders: dict[int, dict[str, dict[str, int]]] = {}
        for partner_id, kind, status, n in db.exec_driver_sql(
            "SELECT partner_id, type, status_id, count(*) FROM orders GROUP BY partner_id, type, status_id"
        ):
            orders.setdefault(partner_id, {}).setdefault(kind, {})[STATUS_NAMES[status]] = n
        pending = db.exec_driver_sql("SELECT count(*) FROM webhook_event WHERE state = 'pending'").scalar()
    assert data["partners"] == [
        {"partner": name, "customers": customers[pid], "wallets": wallets[pid], "orders": orders[pid]}
        for pid, name in partners
    ]
    assert data["webhooks_pending"] == pending == 2


def test_state_reports_seed_scenario_and_clock(counted: SandboxServer) -> None:
    data = sandbox_get(counted, "/state").json()["data"]

    assert (data["seed"], data["scenario"]) == (42, "default")
    assert (data["clock"]["mode"], data["clock"]["now"]) == ("frozen", "2026-11-02T12:30:00+03:00")
    # make_settings' 400 orders, and the orders the docs name (sandbox/world/documented.py)
    assert (
        sum(sum(s.values()) for p in data["partners"] for s in p["orders"].values())
        == 400 + DOCUMENTED_ORDERS
    )


def test_control_api_without_a_configured_token_is_open(counted: SandboxServer) -> None:
    assert sandbox_get(counted, "/state").status_code == 200
    assert httpx.post(f"{counted.url}/_sandbox/login", data={"token": "x"}).status_code == 303


# -- protection -------------------------------------------------------------------------------------


def test_control_call_without_a_token_is_401_with_a_bearer_challenge(locked: SandboxServer) -> None:
    response = sandbox_get(locked, "/state")

    assert (response.status_code, error_key(response)) == (401, "control_token_required")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_control_call_with_a_wrong_token_is_403(locked: SandboxServer) -> None:
    response = sandbox_get(locked, "/state", headers={"Authorization": "Bearer not-the-token"})

    assert (response.status_code, error_key(response)) == (403, "control_token_invalid")
    assert "www-authenticate" not in response.headers


def test_control_calls_with_the_token_are_served(locked: SandboxServer) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}

    assert sandbox_get(locked, "/state", headers=bearer).status_code == 200
    assert httpx.post(f"{locked.url}/_sandbox/reset", headers=bearer).status_code == 200
    assert httpx.post(f"{locked.url}/_sandbox/reset").status_code == 401


def test_partner_digest_credentials_never_open_the_control_api(locked: SandboxServer) -> None:
    with httpx.Client(base_url=locked.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS) as http:
        partner_call = http.get("/partner/orders/statuses")
        replayed = http.get(
            "/_sandbox/state", headers={"Authorization": partner_call.request.headers["authorization"]}
        )
        challenged = http.get("/_sandbox/state")

    assert partner_call.status_code == 200
    assert (replayed.status_code, error_key(replayed)) == (401, "control_token_required")
    assert challenged.status_code == 401
    assert (
        sandbox_get(locked, "/state", auth=("demo", TOKEN)).status_code == 401
    )  # Basic, even with the token


def test_swagger_assets_and_docs_stay_open(locked: SandboxServer) -> None:
    assert sandbox_get(locked, "/static/swagger/swagger-ui.css").status_code == 200
    assert httpx.get(f"{locked.url}/docs").status_code == 200


def test_login_page_shows_a_token_form(locked: SandboxServer) -> None:
    response = sandbox_get(locked, "/login")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'name="token"' in response.text


def test_login_with_the_right_token_sets_the_cookie_and_redirects_to_next(locked: SandboxServer) -> None:
    response = httpx.post(f"{locked.url}/_sandbox/login?next=/_sandbox/clock", data={"token": TOKEN})

    assert (response.status_code, response.headers["location"]) == (303, "/_sandbox/clock")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"sandbox_control={TOKEN}")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert sandbox_get(locked, "/clock", cookies={"sandbox_control": TOKEN}).status_code == 200


def test_login_with_a_wrong_token_shows_the_form_again_with_403(locked: SandboxServer) -> None:
    response = httpx.post(f"{locked.url}/_sandbox/login", data={"token": "wrong"})

    assert response.status_code == 403
    assert 'name="token"' in response.text
    assert "set-cookie" not in response.headers


def test_login_never_redirects_off_the_sandbox(locked: SandboxServer) -> None:
    response = httpx.post(f"{locked.url}/_sandbox/login?next=//evil.example/x", data={"token": TOKEN})

    assert response.headers["location"] == "/_sandbox/ui"


def test_login_without_next_lands_on_the_dashboard(locked: SandboxServer) -> None:
    response = httpx.post(f"{locked.url}/_sandbox/login", data={"token": TOKEN})

    assert (response.status_code, response.headers["location"]) == (303, "/_sandbox/ui")


def test_control_call_with_a_wrong_cookie_is_403(locked: SandboxServer) -> None:
    response = sandbox_get(locked, "/state", cookies={"sandbox_control": "stale"})

    assert (response.status_code, error_key(response)) == (403, "control_token_invalid")


def test_browser_without_the_cookie_is_sent_to_the_login_page(locked: SandboxServer) -> None:
    response = sandbox_get(locked, "/state", headers=HTML)

    assert (response.status_code, response.headers["location"]) == (
        303,
        "/_sandbox/login?next=%2F_sandbox%2Fstate",
    )


# -- the serve warning ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True), ("0.0.0.0", False),
     ("::", False), ("192.168.1.5", False), ("sandbox.example", False)],
)  # fmt: skip
def test_is_loopback_tells_local_only_addresses(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


@pytest.mark.parametrize(
    ("flags", "warned"),
    [(["--host", "0.0.0.0"], True), (["--host", "0.0.0.0", "--control-token", "t"], False),
     (["--host", "127.0.0.1"], False)],
)  # fmt: skip
def test_serve_warns_when_exposed_without_a_token(
    flags: list[str],
    warned: bool,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets=None: setattr(server, "started", True))
    with caplog.at_level(logging.WARNING, logger="sandbox"):
        assert cli.main(["serve", "--db", "sqlite://", "--port", "0", *flags]) == 0

    warnings = [
        record.getMessage() for record in caplog.records if "SANDBOX_CONTROL_TOKEN" in record.getMessage()
    ]
    assert bool(warnings) is warned
