"""Webhook helpers: the partner calls that make events, the control calls that configure and flush
their delivery, and read-backs of the outbox."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
from sqlmodel import select

from sandbox.catalog import STATUS_IDS
from sandbox.domain import ledger
from sandbox.store.models import Order, WebhookDelivery, WebhookEvent
from sandbox.testing.server import SandboxServer
from tests.support.clients import partner_client as partner

SECRET = "whsec_test_secret_0123456789"
WORLD = {"orders": 0, "customers": 1}  # coverage orders only

StartServer = Callable[..., SandboxServer]


def without_worker(server: SandboxServer) -> SandboxServer:
    """Stop the background sender, so only the test's flushes deliver (exact flush counts)."""
    server.sandbox.webhooks.stop()
    return server


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
