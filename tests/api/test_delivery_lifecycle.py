"""A delivery order's money and metal: what a new one may take, what each status holds or takes along
its lifecycle (POST /_sandbox/orders/{guid}/advance), cargo tracking once shipped, cancellation, List
Wallets (POST /partner/delivery/wallets) and delivery paid by card. The ledger invariants hold after
every path. A fee the customer's cash does not cover (profile rule `customer_cash`) is in
test_delivery_create.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.api.delivery_support import (
    CREATE,
    create_body,
    deliverable_customer,
    delivered_order,
    delivery_data,
)
from tests.api.helpers import error_body, field_errors, notices, ok_data, set_profile
from tests.support.clients import partner_client
from tests.support.constants import ACME, DEMO
from tests.support.trading import FROZEN_AT, ledger_lines, refusal, snapshot

WALLETS = "/partner/delivery/wallets"
CREATED, CANCELLED, COMPLETED, PREPARING, PACKED, SHIPPED = 1, 4, 5, 6, 7, 8
TEST_CARD = {"card_holder": "AYSE YILMAZ", "card_number": "4048095010857528", "card_expiry": "12/30",
             "card_cvv": "123", "customer_ip": "127.0.0.1"}  # fmt: skip
NON_3D_CARD = TEST_CARD | {"card_number": "5555555555554444"}


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
        http.headers["Accept-Language"] = "en"
        yield http
    set_profile(world, None)


@pytest.fixture
def control(world: SandboxServer) -> Iterator[httpx.Client]:
    """The sandbox's own API: no Digest."""
    with httpx.Client(base_url=world.url, timeout=30) as http:
        yield http


def deliver(demo: httpx.Client, world: SandboxServer, **body: Any) -> tuple[str, str]:
    """A customer holding 10 g of gold and 1000 TRY asks for 5 g (fee 325 TRY); (customer, guid)."""
    customer = deliverable_customer(world)
    data = delivery_data(demo.post(CREATE, json=create_body(customer, **body)))
    return customer, data["guid"]


def advance(control: httpx.Client, guid: str, to: str | None = None) -> list[str]:
    response = control.post(f"/_sandbox/orders/{guid}/advance", json={"to": to} if to else {})
    return ok_data(response)["entered"]


def holdings(demo: httpx.Client, customer: str, *assets: str) -> dict[str, tuple[float, float, float, float]]:
    """(balance, blocked, soft_blocked_amount, real_balance) of each asset's Customer Balance row."""
    keys = ("balance", "blocked", "soft_blocked_amount", "real_balance")
    rows = ok_data(demo.get(f"/partner/balance/customer/{customer}"))
    return {
        row["currency_code"]: tuple(row[key] for key in keys)
        for row in rows
        if row["currency_code"] in assets
    }


def assert_invariants_clean(control: httpx.Client) -> None:
    assert ok_data(control.get("/_sandbox/invariants"))["violations"] == []


# -- what a new delivery may take: balance minus what open orders hold -----------------------------------


@pytest.mark.parametrize("profile", ["lenient", "strict"])
def test_create_without_enough_metal_returns_422_and_writes_nothing_in_both_profiles(
    demo: httpx.Client, world: SandboxServer, profile: str
) -> None:
    set_profile(world, profile)
    customer = deliverable_customer(world, metal=("GAU", Decimal("4.9999")))
    before = snapshot(world)

    body = error_body(demo.post(CREATE, json=create_body(customer)), 422, "insufficient_balance")

    assert body["data"] == {"error": "insufficient_balance"}
    assert body["message"] == "Insufficient balance (GAU)."
    assert snapshot(world) == before


def test_create_counts_what_open_deliveries_hold(demo: httpx.Client, world: SandboxServer) -> None:
    customer = deliverable_customer(world, cash=("TRY", Decimal(10_000)))
    delivery_data(demo.post(CREATE, json=create_body(customer, amount=6)))

    refused = demo.post(CREATE, json=create_body(customer, amount=5))
    accepted = demo.post(CREATE, json=create_body(customer, amount=4))

    refusal(refused, 422, "insufficient_balance")
    assert delivery_data(accepted)["total"] == 380


# -- holds while open ------------------------------------------------------------------------------------


def test_created_delivery_soft_holds_the_grams_and_the_fee(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client
) -> None:
    customer, _ = deliver(demo, world)

    assert holdings(demo, customer, "GAU", "TRY") == {"GAU": (10, 0, 5, 5), "TRY": (1000, 0, 325, 675)}
    assert_invariants_clean(control)


@pytest.mark.parametrize("status", ["Preparing", "Packed"])
def test_confirmed_delivery_blocks_the_grams_and_the_fee(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client, status: str
) -> None:
    customer, guid = deliver(demo, world)

    advance(control, guid, status)

    assert holdings(demo, customer, "GAU", "TRY") == {"GAU": (10, 5, 0, 5), "TRY": (1000, 325, 0, 675)}
    assert ledger_lines(world, guid) == []
    assert_invariants_clean(control)


