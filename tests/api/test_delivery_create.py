"""Delivery Create paid with cash (POST /partner/delivery/create): the order it makes, what it writes, and
its refusals (customer, KYC, idempotency). Address acceptance and each address field's refusal are in
test_delivery_addresses.py, balance refusals in test_delivery_lifecycle.py, sku/amount rules in
test_delivery_fees.py; all use the builders in delivery_support.py."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from sqlmodel import select

from sandbox.store.models import OrderAddress, OrderItem
from sandbox.testing.server import SandboxServer
from tests.api.delivery_support import (
    CREATE,
    ENGLISH,
    billing_address,
    create_body,
    deliverable_customer,
    delivery_data,
    shipping_address,
)
from tests.api.trading_helpers import (
    FROZEN_AT,
    dedicated_server,
    ledger_lines,
    order_rows,
    partner_client,
    refusal,
    request_rows,
    snapshot,
    status_history,
)
from tests.conftest import ACME, DEMO

FROZEN_ISO = "2025-03-10T12:30:15+03:00"

# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with dedicated_server(tmp_path_factory, "delivery-create") as running:
        yield running


@pytest.fixture(autouse=True)
def at_frozen_instant(world: SandboxServer) -> None:
    world.sandbox.clock.freeze(FROZEN_AT)


@pytest.fixture
def demo(world: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(world, DEMO) as http:
        http.headers.update(ENGLISH)
        yield http


# -- the order -------------------------------------------------------------------------------------------


def test_create_returns_order_response_with_iso_order_at(demo: httpx.Client, world: SandboxServer) -> None:
    customer = deliverable_customer(world)

    data = delivery_data(demo.post(CREATE, json=create_body(customer)))

    assert list(data) == ["order_code", "guid", "price", "tax", "total", "order_at", "orders"]
    assert (data["price"], data["tax"], data["total"]) == (325, 0, 325)
    assert data["order_at"] == data["orders"][0]["order_at"] == FROZEN_ISO
    order = data["orders"][0]
    assert (data["guid"], data["order_code"]) == ([order["guid"]], [order["order_code"]])


def test_create_makes_a_created_cash_delivery_order_priced_by_the_fee(
    demo: httpx.Client, world: SandboxServer
) -> None:
    customer = deliverable_customer(world)
    body = create_body(customer)

    order = delivery_data(demo.post(CREATE, json=body))["orders"][0]

    assert (order["type"], order["status_name"], order["payment_type"], order["currency_code"]) == (
        "Delivery", "Created", "cash", "TRY",
    )  # fmt: skip
    assert (order["external_id"], order["customer"]["external_id"], order["payment"]) == (
        body["external_id"], customer, None,
    )  # fmt: skip
    assert (order["price"], order["tax"], order["total"], order["payment_cost"]) == (325, 0, 325, 0)
    assert order["items"] == [
        {
            "product_id": 3000001, "sku": "GAU", "product_name": "Gold - Digital storage",
            "spot_price": float(world.sandbox.feed.quote("GAU", FROZEN_AT).spot),
            "price": 65, "tax_rate": 0, "tax": 0, "amount": 5, "total": 325,
        }
    ]  # fmt: skip
    assert "description" not in order


def test_create_renders_delivery_block_not_yet_synced_nor_shipped(
    demo: httpx.Client, world: SandboxServer
) -> None:
    order = delivery_data(demo.post(CREATE, json=create_body(deliverable_customer(world))))["orders"][0]

    assert order["delivery"] == {
        "status_id": 1, "status_name": "Created", "cargo_tracking_url": None, "cargo_tracking_number": None,
        "sync_status": False,
        "products": [
            {"product_id": 3000001, "sku": "GAU", "product_name": "Gold - Digital storage", "amount": 5}
        ],
    }  # fmt: skip


def test_create_renders_both_addresses_as_sent(demo: httpx.Client, world: SandboxServer) -> None:
    body = create_body(deliverable_customer(world))

    address = delivery_data(demo.post(CREATE, json=body))["orders"][0]["address"]

    shipping = address["shipping"]
    assert address["billing"] == billing_address(company_name=None, tax_office=None, tax_number=None)
    assert shipping == {"id": shipping["id"], "tax_number": None, **shipping_address()}
    assert list(shipping)[:3] == ["id", "external_id", "tax_number"]


def test_create_stores_order_item_addresses_and_request_and_moves_nothing(
    demo: httpx.Client, world: SandboxServer
) -> None:
    body = create_body(deliverable_customer(world, metal=("GAG", Decimal(150))), sku="GAG", amount=150)

    guid = delivery_data(demo.post(CREATE, json=body))["guid"][0]

    (order,) = order_rows(world, body["external_id"])
    with world.sandbox.store.session() as session:
        item = session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).one()
        kinds = session.exec(select(OrderAddress.kind).where(OrderAddress.order_id == order.id)).all()
    assert (order.flow, order.type, order.sync_status, order.description) == (
        "delivery-cash", "Delivery", False, None,
    )  # fmt: skip
    assert (order.price, order.total, order.payment_cost) == (Decimal(270), Decimal(270), Decimal(0))
    assert (item.sku, item.amount, item.price, item.total) == (
        "GAG", Decimal(150), Decimal("1.8"), Decimal(270),
    )  # fmt: skip
    assert sorted(kinds) == ["billing", "shipping"]
    assert [row.kind for row in request_rows(world, body["external_id"])] == ["delivery"]
    assert status_history(world, guid) == [1]
    assert ledger_lines(world, guid) == []


def test_create_in_usd_prices_the_fee_in_usd(demo: httpx.Client, world: SandboxServer) -> None:
    customer = deliverable_customer(world, metal=("GPT", Decimal(12)), cash=("USD", Decimal(100)))
    per_gram = (Decimal(55) / world.sandbox.feed.fx["USD"]).quantize(Decimal("0.01"))
    body = create_body(customer, sku="GPT", amount=10, currency_code="USD")

    data = delivery_data(demo.post(CREATE, json=body))

    item = data["orders"][0]["items"][0]
    assert data["orders"][0]["currency_code"] == "USD"
    assert (Decimal(str(item["price"])), Decimal(str(data["total"]))) == (per_gram, per_gram * 10)


# -- refusals: nothing is written --------------------------------------------------------------------


def test_create_unknown_customer_returns_404(demo: httpx.Client, world: SandboxServer) -> None:
    before = snapshot(world)

    refusal(demo.post(CREATE, json=create_body("NOBODY-123")), 404, "customer_not_found")

    assert snapshot(world) == before


def test_create_for_another_partners_customer_returns_404(world: SandboxServer) -> None:
    customer = deliverable_customer(world)

    with partner_client(world, ACME) as acme:
        refusal(acme.post(CREATE, json=create_body(customer)), 404, "customer_not_found")


@pytest.mark.parametrize("kyc_status", ["pending", "rejected"])
def test_create_without_approved_kyc_returns_403(
    demo: httpx.Client, world: SandboxServer, kyc_status: str
) -> None:
    customer = deliverable_customer(world, kyc_status=kyc_status)
    before = snapshot(world)

    refusal(demo.post(CREATE, json=create_body(customer)), 403, "kyc_required")

    assert snapshot(world) == before


def test_create_reusing_an_external_id_returns_409_and_writes_nothing(
    demo: httpx.Client, world: SandboxServer
) -> None:
    customer = deliverable_customer(world)
    body = create_body(customer, amount=1)
    delivery_data(demo.post(CREATE, json=body))
    before = snapshot(world)

    refusal(demo.post(CREATE, json=body), 409, "duplicate_external_id")

    assert snapshot(world) == before
    assert len(order_rows(world, body["external_id"])) == 1
