"""Delivery Create paid with cash (POST /partner/delivery/create): the one order it answers in the shape
its page documents, the order Get Order then shows, what it writes, and its refusals (customer;
idempotency; KYC and the fee from the customer's cash, profile rules `kyc_approved` and
`customer_cash`, under each profile). Address acceptance and each address field's refusal are in
test_delivery_addresses.py, metal refusals in test_delivery_lifecycle.py, sku/amount rules in
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
    delivered_order,
    delivery_data,
    shipping_address,
)
from tests.api.helpers import notices, set_profile
from tests.support.clients import partner_client
from tests.support.constants import ACME, DEMO
from tests.support.trading import (
    FROZEN_AT,
    available,
    balance,
    cents,
    dec,
    ledger_lines,
    order_rows,
    refusal,
    request_rows,
    snapshot,
    status_history,
    wallet_entries,
    wallets_match_ledger,
)

FROZEN_ISO = "2025-03-10T12:30:15+03:00"

# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def world(trading: SandboxServer) -> SandboxServer:
    """The session server on a fresh world, its clock frozen (tests/support/fixtures.py)."""
    return trading


@pytest.fixture(autouse=True)
def at_frozen_instant(world: SandboxServer) -> None:
    world.sandbox.clock.freeze(FROZEN_AT)


@pytest.fixture
def demo(world: SandboxServer) -> Iterator[httpx.Client]:
    """The demo partner: lenient (the server's default) unless a test switches it with `set_profile`;
    it is back at the default after every test."""
    with partner_client(world, DEMO) as http:
        http.headers.update(ENGLISH)
        yield http
    set_profile(world, None)


# -- the answer: one order in the documented (older) shape of Delivery Create's page ---------------------


def test_create_answers_one_order_in_the_documented_shape(demo: httpx.Client, world: SandboxServer) -> None:
    data = delivery_data(demo.post(CREATE, json=create_body(deliverable_customer(world))))

    assert list(data) == [
        "id", "guid", "order_code", "external_id", "channel", "tx_type", "price_token", "price", "tax",
        "total", "currency_rate", "currency_total", "status_id", "status_name", "order_at", "items",
        "customer", "payment", "delivery", "address",
    ]  # fmt: skip
    assert (data["external_id"], data["channel"], data["tx_type"], data["price_token"]) == (
        None, "web", "delivery", None,
    )  # fmt: skip
    assert (data["price"], data["tax"], data["total"], data["currency_rate"], data["currency_total"]) == (
        325, 0, 325, 1, 325,
    )  # fmt: skip
    assert (data["status_id"], data["status_name"], data["order_at"]) == (1, "Created", FROZEN_ISO)


def test_create_answer_items_carry_the_metal_and_the_fee(demo: httpx.Client, world: SandboxServer) -> None:
    data = delivery_data(demo.post(CREATE, json=create_body(deliverable_customer(world))))

    assert data["items"] == [
        {
            "item_currency_id": 1000004, "item_currency_name": "Gold", "product_id": 3000001,
            "product_name": "Gold - Digital storage", "product_weight": 1, "spot_price": 0, "price": 0,
            "tax_rate": 0, "tax": 0, "amount": 5, "total": 325, "currency_id": 1000003, "currency_rate": 1,
            "currency_total": 325,
        }
    ]  # fmt: skip


def test_create_answer_channel_is_the_x_client_id(demo: httpx.Client, world: SandboxServer) -> None:
    body = create_body(deliverable_customer(world))

    data = delivery_data(demo.post(CREATE, json=body, headers={"x-client-id": "ios"}))

    assert data["channel"] == "ios"


def test_create_answer_and_get_order_name_the_same_order(demo: httpx.Client, world: SandboxServer) -> None:
    response = demo.post(CREATE, json=create_body(deliverable_customer(world)))

    data, order = delivery_data(response), delivered_order(demo, response)

    assert (order["guid"], order["order_code"]) == (data["guid"], data["order_code"])
    blocks = ("customer", "payment", "delivery", "address")
    assert {key: data[key] for key in blocks} == {key: order[key] for key in blocks}


def test_create_makes_a_created_cash_delivery_order_priced_by_the_fee(
    demo: httpx.Client, world: SandboxServer
) -> None:
    customer = deliverable_customer(world)
    body = create_body(customer)

    order = delivered_order(demo, demo.post(CREATE, json=body))

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
    data = delivery_data(demo.post(CREATE, json=create_body(deliverable_customer(world))))

    assert data["delivery"] == {
        "status_id": 1, "status_name": "Created", "cargo_tracking_url": None, "cargo_tracking_number": None,
        "sync_status": False,
        "products": [
            {"product_id": 3000001, "sku": "GAU", "product_name": "Gold - Digital storage", "amount": 5}
        ],
    }  # fmt: skip


def test_create_renders_both_addresses_as_sent(demo: httpx.Client, world: SandboxServer) -> None:
    body = create_body(deliverable_customer(world))

    address = delivery_data(demo.post(CREATE, json=body))["address"]

    shipping = address["shipping"]
    assert address["billing"] == billing_address(company_name=None, tax_office=None, tax_number=None)
    assert shipping == {"id": shipping["id"], "tax_number": None, "company_name": None, **shipping_address()}
    assert list(shipping)[:3] == ["id", "external_id", "tax_number"]
    assert list(shipping)[-1] == "company_name"


def test_create_stores_order_item_addresses_and_request_and_moves_nothing(
    demo: httpx.Client, world: SandboxServer
) -> None:
    body = create_body(deliverable_customer(world, metal=("GAG", Decimal(150))), sku="GAG", amount=150)

    guid = delivery_data(demo.post(CREATE, json=body))["guid"]

    (order,) = order_rows(world, body["external_id"])
    with world.sandbox.store.session() as session:
        item = session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).one()
        kinds = session.exec(select(OrderAddress.kind).where(OrderAddress.order_id == order.id)).all()
    assert (order.guid, order.flow, order.type, order.sync_status, order.description) == (
        guid, "delivery-cash", "Delivery", False, None,
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
    rate = world.sandbox.feed.fx["USD"]
    per_gram = cents(Decimal(55) / rate)
    body = create_body(customer, sku="GPT", amount=10, currency_code="USD")

    response = demo.post(CREATE, json=body)

    data, order = delivery_data(response), delivered_order(demo, response)
    assert order["currency_code"] == "USD"
    assert (dec(order["items"][0]["price"]), dec(data["total"])) == (per_gram, per_gram * 10)
    assert (data["currency_rate"], data["items"][0]["currency_id"]) == (float(rate), 1000000)
    assert dec(data["currency_total"]) == cents(per_gram * 10 * rate)


# -- refusals: nothing is written --------------------------------------------------------------------


def test_create_unknown_customer_returns_404(demo: httpx.Client, world: SandboxServer) -> None:
    before = snapshot(world)

    refusal(demo.post(CREATE, json=create_body("NOBODY-123")), 404, "customer_not_found")

    assert snapshot(world) == before


def test_create_for_another_partners_customer_returns_404(world: SandboxServer) -> None:
    customer = deliverable_customer(world)

    with partner_client(world, ACME) as acme:
        refusal(acme.post(CREATE, json=create_body(customer)), 404, "customer_not_found")


def test_strict_create_for_a_pending_kyc_returns_403_and_writes_nothing(
    demo: httpx.Client, world: SandboxServer
) -> None:
    set_profile(world, "strict")
    customer = deliverable_customer(world, kyc_status="pending")
    before = snapshot(world)

    refusal(demo.post(CREATE, json=create_body(customer)), 403, "kyc_required")

    assert snapshot(world) == before


def test_lenient_create_for_a_pending_kyc_makes_the_order_with_a_notice(
    demo: httpx.Client, world: SandboxServer
) -> None:
    body = create_body(deliverable_customer(world, kyc_status="pending"))

    response = demo.post(CREATE, json=body)

    assert delivery_data(response)["status_name"] == "Created"
    assert notices(response) == ["kyc_approved: customer KYC is pending"]
    assert len(order_rows(world, body["external_id"])) == 1


@pytest.mark.parametrize("profile", ["lenient", "strict"])
def test_create_for_a_rejected_kyc_returns_403_in_both_profiles(
    demo: httpx.Client, world: SandboxServer, profile: str
) -> None:
    set_profile(world, profile)
    customer = deliverable_customer(world, kyc_status="rejected")
    before = snapshot(world)

    refusal(demo.post(CREATE, json=create_body(customer)), 403, "kyc_rejected")

    assert snapshot(world) == before


# -- the fee from the customer's cash (profile rule `customer_cash`) -------------------------------------


@pytest.mark.parametrize(
    ("cash", "currency"),
    [(Decimal("324.99"), "TRY"), (Decimal(0), "TRY"), (Decimal(100_000), "USD")],
    ids=["short-by-a-cent", "no-cash-wallet", "try-cash-for-a-usd-fee"],
)
def test_strict_create_without_enough_cash_for_the_fee_returns_422_and_writes_nothing(
    demo: httpx.Client, world: SandboxServer, cash: Decimal, currency: str
) -> None:
    set_profile(world, "strict")
    customer = deliverable_customer(world, cash=("TRY", cash))
    before = snapshot(world)

    response = demo.post(CREATE, json=create_body(customer, currency_code=currency))

    assert refusal(response, 422, "insufficient_balance") == {"error": "insufficient_balance"}
    assert response.json()["message"] == f"Insufficient balance ({currency})."
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("cash", "settled", "funding"),
    [
        (Decimal("324.99"), "0.01", [(Decimal("324.99"), "deposit", "test funding")]),
        (Decimal(0), "325.00", []),
    ],
    ids=["short-by-a-cent", "no-cash-wallet"],
)
def test_lenient_create_without_enough_cash_has_the_partner_settle_the_rest_of_the_fee(
    demo: httpx.Client, world: SandboxServer, cash: Decimal, settled: str, funding: list[tuple]
) -> None:
    customer = deliverable_customer(world, cash=("TRY", cash))

    response = demo.post(CREATE, json=create_body(customer))

    assert delivery_data(response)["status_name"] == "Created"
    assert notices(response) == [
        f"customer_cash: the partner settled {settled} TRY the customer's cash wallet lacked"
    ]
    settlement = (Decimal(325) - cash, "deposit", "partner settlement")
    assert wallet_entries(world, customer, "TRY") == [*funding, settlement]
    assert balance(world, customer_external_id=customer) == Decimal(325)
    assert available(world, customer_external_id=customer) == Decimal(0)
    assert wallets_match_ledger(world)


def test_lenient_create_in_usd_without_usd_cash_has_the_partner_settle_the_fee_in_usd(
    demo: httpx.Client, world: SandboxServer
) -> None:
    customer = deliverable_customer(world, cash=("TRY", Decimal(100_000)))

    response = demo.post(CREATE, json=create_body(customer, currency_code="USD"))

    fee = dec(delivery_data(response)["total"])
    assert notices(response) == [
        f"customer_cash: the partner settled {fee:.2f} USD the customer's cash wallet lacked"
    ]
    assert wallet_entries(world, customer, "USD") == [(fee, "deposit", "partner settlement")]
    assert balance(world, customer_external_id=customer) == Decimal(100_000)


# -- idempotency -------------------------------------------------------------------------------------


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
