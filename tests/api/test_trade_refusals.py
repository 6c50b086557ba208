"""Buy and sell refusals of one shape: every error key a side has returns its status, key and fields,
writes nothing (no order, no order request, no ledger entry, no customer, token unused), and the
corrected request with the same token and the same external_id then succeeds.

The partners are on the strict profile (sandbox/core/profile.py), so the rules the docs do not state
(the token's customer and currency, the identity checksum, a pending KYC, unknown fields, a customer's
cash) refuse here too; what a lenient partner gets instead is in test_buy_tokens.py, test_buy_b2b2c.py
and test_sell.py. The refusals only one side has (exact cash, races, token lifecycle) are in
test_buy_failures.py and test_sell_failures.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.support.trading import (
    BUY,
    SELL,
    add_customer,
    available,
    balance,
    customer_block,
    dec,
    fix_price,
    fund,
    funded_customer,
    new_id,
    order_data,
    refusal,
    set_kyc,
    snapshot,
    token_row,
)

ONE_GRAM = [{"sku": "GAU", "amount": 1}]


@pytest.fixture
def trading(strict_trading: SandboxServer) -> SandboxServer:
    return strict_trading


@dataclass
class Refused:
    """A refused order and its correction: both use the same token and external_id."""

    status: int
    key: str
    fields: list[str] | None  # the keys of data.errors; None when the error has none
    bad: dict[str, Any]
    good: dict[str, Any]
    correct: Callable[[], None] = lambda: None  # state the partner fixes between the two requests


# -- buy ----------------------------------------------------------------------------------------------


def buy_order_body(token: str, items: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    return {"price_token": token, "external_id": new_id("REF"), "items": items, **body}


def _buy_other_customer(trading: SandboxServer, demo: httpx.Client) -> Refused:
    mine, other = funded_customer(trading), funded_customer(trading)
    bad = buy_order_body(fix_price(demo, customer_external_id=mine)["token"], [{"sku": "GAU", "amount": 0.1}])
    return Refused(
        403,
        "price_token_customer_mismatch",
        None,
        {**bad, "customer": {"external_id": other}},
        {**bad, "customer": {"external_id": mine}},
    )


def _buy_customer_token_for_b2b(trading: SandboxServer, demo: httpx.Client) -> Refused:
    mine = funded_customer(trading)
    bad = buy_order_body(fix_price(demo, customer_external_id=mine)["token"], [{"sku": "GAU", "amount": 0.1}])
    return Refused(
        403,
        "price_token_customer_mismatch",
        None,
        bad,
        {**bad, "customer": {"external_id": mine}},
    )


def _buy_customer_token_for_new_customer(trading: SandboxServer, demo: httpx.Client) -> Refused:
    mine = funded_customer(trading)
    bad = buy_order_body(fix_price(demo, customer_external_id=mine)["token"], [{"sku": "GAU", "amount": 0.1}])
    return Refused(
        403,
        "price_token_customer_mismatch",
        None,
        {**bad, "customer": customer_block(new_id("NEW"))},
        {**bad, "customer": {"external_id": mine}},
    )


def _buy_currency_mismatch(trading: SandboxServer, demo: httpx.Client) -> Refused:
    bad = buy_order_body(fix_price(demo)["token"], [{"sku": "GAU", "amount": 0.1}], currency_code="USD")
    return Refused(
        422,
        "price_token_currency_mismatch",
        ["currency_code"],
        bad,
        {**bad, "currency_code": "TRY"},
    )


def _buy_new_customer(
    *drop: str, key: str = "new_customer_invalid", **change: Any
) -> Callable[[SandboxServer, httpx.Client], Refused]:
    """An unknown customer whose block cannot create it; corrected by naming a known, funded customer."""

    def prepare(trading: SandboxServer, demo: httpx.Client) -> Refused:
        block = {k: v for k, v in customer_block(new_id("NEW")).items() if k not in drop} | change
        bad = buy_order_body(fix_price(demo)["token"], [{"sku": "GAG", "amount": 1}], customer=block)
        fields = sorted(f"customer.{name}" for name in (*drop, *change))
        return Refused(
            422,
            key,
            fields,
            bad,
            {**bad, "customer": {"external_id": funded_customer(trading)}},
        )

    return prepare


def _buy_items(
    bad_items: list[dict[str, Any]], good_items: list[dict[str, Any]], *fields: str, key: str
) -> Callable[[SandboxServer, httpx.Client], Refused]:
    """A request-level or product error in the items, corrected by `good_items`."""

    def prepare(trading: SandboxServer, demo: httpx.Client) -> Refused:
        bad = buy_order_body(fix_price(demo)["token"], bad_items)
        return Refused(422, key, list(fields), bad, {**bad, "items": good_items})

    return prepare


def _buy_insufficient_customer_cash(trading: SandboxServer, demo: httpx.Client) -> Refused:
    customer = funded_customer(trading, amount=Decimal(100))
    bad = buy_order_body(
        fix_price(demo)["token"], [{"sku": "GAU", "amount": 1}], customer={"external_id": customer}
    )
    return Refused(
        422,
        "insufficient_balance",
        None,
        bad,
        {**bad, "items": [{"sku": "GAG", "amount": 1}]},
    )


def _buy_insufficient_partner_cash(trading: SandboxServer, demo: httpx.Client) -> Refused:
    bad = buy_order_body(fix_price(demo)["token"], [{"sku": "GAU", "amount": 1_000_000}])
    assert balance(trading, asset="TRY") < 1_000_000 * dec(2000)
    return Refused(
        422,
        "insufficient_balance",
        None,
        bad,
        {**bad, "items": [{"sku": "GAU", "amount": 1}]},
    )


BUY_GAU = [{"sku": "GAU", "amount": 0.1}]
BUY_CASES: dict[str, Callable[[SandboxServer, httpx.Client], Refused]] = {
    "token-of-other-customer": _buy_other_customer,
    "customer-token-for-b2b": _buy_customer_token_for_b2b,
    "customer-token-for-new-customer": _buy_customer_token_for_new_customer,
    "currency-mismatch": _buy_currency_mismatch,
    "new-customer-no-email": _buy_new_customer("email"),
    "new-customer-no-identity-number": _buy_new_customer("identity_number"),
    "new-customer-bad-identity-number": _buy_new_customer(identity_number="12345678901"),
    "new-customer-short-names": _buy_new_customer(firstname="Al", lastname="Ek"),
    "new-customer-bad-email-and-phone": _buy_new_customer(email="not-an-email", phone="12"),
    # the block's external_id is checked for every customer, known or not: a plain validation failure
    "customer-external-id-too-short": _buy_new_customer(external_id="ab", key="validation_failed"),
    "unknown-product-id": _buy_items(
        [{"product_id": 3000003, "amount": 1}],
        [{"product_id": 3000002, "amount": 1}],
        "items.0.product_id",
        key="validation_failed",
    ),
    "sku-and-product-id-disagree": _buy_items(
        [{"sku": "GAU", "product_id": 3000002, "amount": 1}],
        [{"sku": "GAG", "product_id": 3000002, "amount": 1}],
        "items.0.product_id",
        key="validation_failed",
    ),
    "second-item-unknown-product-id": _buy_items(
        [*BUY_GAU, {"product_id": 42, "amount": 1}],
        [*BUY_GAU, {"product_id": 3000002, "amount": 1}],
        "items.1.product_id",
        key="validation_failed",
    ),
    "topup-buys-less-than-a-tenth-milligram": _buy_items(
        [{"sku": "GAU", "topup": {"price": 0.01}}],
        [{"sku": "GAU", "topup": {"price": 100}}],
        "items.0.topup.price",
        key="validation_failed",
    ),
    "sku-unknown": _buy_items([{"sku": "XAU", "amount": 1}], BUY_GAU, "items.0.sku", key="validation_failed"),
    "neither-amount-nor-topup": _buy_items([{"sku": "GAU"}], BUY_GAU, "items.0", key="validation_failed"),
    "amount-and-topup": _buy_items(
        [{"sku": "GAU", "amount": 1, "topup": {"price": 100}}], BUY_GAU, "items.0", key="validation_failed"
    ),
    "no-product": _buy_items([{"amount": 1}], BUY_GAU, "items.0", key="validation_failed"),
    "amount-5-dp": _buy_items(
        [{"sku": "GAU", "amount": 0.00001}], BUY_GAU, "items.0.amount", key="validation_failed"
    ),
    "amount-zero": _buy_items(
        [{"sku": "GAU", "amount": 0}], BUY_GAU, "items.0.amount", key="validation_failed"
    ),
    "no-items": _buy_items([], BUY_GAU, "items", key="validation_failed"),
    "insufficient-customer-cash": _buy_insufficient_customer_cash,
    "insufficient-partner-cash": _buy_insufficient_partner_cash,
}


# -- sell ---------------------------------------------------------------------------------------------


def sell_order_body(token: str, items: list[dict[str, Any]] = ONE_GRAM, **body: Any) -> dict[str, Any]:
    return {"price_token": token, "external_id": new_id("SRF"), "items": items, **body}


def sell_gold_customer(trading: SandboxServer, grams: str = "1", kyc_status: str = "approved") -> str:
    return funded_customer(trading, asset="GAU", amount=dec(grams), kyc_status=kyc_status)


def _sell_kyc(status: str, key: str) -> Callable[[SandboxServer, httpx.Client], Refused]:
    """A customer whose KYC is `status`; corrected by approving it."""

    def prepare(trading: SandboxServer, demo: httpx.Client) -> Refused:
        customer = sell_gold_customer(trading, kyc_status=status)
        bad = sell_order_body(
            fix_price(demo, customer_external_id=customer)["token"], customer={"external_id": customer}
        )
        return Refused(403, key, None, bad, bad, lambda: set_kyc(trading, customer, "approved"))

    return prepare


def _sell_unknown_customer(trading: SandboxServer, demo: httpx.Client) -> Refused:
    customer = new_id("CUS")
    bad = sell_order_body(
        fix_price(demo, customer_external_id=customer)["token"], customer={"external_id": customer}
    )

    def correct() -> None:
        add_customer(trading, customer)
        fund(trading, customer_external_id=customer, asset="GAU", amount=Decimal(1))

    return Refused(404, "customer_not_found", None, bad, bad, correct)


def _sell_customer(
    grams: str,
    bad_items: list[dict[str, Any]],
    good_items: list[dict[str, Any]],
    status: int,
    key: str,
    *fields: str,
    token_for_other: bool = False,
) -> Callable[[SandboxServer, httpx.Client], Refused]:
    """A sale by an approved customer holding `grams` of GAU, corrected by `good_items`; with
    `token_for_other` the token is fixed for another customer, and the correction sells for that one."""

    def prepare(trading: SandboxServer, demo: httpx.Client) -> Refused:
        customer = sell_gold_customer(trading, grams)
        other = sell_gold_customer(trading) if token_for_other else None
        token = fix_price(demo, customer_external_id=other)["token"]
        bad = sell_order_body(token, bad_items, customer={"external_id": customer})
        good = {**bad, "customer": {"external_id": other}} if other else {**bad, "items": good_items}
        return Refused(status, key, list(fields) or None, bad, good)

    return prepare


def _sell_currency_mismatch(trading: SandboxServer, demo: httpx.Client) -> Refused:
    bad = sell_order_body(fix_price(demo, currency="GBP")["token"], currency_code="TRY")
    return Refused(
        422, "price_token_currency_mismatch", ["currency_code"], bad, {**bad, "currency_code": "GBP"}
    )


def _sell_customer_token_for_b2b(trading: SandboxServer, demo: httpx.Client) -> Refused:
    customer = sell_gold_customer(trading)
    bad = sell_order_body(fix_price(demo, customer_external_id=customer)["token"])
    return Refused(
        403, "price_token_customer_mismatch", None, bad, {**bad, "customer": {"external_id": customer}}
    )


def _sell_partner_oversell(trading: SandboxServer, demo: httpx.Client) -> Refused:
    grams = available(trading, asset="GAU") + 1
    bad = sell_order_body(fix_price(demo)["token"], [{"sku": "GAU", "amount": str(grams)}])
    return Refused(422, "insufficient_balance", None, bad, {**bad, "items": ONE_GRAM})


SELL_CASES: dict[str, Callable[[SandboxServer, httpx.Client], Refused]] = {
    "kyc-pending": _sell_kyc("pending", "kyc_required"),
    "kyc-rejected": _sell_kyc("rejected", "kyc_rejected"),
    "unknown-customer": _sell_unknown_customer,
    "more-than-held": _sell_customer(
        "1", [{"sku": "GAU", "amount": 1.0001}], ONE_GRAM, 422, "insufficient_balance"
    ),
    "items-together-more-than-held": _sell_customer(
        "1",
        [{"sku": "GAU", "amount": 0.6}, {"sku": "GAU", "amount": 0.6}],
        [{"sku": "GAU", "amount": 0.5}, {"sku": "GAU", "amount": 0.5}],
        422,
        "insufficient_balance",
    ),
    "metal-not-held-at-all": _sell_customer(
        "1", [{"sku": "GPT", "amount": 0.1}], ONE_GRAM, 422, "insufficient_balance"
    ),
    "partner-more-than-held": _sell_partner_oversell,
    "token-of-other-customer": _sell_customer(
        "1", ONE_GRAM, ONE_GRAM, 403, "price_token_customer_mismatch", token_for_other=True
    ),
    "customer-token-for-b2b": _sell_customer_token_for_b2b,
    "currency-mismatch": _sell_currency_mismatch,
    "unknown-product-id": _sell_customer(
        "1",
        [{"product_id": 7, "amount": 1}],
        [{"product_id": 3000001, "amount": 1}],
        422,
        "validation_failed",
        "items.0.product_id",
    ),
    "sku-and-product-id-disagree": _sell_customer(
        "1",
        [{"sku": "GAG", "product_id": 3000001, "amount": 1}],
        ONE_GRAM,
        422,
        "validation_failed",
        "items.0.product_id",
    ),
    "amount-missing": _sell_customer(
        "1", [{"sku": "GAU"}], ONE_GRAM, 422, "validation_failed", "items.0.amount"
    ),
    # a sell item has no `topup`: an unknown field, refused under strict
    "topup-not-for-sale": _sell_customer(
        "1",
        [{"sku": "GAU", "amount": 1, "topup": {"price": 10}}],
        ONE_GRAM,
        422,
        "validation_failed",
        "items.0.topup",
    ),
}


CASES = [("buy", BUY, name, case) for name, case in BUY_CASES.items()] + [
    ("sell", SELL, name, case) for name, case in SELL_CASES.items()
]


@dataclass
class Side:
    path: str
    refused: Refused


@pytest.fixture(params=CASES, ids=[f"{side}-{name}" for side, _, name, _ in CASES])
def refused(request: pytest.FixtureRequest, trading: SandboxServer, demo: httpx.Client) -> Side:
    _, path, _, prepare = request.param
    return Side(path, prepare(trading, demo))


def test_refused_returns_its_status_key_and_fields(demo: httpx.Client, refused: Side) -> None:
    case = refused.refused
    data = refusal(demo.post(refused.path, json=case.bad), case.status, case.key)

    assert (sorted(data["errors"]) if "errors" in data else None) == case.fields


def test_refused_writes_nothing(demo: httpx.Client, trading: SandboxServer, refused: Side) -> None:
    before = snapshot(trading)

    demo.post(refused.path, json=refused.refused.bad)

    assert snapshot(trading) == before
    assert token_row(trading, refused.refused.bad["price_token"]).used_at is None


def test_refused_then_corrected_with_same_token_and_external_id_succeeds(
    demo: httpx.Client, refused: Side
) -> None:
    case = refused.refused
    demo.post(refused.path, json=case.bad)
    case.correct()

    data = order_data(demo.post(refused.path, json=case.good))

    assert {order["external_id"] for order in data["orders"]} == {case.good["external_id"]}
