"""Card Payment Buy (documented, api-4434391): `payment_type: creditcard` with the card or a stored card's
token. The order starts Pending with a `new` 3-D payment, moves no cash and credits nothing until the
cardholder answers; every refused request writes nothing. The card helpers are in card_helpers.py.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.api.card_helpers import (
    AMEX,
    GAU_HALF,
    MASTERCARD,
    TEST_CARD,
    TROY_DEBIT,
    card,
    card_body,
    card_buy,
    payment_count,
    save_card,
    violations,
)
from tests.api.helpers import ok_data
from tests.support import postgres
from tests.support.trading import (
    BUY,
    add_customer,
    balance,
    customer_block,
    customer_row,
    dec,
    new_id,
    order_data,
    refusal,
    snapshot,
    token_row,
)

# -- fixtures -------------------------------------------------------------------------------------------


# -- happy paths ----------------------------------------------------------------------------------------


def test_card_buy_b2b_starts_pending_with_a_new_3d_payment(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    data = card_buy(demo)

    order, payment = data["orders"][0], data["payment"]
    assert (order["status_name"], order["payment_type"], order["customer"]) == (
        "Pending",
        "credit-card",
        None,
    )
    assert (payment["state"], payment["is_3d"], payment["auth_mode"]) == ("new", True, "3d")
    assert re.fullmatch(r"[A-Za-z0-9]{32}", payment["token"])
    assert payment["redirect_url"] == f"{trading.url}/pay/{payment['token']}"
    assert payment["details"] == {
        "card_holder": "John Due",
        "card_number": "404809******7528",
        "card_expiry": "05/28",
        "card_cvv": "***",
        "card_association": "Visa",
        "customer_ip": "127.0.0.1",
    }
    assert (payment["transaction_id"], payment["error_code"], payment["order_reference"]) == (
        None,
        None,
        order["external_id"],
    )


def test_card_buy_response_adds_the_payment_after_orders(demo: httpx.Client) -> None:
    data = card_buy(demo)

    assert list(data) == ["order_code", "guid", "price", "tax", "total", "order_at", "orders", "payment"]
    assert data["payment"] == data["orders"][0]["payment"]


def test_card_buy_credit_card_spelling_is_accepted(demo: httpx.Client) -> None:
    data = card_buy(demo, payment_type="credit-card")

    assert data["orders"][0]["payment_type"] == "credit-card"


def test_card_buy_moves_no_cash_and_credits_no_metal_while_pending(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    cash, gold = balance(trading, asset="TRY"), balance(trading, asset="GAU")

    card_buy(demo)

    assert (balance(trading, asset="TRY"), balance(trading, asset="GAU")) == (cash, gold)
    assert violations(demo) == []


PAYMENT_KEYS = [
    "token", "transaction_id", "order_reference", "amount", "comission", "total", "refunded_amount",
    "error_code", "error_message", "state", "details", "redirect_url", "is_3d", "auth_mode",
]  # fmt: skip
DETAILS_KEYS = ["card_cvv", "card_expiry", "card_holder", "card_number", "customer_ip", "card_association"]


def test_card_buy_payment_keys_in_documented_order(demo: httpx.Client) -> None:
    payment = card_buy(demo)["payment"]

    assert (list(payment), list(payment["details"])) == (PAYMENT_KEYS, DETAILS_KEYS)


@pytest.mark.parametrize("installment", [1, 6])
def test_card_buy_payment_cost_is_10_and_in_no_total(demo: httpx.Client, installment: int) -> None:
    """documented (Card Payment Get Order): a card order's `payment_cost` is 10, whatever it costs."""
    data = card_buy(demo, card(MASTERCARD, installment=installment))

    order = data["orders"][0]
    assert order["payment_cost"] == 10
    assert dec(order["total"]) == dec(order["price"]) == dec(data["total"]) == dec(data["payment"]["amount"])


def test_card_buy_single_installment_has_no_commission(demo: httpx.Client) -> None:
    """documented (Card Payment Get Order): one installment has `comission: 0`."""
    data = card_buy(demo, card(MASTERCARD, installment=1))

    payment = data["payment"]
    assert (payment["comission"], payment["total"]) == (0, payment["amount"])
    assert payment["amount"] == data["orders"][0]["total"]


def test_card_buy_installments_add_their_commission_to_the_payment_total(demo: httpx.Client) -> None:
    data = card_buy(demo, card(MASTERCARD, installment=6))

    payment = data["payment"]
    assert dec(payment["amount"]) == dec(data["orders"][0]["total"])
    assert dec(payment["total"]) == dec(payment["amount"]) + dec(payment["comission"])
    assert dec(payment["comission"]) > 0


