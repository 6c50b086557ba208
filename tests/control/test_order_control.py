"""/_sandbox/orders/{ref}/advance and /refund: orders move only along their flow, with each effect."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from sqlmodel import select

from sandbox.catalog import STATUS_IDS
from sandbox.domain import ledger
from sandbox.store.models import Order, OrderItem, OrderStatusHistory, WebhookEvent
from sandbox.testing.plugin import Control
from sandbox.testing.server import SandboxServer
from sandbox.world import WORLD_END
from tests.support.servers import fresh_world


@pytest.fixture(autouse=True)
def _fresh_world(server_control: Control) -> Iterator[None]:
    """The session server holding a fresh world, its clock frozen where the seeded world ends."""
    with fresh_world(server_control, WORLD_END):
        yield


def seeded(server: SandboxServer, flow: str, status: str, skip: int = 0) -> Order:
    with server.sandbox.store.session() as session:
        query = (
            select(Order).where(Order.flow == flow, Order.status_id == STATUS_IDS[status]).order_by(Order.id)
        )
        return session.exec(query.offset(skip)).first()


def post(server: SandboxServer, path: str, body: dict) -> httpx.Response:
    return httpx.post(f"{server.url}/_sandbox{path}", json=body)


def metal(server: SandboxServer, order: Order) -> tuple[Decimal, Decimal]:
    """(wallet balance, hard-held grams) of the order's metal, for its owner."""
    with server.sandbox.store.session() as session:
        sku = session.exec(select(OrderItem.sku).where(OrderItem.order_id == order.id)).one()
        wallet = ledger.find_wallet(session, order.partner_id, order.customer_id, sku)
        held = ledger.holds(session, order.partner_id, order.customer_id).get(sku, ledger.Holds())
        return (wallet.balance if wallet else Decimal(0)), held.hard


def test_advance_without_target_moves_one_step_and_records_it(server: SandboxServer) -> None:
    order = seeded(server, "delivery-cash", "Created")

    response = post(server, f"/orders/{order.guid}/advance", {})

    data = response.json()["data"]
    assert (response.status_code, data["entered"], data["order"]["status_name"]) == (
        200,
        ["Preparing"],
        "Preparing",
    )
    with server.sandbox.store.session() as session:
        history = session.exec(
            select(OrderStatusHistory).where(OrderStatusHistory.order_id == order.id)
        ).all()
        events = session.exec(select(WebhookEvent).where(WebhookEvent.order_id == order.id)).all()
    assert history[-1].status_id == STATUS_IDS["Preparing"]
    assert events[-1].event == "order.status_changed" and events[-1].status_id == STATUS_IDS["Preparing"]


def test_advance_to_a_target_walks_the_allowed_path_by_order_code(server: SandboxServer) -> None:
    order = seeded(server, "sell", "Created")

    data = post(server, f"/orders/{order.order_code}/advance", {"to": "Completed"}).json()["data"]

    assert data["entered"] == ["Processing", "Transferring", "Completed"]


def test_advance_to_a_status_off_the_flow_is_409_naming_the_allowed_ones(server: SandboxServer) -> None:
    order = seeded(server, "delivery-cash", "Shipped")

    response = post(server, f"/orders/{order.guid}/advance", {"to": "Cancelled"})

    body = response.json()
    assert (response.status_code, body["data"]["error"]) == (409, "transition_not_allowed")
    assert body["message"] == "Shipped durumundan Cancelled durumuna geçilemez; izin verilenler: Completed."


def test_advance_from_a_final_status_is_409_order_is_final(server: SandboxServer) -> None:
    order = seeded(server, "buy-cash", "Cancelled")

    response = post(server, f"/orders/{order.guid}/advance", {})

    assert (response.status_code, response.json()["data"]["error"]) == (409, "order_is_final")


def test_advance_unknown_order_is_404(server: SandboxServer) -> None:
    response = post(server, "/orders/NOPE1234/advance", {})

    assert (response.status_code, response.json()["data"]["error"]) == (404, "order_not_found")


def test_advance_to_an_unknown_status_name_is_422(server: SandboxServer) -> None:
    order = seeded(server, "sell", "Created", skip=1)

    response = post(server, f"/orders/{order.guid}/advance", {"to": "Teleported"})

    assert (response.status_code, list(response.json()["data"]["errors"])) == (422, ["to"])


def test_refund_stopping_at_refunding_holds_the_metal_then_refunded_takes_it(server: SandboxServer) -> None:
    order = seeded(server, "buy-card", "Completed")
    balance_before, _ = metal(server, order)

    first = post(server, f"/orders/{order.guid}/refund", {"complete": False}).json()["data"]
    balance_mid, held_mid = metal(server, order)
    second = post(server, f"/orders/{order.guid}/refund", {}).json()["data"]
    balance_after, held_after = metal(server, order)

    with server.sandbox.store.session() as session:
        grams = session.exec(select(OrderItem.amount).where(OrderItem.order_id == order.id)).one()
    assert (first["entered"], second["entered"]) == (["Refunding"], ["Refunded"])
    assert (balance_mid, held_mid) == (balance_before, grams)
    assert (balance_after, held_after) == (balance_before - grams, Decimal(0))
    payment = second["order"]["payment"]
    assert (payment["state"], payment["refunded_amount"]) == ("refunded", payment["total"])


def test_refund_of_a_cash_order_is_409(server: SandboxServer) -> None:
    order = seeded(server, "buy-cash", "Completed")

    response = post(server, f"/orders/{order.guid}/refund", {})

    assert (response.status_code, response.json()["data"]["error"]) == (409, "order_is_final")


def test_refund_of_a_card_order_not_yet_completed_is_409(server: SandboxServer) -> None:
    order = seeded(server, "buy-card", "Pending")

    response = post(server, f"/orders/{order.guid}/refund", {})

    assert (response.status_code, response.json()["data"]["error"]) == (409, "transition_not_allowed")


def test_invariants_stay_clean_after_the_control_moves(server: SandboxServer) -> None:
    assert httpx.get(f"{server.url}/_sandbox/invariants").json()["data"]["violations"] == []