def test_advance_without_target_moves_one_step_along_the_happy_path(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client
) -> None:
    _, guid = deliver(demo, world)
    steps = [advance(control, guid) for _ in range(4)]

    assert steps == [["Preparing"], ["Packed"], ["Shipped"], ["Completed"]]


# -- shipping --------------------------------------------------------------------------------------------


def test_shipped_delivery_takes_exactly_the_grams_and_the_fee(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client
) -> None:
    customer, guid = deliver(demo, world)

    assert advance(control, guid, "Shipped") == ["Preparing", "Packed", "Shipped"]

    assert holdings(demo, customer, "GAU", "TRY") == {"GAU": (5, 0, 0, 5), "TRY": (675, 0, 0, 675)}
    assert ledger_lines(world, guid) == [("GAU", Decimal(-5), "delivery"), ("TRY", Decimal(-325), "fee")]
    assert_invariants_clean(control)


def test_shipped_delivery_shows_cargo_tracking_on_get_order(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client
) -> None:
    _, guid = deliver(demo, world)
    advance(control, guid, "Shipped")

    delivery = ok_data(demo.get(f"/partner/order/{guid}"))["delivery"]

    number = delivery["cargo_tracking_number"]
    assert re.fullmatch(r"MNG\d{10}", number)
    assert delivery["cargo_tracking_url"] == f"https://kargo.example.com/takip/{number}"
    assert (delivery["status_id"], delivery["status_name"]) == (SHIPPED, "Shipped")
    assert delivery["sync_status"] is True


def test_completed_delivery_after_shipping_moves_nothing_more(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client
) -> None:
    customer, guid = deliver(demo, world)
    advance(control, guid, "Shipped")

    assert advance(control, guid) == ["Completed"]

    order = ok_data(demo.get(f"/partner/order/{guid}"))
    assert order["status_name"] == "Completed"
    assert order["delivery"]["cargo_tracking_number"] is not None
    assert holdings(demo, customer, "GAU", "TRY") == {"GAU": (5, 0, 0, 5), "TRY": (675, 0, 0, 675)}
    assert len(ledger_lines(world, guid)) == 2
    assert_invariants_clean(control)


def test_shipped_delivery_in_usd_takes_the_fee_from_the_usd_wallet(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client
) -> None:
    customer = deliverable_customer(world, metal=("GAG", Decimal(100)), cash=("USD", Decimal(50)))
    body = create_body(customer, sku="GAG", amount=100, currency_code="USD")
    data = delivery_data(demo.post(CREATE, json=body))
    fee = Decimal(str(data["total"]))

    advance(control, data["guid"], "Shipped")

    assert ledger_lines(world, data["guid"]) == [("GAG", Decimal(-100), "delivery"), ("USD", -fee, "fee")]
    assert holdings(demo, customer, "USD")["USD"][0] == float(50 - fee)
    assert_invariants_clean(control)


# -- cancelling ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["Created", "Preparing", "Packed"])
def test_cancelled_delivery_releases_everything_it_held(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client, status: str
) -> None:
    customer, guid = deliver(demo, world)
    if status != "Created":
        advance(control, guid, status)

    assert advance(control, guid, "Cancelled") == ["Cancelled"]

    assert holdings(demo, customer, "GAU", "TRY") == {"GAU": (10, 0, 0, 10), "TRY": (1000, 0, 0, 1000)}
    assert ledger_lines(world, guid) == []
    assert ok_data(demo.get(f"/partner/order/{guid}"))["delivery"]["cargo_tracking_number"] is None
    assert_invariants_clean(control)


def test_cancelling_a_shipped_delivery_returns_409(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client
) -> None:
    customer, guid = deliver(demo, world)
    advance(control, guid, "Shipped")

    response = control.post(f"/_sandbox/orders/{guid}/advance", json={"to": "Cancelled"})

    error_body(response, 409, "transition_not_allowed")
    assert holdings(demo, customer, "GAU", "TRY") == {"GAU": (5, 0, 0, 5), "TRY": (675, 0, 0, 675)}
    assert_invariants_clean(control)


def test_cancelling_a_completed_delivery_returns_409(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client
) -> None:
    _, guid = deliver(demo, world)
    advance(control, guid, "Completed")
    response = control.post(f"/_sandbox/orders/{guid}/advance", json={"to": "Cancelled"})

    error_body(response, 409, "order_is_final")


# -- List Wallets ----------------------------------------------------------------------------------------