@pytest.mark.parametrize(
    ("number", "installment"), [(TEST_CARD, 1), (TEST_CARD, 12), (MASTERCARD, 3), (TROY_DEBIT, 1), (AMEX, 1)]
)
def test_card_buy_commission_equals_the_bin_query_row(
    demo: httpx.Client, number: str, installment: int
) -> None:
    payment = card_buy(demo, card(number, installment=installment))["payment"]

    rows = ok_data(demo.post("/partner/payment/bin", json={"bin": number[:8], "total": payment["amount"]}))
    row = next(row for row in rows["installments"] if row["installment"] == installment)
    assert (payment["comission"], payment["total"]) == (row["comission"], row["total"])


def test_card_buy_masks_a_15_digit_amex_with_five_stars(demo: httpx.Client) -> None:
    details = card_buy(demo, card(AMEX))["payment"]["details"]

    assert (details["card_number"], details["card_association"]) == ("374245*****0126", "Amex")


def test_card_buy_number_with_spaces_and_current_month_expiry_succeeds(demo: httpx.Client) -> None:
    payment = card_buy(demo, card("4048 0950 1085 7528", card_expiry="03/25"))["payment"]

    assert (payment["details"]["card_number"], payment["details"]["card_expiry"]) == (
        "404809******7528",
        "03/25",
    )


def test_card_buy_from_total_price_pays_the_topup(demo: httpx.Client) -> None:
    data = card_buy(demo, items=[{"sku": "GAG", "topup": {"price": 500}}])

    assert 499 < data["payment"]["amount"] <= 500


def test_card_buy_keeps_no_full_card_number_anywhere(demo: httpx.Client, trading: SandboxServer) -> None:
    card_buy(demo, card("4000000000000002"))

    dump = postgres.database_text(trading.sandbox.store)
    assert "4000000000000002" not in dump
    assert "400000******0002" in dump


