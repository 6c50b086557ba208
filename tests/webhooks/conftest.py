"""Webhook fixtures: a small seeded world built once and copied per test, each test's own sandbox on a
frozen business clock, a real receiver, and the few partner calls that make events."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from sandbox.catalog import STATUS_IDS
from sandbox.core.clock import Clock
from sandbox.partner.balances import ledger
from sandbox.store.models import Order, WebhookDelivery, WebhookEvent
from sandbox.testing.server import SandboxServer
from tests.conftest import DEMO, PARTNER_HEADERS, make_settings
from tests.webhooks.receiver import Receiver

FROZEN_AT = datetime(2025, 3, 10, 9, 30, 15, tzinfo=UTC)
SECRET = "whsec_test_secret_0123456789"
WORLD = {"orders": 0, "customers": 1}

StartServer = Callable[..., SandboxServer]


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded database (coverage orders only), built once for every webhook test."""
    folder = tmp_path_factory.mktemp("webhook-world")
    with SandboxServer(make_settings(folder, **WORLD)):
        pass
    return folder / "sandbox.db"


@pytest.fixture
def start_server(world_template: Path, tmp_path: Path) -> Iterator[StartServer]:
    """`start_server(**settings)`: a sandbox on a copy of the template (the same file on every call, so a
    second call is a restart), its clock frozen at FROZEN_AT unless a `clock` is given."""
    database = tmp_path / "sandbox.db"
    with sqlite3.connect(world_template) as source, sqlite3.connect(database) as target:
        source.backup(target)
    running: list[SandboxServer] = []

    def start(*, clock: Clock | None = None, **overrides: Any) -> SandboxServer:
        settings = make_settings(tmp_path, **{**WORLD, **overrides})
        server = SandboxServer(settings, clock=clock or Clock(frozen_at=FROZEN_AT), nonce_clock=Clock())
        running.append(server.start())
        return server

    yield start
    for server in running:
        server.stop()


@pytest.fixture
def server(start_server: StartServer) -> SandboxServer:
    return start_server()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def without_worker(server: SandboxServer) -> SandboxServer:
    """Stop the background sender, so only the test's flushes deliver (exact flush counts)."""
    server.app.state.webhook_worker.stop()
    return server


# -- control and partner calls ----------------------------------------------------------------------


def control(server: SandboxServer, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{server.url}/_sandbox{path}", timeout=30, **kwargs)


def configure(server: SandboxServer, url: str, partner: str = "demo", secret: str | None = SECRET) -> dict:
    body = {"partner": partner, "url": url, **({"secret": secret} if secret else {})}
    response = control(server, "PUT", "/webhooks", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def flush(server: SandboxServer, **params: Any) -> dict[str, int]:
    response = control(server, "POST", "/webhooks/flush", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def deliveries(server: SandboxServer, **params: Any) -> list[dict[str, Any]]:
    response = control(server, "GET", "/webhooks/deliveries", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def partner(server: SandboxServer, credentials: tuple[str, str] = DEMO) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, auth=httpx.DigestAuth(*credentials), headers=PARTNER_HEADERS, timeout=30
    )


def buy(server: SandboxServer, external_id: str, grams: str = "1") -> dict[str, Any]:
    """A B2B cash buy of GAU by demo (funded straight through the ledger); returns the created order."""
    sandbox = server.sandbox
    with sandbox.store.session(write=True) as session:
        wallet = ledger.wallet(session, sandbox.partner_id("demo"), None, "TRY", sandbox.clock.now())
        ledger.post(session, wallet, Decimal(1_000_000), "deposit", sandbox.clock.now(), description="test")
    with partner(server) as http:
        fix = http.post("/partner/pricefix", json={"type": "digital", "currency": "TRY"})
        assert fix.status_code == 200, fix.text
        body = {
            "price_token": fix.json()["data"]["token"],
            "currency_code": "TRY",
            "external_id": external_id,
            "items": [{"sku": "GAU", "amount": float(grams)}],
        }
        response = http.post("/partner/order/digital/buy", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]["orders"][0]


def seeded_order(server: SandboxServer, flow: str = "buy-cash", status: str = "Completed") -> Order:
    """A seeded demo order (seeded orders have no outbox events)."""
    with server.sandbox.store.session() as session:
        query = select(Order).where(
            Order.partner_id == server.sandbox.partner_id("demo"),
            Order.flow == flow,
            Order.status_id == STATUS_IDS[status],
        )
        return session.exec(query.order_by(Order.id)).first()


def events(server: SandboxServer) -> list[WebhookEvent]:
    with server.sandbox.store.session() as session:
        return list(session.exec(select(WebhookEvent).order_by(WebhookEvent.id)))


def attempt_rows(server: SandboxServer, event_id: int) -> list[WebhookDelivery]:
    with server.sandbox.store.session() as session:
        query = select(WebhookDelivery).where(WebhookDelivery.event_id == event_id)
        return list(session.exec(query.order_by(WebhookDelivery.attempt)))
