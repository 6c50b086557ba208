"""Magic cards, end to end: buy with the card, answer its 3-D Secure page, read the order back.

Approve with an approving card: Pending → Payment Confirmed → Completed, payment `success`, metal
credited. A declining card (after Approve) or the Decline button: payment `fail` with the processor's
error, order Cancelled, nothing credited. The non-3-D card completes inside the buy request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from sandbox.catalog import STATUS_IDS
from sandbox.domain import cards
from sandbox.testing.server import SandboxServer
from tests.api.card_helpers import TEST_CARD, answer, card, card_buy, get_order, save_card, violations
from tests.support.trading import (
    add_customer,
    balance,
    customer_block,
    dec,
    ledger_lines,
    new_id,
    status_history,
)

DECLINES = {
    "4000000000009995": ("51", "Yetersiz bakiye / Insufficient funds"),
    "4000000000009979": ("43", "Çalıntı kart / Stolen card"),
    "4000000000000069": ("54", "Süresi dolmuş kart / Expired card"),
    "4000000000000127": ("82", "Hatalı CVV / Invalid CVV"),
    "4000000000003220": ("3D-01", "3-D Secure doğrulaması başarısız / 3-D Secure authentication failed"),
}
BY_CARDHOLDER = ("3D-02", "İşlem kullanıcı tarafından reddedildi / Declined by the cardholder")
NON_3D = "5555555555554444"
PAID = [STATUS_IDS["Pending"], STATUS_IDS["Payment Confirmed"], STATUS_IDS["Completed"]]
CANCELLED = [STATUS_IDS["Pending"], STATUS_IDS["Cancelled"]]


def test_magic_cards_all_pass_luhn_and_name_a_documented_network() -> None:
    for number in cards.MAGIC_CARDS:
        assert cards.luhn_ok(number), number
        assert cards.association(number) in ("Visa", "Mastercard"), number


# -- approve ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [TEST_CARD, "4111111111111111", "5400610000004581"])
def test_approve_with_approving_card_completes_and_credits_the_metal(
    demo: httpx.Client, trading: SandboxServer, number: str
) -> None:
    gold = balance(trading, asset="GAU")
    data = card_buy(demo, card(number))

    response = answer(data["payment"]["redirect_url"], "approve")

    assert response.status_code == 303
    assert response.headers["location"] == f"/pay/{data['payment']['token']}/callback/success"
    order = get_order(demo, data["guid"][0])
    payment = order["payment"]
    assert (order["status_name"], payment["state"], payment["redirect_url"]) == ("Completed", "success", None)
    assert re.fullmatch(r"\d{12}", payment["transaction_id"])
    assert (payment["error_code"], payment["error_message"]) == (None, None)
    assert balance(trading, asset="GAU") == gold + Decimal("0.5")
    assert status_history(trading, data["guid"][0]) == PAID
    assert violations(demo) == []


@pytest.fixture
def manual_card_buys(trading: SandboxServer) -> Iterator[None]:
    """Card buys wait at every step for POST /_sandbox/orders/{ref}/advance (then immediate again)."""
    mode = f"{trading.url}/_sandbox/lifecycles/buy-card/mode"
    assert httpx.put(mode, json={"mode": "manual"}).status_code == 200
    yield
    assert httpx.put(mode, json={"mode": "immediate"}).status_code == 200


def test_approved_payment_has_no_transaction_id_until_the_order_completes(
    demo: httpx.Client, trading: SandboxServer, manual_card_buys: None
) -> None:
    """documented (api-4295600): a successful payment gets its transaction id when its order completes."""
    data = card_buy(demo)
    answer(data["payment"]["redirect_url"], "approve")
    confirmed = get_order(demo, data["guid"][0])

    moved = httpx.post(f"{trading.url}/_sandbox/orders/{data['guid'][0]}/advance", json={})

    assert moved.status_code == 200, moved.text
    completed = get_order(demo, data["guid"][0])
    assert (confirmed["status_name"], confirmed["payment"]["state"]) == ("Payment Confirmed", "success")
    assert confirmed["payment"]["transaction_id"] is None
    assert completed["status_name"] == "Completed"
    assert re.fullmatch(r"\d{12}", completed["payment"]["transaction_id"])


def test_approve_credits_only_metal_never_cash(demo: httpx.Client, trading: SandboxServer) -> None:
    data = card_buy(demo)

    answer(data["payment"]["redirect_url"], "approve")

    assert ledger_lines(trading, data["guid"][0]) == [("GAU", Decimal("0.5"), "buy")]


def test_approve_keeps_amount_and_commission_of_the_buy(demo: httpx.Client) -> None:
    data = card_buy(demo, card(installment=9))

    answer(data["payment"]["redirect_url"], "approve")

    payment = get_order(demo, data["guid"][0])["payment"]
    for key in ("amount", "comission", "total", "token"):
        assert payment[key] == data["payment"][key]


# -- declines -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", list(DECLINES))
def test_approve_with_declining_card_cancels_with_the_processor_error(
    demo: httpx.Client, trading: SandboxServer, number: str
) -> None:
    gold = balance(trading, asset="GAU")
    data = card_buy(demo, card(number))

    response = answer(data["payment"]["redirect_url"], "approve")

    assert response.headers["location"] == f"/pay/{data['payment']['token']}/callback/fail"
    order = get_order(demo, data["guid"][0])
    payment = order["payment"]
    assert (order["status_name"], payment["state"]) == ("Cancelled", "fail")
    assert (payment["error_code"], payment["error_message"]) == DECLINES[number]
    assert (payment["transaction_id"], payment["redirect_url"]) == (None, None)
    assert balance(trading, asset="GAU") == gold
    assert ledger_lines(trading, data["guid"][0]) == []
    assert status_history(trading, data["guid"][0]) == CANCELLED
    assert violations(demo) == []


@pytest.mark.parametrize("number", [TEST_CARD, "4000000000009995"])
def test_decline_button_cancels_with_3d_02(demo: httpx.Client, trading: SandboxServer, number: str) -> None:
    data = card_buy(demo, card(number))

    response = answer(data["payment"]["redirect_url"], "decline")

    assert response.headers["location"] == f"/pay/{data['payment']['token']}/callback/fail"
    order = get_order(demo, data["guid"][0])
    assert (order["status_name"], order["payment"]["state"]) == ("Cancelled", "fail")
    assert (order["payment"]["error_code"], order["payment"]["error_message"]) == BY_CARDHOLDER
    assert ledger_lines(trading, data["guid"][0]) == []
    assert violations(demo) == []


# -- non-3-D ----------------------------------------------------------------------------------------------


def test_non_3d_card_completes_within_the_buy_request(demo: httpx.Client, trading: SandboxServer) -> None:
    gold = balance(trading, asset="GAU")

    data = card_buy(demo, card(NON_3D))

    order, payment = data["orders"][0], data["payment"]
    assert order["status_name"] == "Completed"
    assert (payment["state"], payment["is_3d"], payment["auth_mode"], payment["redirect_url"]) == (
        "success",
        False,
        "non3d",
        None,
    )
    assert re.fullmatch(r"\d{12}", payment["transaction_id"])
    assert payment["details"]["card_number"] == "555555******4444"
    assert balance(trading, asset="GAU") == gold + Decimal("0.5")
    assert status_history(trading, data["guid"][0]) == PAID
    assert violations(demo) == []


def test_non_3d_card_payment_page_redirects_to_success(demo: httpx.Client, trading: SandboxServer) -> None:
    token = card_buy(demo, card(NON_3D))["payment"]["token"]

    response = httpx.get(f"{trading.url}/pay/{token}")

    assert (response.status_code, response.headers["location"]) == (303, f"/pay/{token}/callback/success")


def test_non_3d_card_commission_is_charged_like_any_other(demo: httpx.Client) -> None:
    payment = card_buy(demo, card(NON_3D, installment=6))["payment"]

    assert dec(payment["total"]) == dec(payment["amount"]) + dec(payment["comission"])
    assert dec(payment["comission"]) > 0


# -- stored magic cards and refunds ---------------------------------------------------------------------


def test_stored_declining_magic_card_declines_after_approve(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = new_id("MAG")
    add_customer(trading, customer)
    token = save_card(demo, customer, "4000000000009995")
    data = card_buy(demo, {"card_token": token, "card_cvv": "000"}, customer={"external_id": customer})

    answer(data["payment"]["redirect_url"], "approve")

    assert get_order(demo, data["guid"][0])["payment"]["error_code"] == "51"


def test_stored_non_3d_card_completes_within_the_buy_request(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = new_id("N3D")
    add_customer(trading, customer)
    token = save_card(demo, customer, NON_3D)

    data = card_buy(demo, {"card_token": token, "card_cvv": "000"}, customer={"external_id": customer})

    assert (data["orders"][0]["status_name"], data["payment"]["auth_mode"]) == ("Completed", "non3d")
    assert balance(trading, customer_external_id=customer, asset="GAU") == Decimal("0.5")


def test_approve_for_a_customer_credits_the_customer_not_the_partner(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer, partner_gold = new_id("B2C"), balance(trading, asset="GAU")
    data = card_buy(demo, customer=customer_block(customer))

    answer(data["payment"]["redirect_url"], "approve")

    assert balance(trading, customer_external_id=customer, asset="GAU") == Decimal("0.5")
    assert balance(trading, customer_external_id=customer, asset="TRY") == 0
    assert balance(trading, asset="GAU") == partner_gold
    assert violations(demo) == []


def test_refund_of_an_approved_card_order_takes_the_metal_back(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    data = card_buy(demo)
    answer(data["payment"]["redirect_url"], "approve")

    moved = demo.post(f"/_sandbox/orders/{data['guid'][0]}/refund", json={})

    assert moved.status_code == 200, moved.text
    order = get_order(demo, data["guid"][0])
    assert (order["status_name"], order["payment"]["state"]) == ("Refunded", "refunded")
    assert dec(order["payment"]["refunded_amount"]) == dec(order["payment"]["total"])
    assert ledger_lines(trading, data["guid"][0]) == [
        ("GAU", Decimal("0.5"), "buy"),
        ("GAU", Decimal("-0.5"), "refund"),
    ]
    assert violations(demo) == []