def test_card_buy_new_customer_is_created_from_the_block(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = new_id("NCC")

    data = card_buy(demo, customer=customer_block(customer))

    assert data["orders"][0]["customer"]["external_id"] == customer
    assert customer_row(trading, customer) is not None
    assert balance(trading, customer_external_id=customer, asset="TRY") == 0


def test_card_buy_with_stored_card_token_charges_that_card(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = new_id("TOK")
    add_customer(trading, customer)
    token = save_card(demo, customer, MASTERCARD)

    payment = card_buy(
        demo, {"card_token": token, "card_cvv": "123", "installment": 2}, customer={"external_id": customer}
    )["payment"]

    assert payment["details"]["card_number"] == "540061******4581"
    assert (payment["details"]["card_association"], payment["details"]["card_holder"]) == (
        "Mastercard",
        "John Due",
    )
    assert payment["state"] == "new"


# -- refusals ---------------------------------------------------------------------------------------------

NO_CVV = {k: v for k, v in card().items() if k != "card_cvv"}
INVALID: dict[str, tuple[dict[str, Any], str]] = {
    # case: (changes to a valid card buy, the one field data.errors names); all 422 validation_failed
    "bad-luhn": ({"payment": card("4048095010857529")}, "payment.card_number"),
    "letters": ({"payment": card("4048O95010857528")}, "payment.card_number"),
    "12-digits": ({"payment": card("404809501085")}, "payment.card_number"),
    "no-documented-network": ({"payment": card("6011000000000004")}, "payment.card_number"),
    "past-expiry": ({"payment": card(card_expiry="02/25")}, "payment.card_expiry"),
    "month-13": ({"payment": card(card_expiry="13/28")}, "payment.card_expiry"),
    "expiry-no-slash": ({"payment": card(card_expiry="0528")}, "payment.card_expiry"),
    "visa-4-digit-cvv": ({"payment": card(card_cvv="1234")}, "payment.card_cvv"),
    "amex-3-digit-cvv": ({"payment": card(AMEX, card_cvv="123")}, "payment.card_cvv"),
    "cvv-letters": ({"payment": card(card_cvv="12a")}, "payment.card_cvv"),
    "no-cvv": ({"payment": NO_CVV}, "payment.card_cvv"),
    "several-items": ({"items": [*GAU_HALF, {"sku": "GAG", "amount": 1}]}, "items"),
    "no-payment": ({"payment": None}, "payment"),
    "card-and-token": ({"payment": card(card_token="x" * 32)}, "payment"),
    "neither-card-nor-token": ({"payment": {"card_cvv": "000"}}, "payment"),
    "no-holder": ({"payment": card(card_holder=None)}, "payment.card_holder"),
    "installment-not-offered": ({"payment": card(installment=4)}, "payment.installment"),
    "installment-13": ({"payment": card(installment=13)}, "payment.installment"),
    "debit-card-installments": ({"payment": card(TROY_DEBIT, installment=2)}, "payment.installment"),
    "amex-installments": ({"payment": card(AMEX, installment=3)}, "payment.installment"),
    "bad-customer-ip": ({"payment": card(customer_ip="localhost")}, "payment.customer_ip"),
    "payment-with-cash": ({"payment_type": "cash", "payment": card()}, "payment"),
    "unknown-payment-type": ({"payment_type": "paypal"}, "payment_type"),
}


def refused_body(demo: httpx.Client, change: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in {**card_body(demo, card()), **change}.items() if v is not None}


@pytest.mark.parametrize("case", list(INVALID))
def test_card_buy_invalid_returns_422_on_its_field_and_writes_nothing(
    demo: httpx.Client, trading: SandboxServer, case: str
) -> None:
    change, field = INVALID[case]
    body = refused_body(demo, change)
    before, payments = snapshot(trading), payment_count(trading)

    data = refusal(demo.post(BUY, json=body), 422, "validation_failed")

    assert list(data["errors"]) == [field]
    assert (snapshot(trading), payment_count(trading)) == (before, payments)
    assert token_row(trading, body["price_token"]).used_at is None


def test_card_buy_several_items_message_in_english(demo: httpx.Client) -> None:
    body = card_body(demo, card(), items=[*GAU_HALF, *GAU_HALF])

    data = refusal(demo.post(BUY, json=body, headers={"Accept-Language": "en"}), 422, "validation_failed")

    assert data["errors"] == {"items": ["A card payment pays for one item per request."]}


def test_card_buy_names_every_broken_card_field_at_once(demo: httpx.Client) -> None:
    body = card_body(demo, card(AMEX, installment=3, card_expiry="01/25", card_cvv="12"))

    data = refusal(demo.post(BUY, json=body, headers={"Accept-Language": "en"}), 422, "validation_failed")

    assert data["errors"] == {
        "payment.card_expiry": ["The card has expired."],
        "payment.card_cvv": ["Must be 3 or 4 digits."],
        "payment.installment": ["Installments available for this card: 1."],
    }


def test_card_buy_token_for_b2b_returns_404_and_writes_nothing(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    """Stored cards belong to customers: a B2B request has no customer whose card could be found."""
    body = card_body(demo, {"card_token": "x" * 32, "card_cvv": "000"})
    before, payments = snapshot(trading), payment_count(trading)

    refusal(demo.post(BUY, json=body), 404, "card_token_not_found")

    assert (snapshot(trading), payment_count(trading)) == (before, payments)


def test_card_buy_token_of_another_customer_returns_404(demo: httpx.Client, trading: SandboxServer) -> None:
    owner, other = new_id("OWN"), new_id("OTH")
    add_customer(trading, owner)
    add_customer(trading, other)
    token = save_card(demo, owner)
    body = card_body(demo, {"card_token": token, "card_cvv": "000"}, customer={"external_id": other})
    before, payments = snapshot(trading), payment_count(trading)

    refusal(demo.post(BUY, json=body), 404, "card_token_not_found")

    assert (snapshot(trading), payment_count(trading)) == (before, payments)


def test_card_buy_unknown_token_returns_404(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = new_id("UNK")
    add_customer(trading, customer)
    body = card_body(demo, {"card_token": "Z" * 32, "card_cvv": "000"}, customer={"external_id": customer})

    refusal(demo.post(BUY, json=body), 404, "card_token_not_found")


def test_card_buy_token_with_wrong_cvv_length_returns_422(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = new_id("CVV")
    add_customer(trading, customer)
    body = card_body(
        demo,
        {"card_token": save_card(demo, customer), "card_cvv": "0000"},
        customer={"external_id": customer},
    )

    assert sorted(refusal(demo.post(BUY, json=body), 422, "validation_failed")["errors"]) == [
        "payment.card_cvv"
    ]


def test_card_buy_refused_then_corrected_with_same_token_and_external_id_succeeds(demo: httpx.Client) -> None:
    body = card_body(demo, card(card_expiry="02/25"))
    refusal(demo.post(BUY, json=body), 422, "validation_failed")

    data = order_data(demo.post(BUY, json={**body, "payment": card()}))

    assert data["orders"][0]["external_id"] == body["external_id"]
