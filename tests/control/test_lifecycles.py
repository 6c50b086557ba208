"""Lifecycles: the published flows, and the progression modes immediate, manual and timed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlmodel import select

from sandbox.catalog import STATUS_NAMES
from sandbox.core.clock import Clock
from sandbox.domain import ledger
from sandbox.domain.flows import FLOWS
from sandbox.store.models import Customer, Order, OrderStatusHistory
from sandbox.testing.plugin import Control
from sandbox.testing.server import SandboxServer
from sandbox.world import WORLD_END
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import fresh_world

CUSTOMER = "life-001"


@pytest.fixture(autouse=True)
def _fresh_world(server: SandboxServer, server_control: Control) -> Iterator[None]:
    """The session server holding a fresh world, its clock frozen where the seeded world ends, and a
    KYC-approved demo customer holding cash and gold."""
    with fresh_world(server_control, WORLD_END):
        with server.sandbox.store.session(write=True) as session:
            customer = Customer(partner_id=1, external_id=CUSTOMER, firstname="Deniz", lastname="Kaya",
                                identity_number="46714948610", kyc_status="approved", created_at=WORLD_END,
                                updated_at=WORLD_END)  # fmt: skip
            session.add(customer)
            session.flush()
            for asset, amount in (("TRY", Decimal(100_000)), ("GAU", Decimal(50))):
                wallet = ledger.wallet(session, 1, customer.id, asset, WORLD_END)
                ledger.post(session, wallet, amount, "deposit", WORLD_END)
        yield


@pytest.fixture
def clock(server: SandboxServer) -> Clock:
    return server.sandbox.clock


@pytest.fixture
def client(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS) as http:
        yield http


def set_mode(server: SandboxServer, flow: str, mode: str, step: int | None = None) -> httpx.Response:
    body = {"mode": mode} | ({"step_seconds": step} if step else {})
    return httpx.put(f"{server.url}/_sandbox/lifecycles/{flow}/mode", json=body)


def trade(client: httpx.Client, side: str, external_id: str) -> dict:
    token = client.post("/partner/pricefix", json={"type": "digital", "customer_external_id": CUSTOMER})
    body = {"price_token": token.json()["data"]["token"], "external_id": external_id,
            "customer": {"external_id": CUSTOMER}, "items": [{"sku": "GAU", "amount": 1}]}  # fmt: skip
    response = client.post(f"/partner/order/digital/{side}", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]["orders"][0]


def history(server: SandboxServer, guid: str) -> list[tuple[str, object]]:
    with server.sandbox.store.session() as session:
        order = session.exec(select(Order).where(Order.guid == guid)).one()
        rows = session.exec(
            select(OrderStatusHistory)
            .where(OrderStatusHistory.order_id == order.id)
            .order_by(OrderStatusHistory.id)
        ).all()
    return [(STATUS_NAMES[row.status_id], row.at) for row in rows]


def test_lifecycles_publish_every_flow_with_its_transitions_and_default_mode(server: SandboxServer) -> None:
    flows = {item["flow"]: item for item in httpx.get(f"{server.url}/_sandbox/lifecycles").json()["data"]}

    assert set(flows) == set(FLOWS)
    for name, flow in FLOWS.items():
        assert flows[name]["transitions"] == {k: list(v) for k, v in flow.transitions.items()}
    assert {name: item["mode"]["mode"] for name, item in flows.items()} == {
        "buy-cash": "immediate", "buy-card": "immediate", "sell": "immediate",
        "delivery-cash": "manual", "delivery-card": "manual",
    }  # fmt: skip
    assert flows["delivery-cash"]["effects"]["Shipped"].startswith("metal − grams, cash − fee")


def test_set_mode_timed_without_step_seconds_is_422(server: SandboxServer) -> None:
    response = set_mode(server, "sell", "timed")

    assert response.status_code == 422
    assert response.json()["data"]["error"] == "validation_failed"


def test_set_mode_of_an_unknown_flow_is_422(server: SandboxServer) -> None:
    assert set_mode(server, "teleport", "manual").status_code == 422


def test_manual_cash_buy_waits_in_created_holding_the_cash_until_advanced(
    server: SandboxServer, client: httpx.Client
) -> None:
    assert set_mode(server, "buy-cash", "manual").json()["data"] == {
        "flow": "buy-cash", "mode": "manual", "step_seconds": None,
    }  # fmt: skip

    order = trade(client, "buy", "manual-buy")
    rows = {r["currency_code"]: r for r in client.get(f"/partner/balance/customer/{CUSTOMER}").json()["data"]}

    assert order["status_name"] == "Created"
    assert Decimal(str(rows["TRY"]["soft_blocked_amount"])) == Decimal(str(order["total"]))
    assert Decimal(str(rows["GAU"]["balance"])) == 50
    moved = httpx.post(
        f"{server.url}/_sandbox/orders/{order['guid']}/advance", json={"to": "Completed"}
    ).json()
    assert moved["data"]["entered"] == ["Processing", "Completed"]
    rows = {r["currency_code"]: r for r in client.get(f"/partner/balance/customer/{CUSTOMER}").json()["data"]}
    assert Decimal(str(rows["GAU"]["balance"])) == 51


def test_timed_sell_takes_one_step_per_interval_of_the_sandbox_clock(
    server: SandboxServer, client: httpx.Client, clock: Clock
) -> None:
    set_mode(server, "sell", "timed", 60)
    order = trade(client, "sell", "timed-sell")
    assert order["status_name"] == "Created"

    clock.advance(59)
    server.sandbox.tick()  # seeded open sells move too: they have waited far longer than 60 s
    assert [status for status, _ in history(server, order["guid"])] == ["Created"]
    clock.advance(1)
    server.sandbox.tick()
    assert [status for status, _ in history(server, order["guid"])] == ["Created", "Processing"]
    clock.advance(3600)
    server.sandbox.tick()

    start = WORLD_END
    assert history(server, order["guid"]) == [
        ("Created", start),
        ("Processing", start + timedelta(seconds=60)),
        ("Transferring", start + timedelta(seconds=120)),
        ("Completed", start + timedelta(seconds=180)),
    ]
    assert server.sandbox.tick() == 0  # nothing open is left in the flow, nothing moves again


def test_timed_never_moves_a_card_order_out_of_pending(
    server: SandboxServer, client: httpx.Client, clock: Clock
) -> None:
    set_mode(server, "buy-card", "timed", 10)
    token = client.post("/partner/pricefix", json={"type": "digital"}).json()["data"]["token"]
    response = client.post("/partner/order/digital/buy", json={
        "price_token": token, "external_id": "timed-card", "payment_type": "creditcard",
        "items": [{"sku": "GAU", "amount": 0.1}],
        "payment": {"card_holder": "DENIZ KAYA", "card_number": "4048095010857528", "card_expiry": "12/30",
                    "card_cvv": "123"},
    })  # fmt: skip
    guid = response.json()["data"]["orders"][0]["guid"]

    clock.advance(3600)
    server.sandbox.tick()

    assert [status for status, _ in history(server, guid)] == ["Pending"]


def test_immediate_delivery_is_shipped_and_completed_in_the_create_request(
    server: SandboxServer, client: httpx.Client
) -> None:
    set_mode(server, "delivery-cash", "immediate")
    address = {"fullname": "Deniz Kaya", "phone": "+905321112233", "city": "İstanbul", "county": "Kadıköy",
               "district": "Moda Mah.", "address": "Moda Caddesi No:12 D:3", "zipcode": "34710"}  # fmt: skip
    response = client.post("/partner/delivery/create", json={
        "customer": {"external_id": CUSTOMER, "firstname": "Deniz", "lastname": "Kaya",
                     "phone": "+905321112233", "email": "deniz@example.com"},
        "external_id": "immediate-delivery", "sku": "GAU", "amount": 2,
        "address": {"billing": {**address, "invoice_type": "Individual", "email": "deniz@example.com"},
                    "shipping": address},
    })  # fmt: skip

    order = response.json()["data"]  # the one order Delivery Create answers
    assert (response.status_code, order["status_name"]) == (200, "Completed")
    assert order["delivery"]["cargo_tracking_number"].startswith("MNG")
    with server.sandbox.store.session() as session:
        customer_id = session.exec(select(Customer.id).where(Customer.external_id == CUSTOMER)).one()
        assert ledger.find_wallet(session, 1, customer_id, "GAU").balance == 48


# -- a customer's own mode ------------------------------------------------------------------------------


def customer_mode(server: SandboxServer, method: str, **body: object) -> httpx.Response:
    url = f"{server.url}/_sandbox/customers/demo/{CUSTOMER}/mode"
    return httpx.request(method, url, json=body if method == "PUT" else None)


def test_a_customers_mode_is_read_set_and_taken_away(server: SandboxServer) -> None:
    none = {"partner": "demo", "external_id": CUSTOMER, "mode": None, "step_seconds": None}

    assert customer_mode(server, "GET").json()["data"] == none
    assert customer_mode(server, "PUT", mode="timed", step_seconds=30).json()["data"] == {
        **none, "mode": "timed", "step_seconds": 30,
    }  # fmt: skip
    assert customer_mode(server, "PUT", mode="manual", step_seconds=30).json()["data"] == {
        **none,
        "mode": "manual",
    }
    assert customer_mode(server, "GET").json()["data"] == {**none, "mode": "manual"}
    assert customer_mode(server, "DELETE").json()["data"] == none
    assert customer_mode(server, "GET").json()["data"] == none
    assert customer_mode(server, "DELETE").status_code == 200  # none to take away: still none


@pytest.mark.parametrize(
    ("url", "body", "status", "key"),
    [
        ("/_sandbox/customers/nobody/life-001/mode", {"mode": "manual"}, 404, "partner_not_found"),
        ("/_sandbox/customers/demo/nobody/mode", {"mode": "manual"}, 404, "customer_not_found"),
        ("/_sandbox/customers/demo/life-001/mode", {"mode": "timed"}, 422, "validation_failed"),
        ("/_sandbox/customers/demo/life-001/mode", {"mode": "sometimes"}, 422, "validation_failed"),
        (
            "/_sandbox/customers/demo/life-001/mode",
            {"mode": "timed", "step_seconds": 0},
            422,
            "validation_failed",
        ),
    ],
)
def test_a_customers_mode_refuses_unknown_owners_and_bad_modes(
    server: SandboxServer, url: str, body: dict, status: int, key: str
) -> None:
    response = httpx.put(server.url + url, json=body, headers={"Accept-Language": "en"})

    assert response.status_code == status
    assert response.json()["success"] is False
    assert customer_mode(server, "GET").json()["data"]["mode"] is None  # nothing half-written


def test_a_manual_customers_buy_waits_while_everyone_elses_settle_by_the_flow(
    server: SandboxServer, client: httpx.Client
) -> None:
    customer_mode(server, "PUT", mode="manual")

    held = trade(client, "buy", "held-buy")
    customer_mode(server, "DELETE")
    settled = trade(client, "buy", "settled-buy")

    assert (held["status_name"], settled["status_name"]) == ("Created", "Completed")
    assert [status for status, _ in history(server, held["guid"])] == ["Created"]


def test_a_timed_customer_steps_on_the_sandbox_clock_while_its_flow_stays_immediate(
    server: SandboxServer, client: httpx.Client, clock: Clock
) -> None:
    customer_mode(server, "PUT", mode="timed", step_seconds=60)
    order = trade(client, "sell", "timed-customer-sell")
    assert order["status_name"] == "Created"

    clock.advance(60)
    server.sandbox.tick()
    assert [status for status, _ in history(server, order["guid"])] == ["Created", "Processing"]
    clock.advance(3600)
    server.sandbox.tick()
    assert [status for status, _ in history(server, order["guid"])][-1] == "Completed"
    assert set_mode(server, "sell", "immediate").status_code == 200  # the flow's mode never changed


def test_a_timed_flow_leaves_a_manual_customers_orders_alone(
    server: SandboxServer, client: httpx.Client, clock: Clock
) -> None:
    set_mode(server, "sell", "timed", 60)
    customer_mode(server, "PUT", mode="manual")
    held = trade(client, "sell", "manual-in-timed-flow")

    clock.advance(3600)
    server.sandbox.tick()  # the server's own ticker may have taken the steps already: look at the orders

    assert [status for status, _ in history(server, held["guid"])] == ["Created"]
    with server.sandbox.store.session() as session:
        others = session.exec(select(Order).where(Order.flow == "sell", Order.guid != held["guid"])).all()
    # Every other sell moved to its end by the flow's mode, a partner's own (no customer) included.
    assert {STATUS_NAMES[order.status_id] for order in others} <= {"Completed", "Cancelled"}
    assert any(order.customer_id is None for order in others) and any(order.customer_id for order in others)