def test_wallets_lists_every_deliverable_metal_including_empty_ones(
    demo: httpx.Client, world: SandboxServer
) -> None:
    customer = deliverable_customer(world, metal=("GAG", Decimal("250.75")))

    rows = ok_data(demo.post(WALLETS, json={"customer_external_id": customer}))

    assert rows == [
        {"sku": "GAU", "product_id": 3000001, "product_name": "Gold - Digital storage", "balance": 0,
         "blocked": 0, "real_balance": 0, "deliverable_amount": 0},
        {"sku": "GAG", "product_id": 3000002, "product_name": "Silver - Digital storage", "balance": 250.75,
         "blocked": 0, "real_balance": 250.75, "deliverable_amount": 250},
        {"sku": "GPT", "product_id": 3000090, "product_name": "Platinum - Digital storage", "balance": 0,
         "blocked": 0, "real_balance": 0, "deliverable_amount": 0},
    ]  # fmt: skip


@pytest.mark.parametrize("status", ["Created", "Packed"])
def test_wallets_subtract_what_open_deliveries_hold(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client, status: str
) -> None:
    customer = deliverable_customer(world, metal=("GAU", Decimal("7.6")))
    guid = delivery_data(demo.post(CREATE, json=create_body(customer, amount=2)))["guid"]
    if status != "Created":
        advance(control, guid, status)

    gold = ok_data(demo.post(WALLETS, json={"customer_external_id": customer}))[0]

    keys = ("balance", "blocked", "real_balance", "deliverable_amount")
    assert [gold[key] for key in keys] == [7.6, 2, 5.6, 5]


def test_wallets_of_an_unknown_customer_returns_404(demo: httpx.Client) -> None:
    refusal(demo.post(WALLETS, json={"customer_external_id": "NOBODY-404"}), 404, "customer_not_found")


def test_wallets_of_another_partners_customer_returns_404(world: SandboxServer) -> None:
    customer = deliverable_customer(world)

    with partner_client(world, ACME) as acme:
        refusal(acme.post(WALLETS, json={"customer_external_id": customer}), 404, "customer_not_found")


def test_wallets_without_customer_returns_422(demo: httpx.Client) -> None:
    assert field_errors(demo.post(WALLETS, json={})) == {"customer_external_id": ["This field is required."]}


# -- paid by card ----------------------------------------------------------------------------------------


def test_card_delivery_waits_for_3d_secure_holding_only_the_grams(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client
) -> None:
    customer = deliverable_customer(world, cash=("TRY", Decimal(0)))

    response = demo.post(CREATE, json=create_body(customer, payment_type="creditcard", payment=TEST_CARD))

    order, payment = delivered_order(demo, response), delivery_data(response)["payment"]
    assert (order["status_name"], order["payment_type"], order["total"]) == ("Pending", "credit-card", 325)
    assert (payment["state"], payment["amount"], payment["redirect_url"]) == (
        "new", 325, f"{world.url}/pay/{payment['token']}",
    )  # fmt: skip
    assert (order["payment_cost"], payment["comission"], payment["total"]) == (10, 0, 325)
    assert notices(response) == []
    assert holdings(demo, customer, "GAU", "TRY") == {"GAU": (10, 0, 5, 5), "TRY": (0, 0, 0, 0)}
    assert_invariants_clean(control)


def test_card_delivery_approved_then_shipped_takes_only_the_grams(
    demo: httpx.Client, world: SandboxServer, control: httpx.Client
) -> None:
    customer = deliverable_customer(world, cash=("TRY", Decimal(0)))
    data = delivery_data(
        demo.post(CREATE, json=create_body(customer, payment_type="creditcard", payment=TEST_CARD))
    )
    guid, token = data["guid"], data["payment"]["token"]

    assert control.post(f"/pay/{token}", data={"action": "approve"}).status_code == 303
    assert ok_data(demo.get(f"/partner/order/{guid}"))["status_name"] == "Payment Confirmed"
    advance(control, guid, "Shipped")

    assert ledger_lines(world, guid) == [("GAU", Decimal(-5), "delivery")]
    assert holdings(demo, customer, "GAU", "TRY") == {"GAU": (5, 0, 0, 5), "TRY": (0, 0, 0, 0)}
    assert_invariants_clean(control)


def test_card_delivery_with_a_non_3d_card_is_confirmed_at_once(
    demo: httpx.Client, world: SandboxServer
) -> None:
    customer = deliverable_customer(world, cash=("TRY", Decimal(0)))

    data = delivery_data(
        demo.post(CREATE, json=create_body(customer, payment_type="creditcard", payment=NON_3D_CARD))
    )

    assert (data["status_name"], data["payment"]["state"]) == ("Payment Confirmed", "success")


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"payment_type": "creditcard"}, {"payment": ["A card payment needs `payment`."]}),
        ({"payment": TEST_CARD}, {"payment": ["This field is not allowed."]}),
    ],
    ids=["card-without-payment", "cash-with-payment"],
)
def test_card_fields_out_of_place_return_422(
    demo: httpx.Client, world: SandboxServer, change: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    body = create_body(deliverable_customer(world)) | change

    assert field_errors(demo.post(CREATE, json=body)) == errors
