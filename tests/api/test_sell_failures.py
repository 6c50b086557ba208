"""Sell refusals: KYC, unknown customer, more metal than held, currency and customer mismatches, product
errors and token lifecycle; each writes nothing, and the corrected request with the same token and
external_id then succeeds.

The partner is on the strict profile (sandbox/core/profile.py), so the rules the docs do not state (a
pending KYC, the token's customer and currency, unknown fields) refuse here too; what a lenient partner
gets instead is in test_sell.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.api.trading_helpers import (
    BUY,
    SELL,
    add_customer,
    available,
    balance,
    dec,
    dedicated_server,
    fix_price,
    fund,
    funded_customer,
    new_id,
    order_data,
    race,
    refusal,
    set_kyc,
    snapshot,
    token_row,
)

ONE_GRAM = [{"sku": "GAU", "amount": 1}]


@pytest.fixture(scope="module")
def trading(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with dedicated_server(tmp_path_factory, "sell-failures", profile="strict") as running:
        fund(running, asset="GAU", amount=Decimal(1_000))
        fund(running, amount=Decimal(1_000_000))
        yield running


@dataclass
class Refused:
    status: int
    key: str
    fields: list[str] | None
    bad: dict[str, Any]
    good: dict[str, Any]
    correct: Callable[[], None] = lambda: None  # state the partner fixes between the two requests


def order_body(token: str, items: list[dict[str, Any]] = ONE_GRAM, **body: Any) -> dict[str, Any]:
    return {"price_token": token, "external_id": new_id("SRF"), "items": items, **body}


def gold_customer(trading: SandboxServer, grams: str = "1", kyc_status: str = "approved") -> str:
    return funded_customer(trading, asset="GAU", amount=dec(grams), kyc_status=kyc_status)


def _kyc(status: str, key: str) -> Callable[[SandboxServer, httpx.Client], Refused]:
    """A customer whose KYC is `status`; corrected by approving it."""

    def prepare(trading: SandboxServer, demo: httpx.Client) -> Refused:
        customer = gold_customer(trading, kyc_status=status)
        bad = order_body(
            fix_price(demo, customer_external_id=customer)["token"], customer={"external_id": customer}
        )
        return Refused(403, key, None, bad, bad, lambda: set_kyc(trading, customer, "approved"))

    return prepare


def _unknown_customer(trading: SandboxServer, demo: httpx.Client) -> Refused:
    customer = new_id("CUS")
    bad = order_body(
        fix_price(demo, customer_external_id=customer)["token"], customer={"external_id": customer}
    )

    def correct() -> None:
        add_customer(trading, customer)
        fund(trading, customer_external_id=customer, asset="GAU", amount=Decimal(1))

    return Refused(404, "customer_not_found", None, bad, bad, correct)


def _customer(
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
        customer = gold_customer(trading, grams)
        other = gold_customer(trading) if token_for_other else None
        token = fix_price(demo, customer_external_id=other)["token"]
        bad = order_body(token, bad_items, customer={"external_id": customer})
        good = {**bad, "customer": {"external_id": other}} if other else {**bad, "items": good_items}
        return Refused(status, key, list(fields) or None, bad, good)

    return prepare


def _currency_mismatch(trading: SandboxServer, demo: httpx.Client) -> Refused:
    bad = order_body(fix_price(demo, currency="GBP")["token"], currency_code="TRY")
    return Refused(
        422, "price_token_currency_mismatch", ["currency_code"], bad, {**bad, "currency_code": "GBP"}
    )


def _customer_token_for_b2b(trading: SandboxServer, demo: httpx.Client) -> Refused:
    customer = gold_customer(trading)
    bad = order_body(fix_price(demo, customer_external_id=customer)["token"])
    return Refused(
        403, "price_token_customer_mismatch", None, bad, {**bad, "customer": {"external_id": customer}}
    )


def _partner_oversell(trading: SandboxServer, demo: httpx.Client) -> Refused:
    grams = available(trading, asset="GAU") + 1
    bad = order_body(fix_price(demo)["token"], [{"sku": "GAU", "amount": str(grams)}])
    return Refused(422, "insufficient_balance", None, bad, {**bad, "items": ONE_GRAM})


CASES: dict[str, Callable[[SandboxServer, httpx.Client], Refused]] = {
    "kyc-pending": _kyc("pending", "kyc_required"),
    "kyc-rejected": _kyc("rejected", "kyc_rejected"),
    "unknown-customer": _unknown_customer,
    "more-than-held": _customer(
        "1", [{"sku": "GAU", "amount": 1.0001}], ONE_GRAM, 422, "insufficient_balance"
    ),
    "items-together-more-than-held": _customer(
        "1",
        [{"sku": "GAU", "amount": 0.6}, {"sku": "GAU", "amount": 0.6}],
        [{"sku": "GAU", "amount": 0.5}, {"sku": "GAU", "amount": 0.5}],
        422,
        "insufficient_balance",
    ),
    "metal-not-held-at-all": _customer(
        "1", [{"sku": "GPT", "amount": 0.1}], ONE_GRAM, 422, "insufficient_balance"
    ),
    "partner-more-than-held": _partner_oversell,
    "token-of-other-customer": _customer(
        "1", ONE_GRAM, ONE_GRAM, 403, "price_token_customer_mismatch", token_for_other=True
    ),
    "customer-token-for-b2b": _customer_token_for_b2b,
    "currency-mismatch": _currency_mismatch,
    "unknown-product-id": _customer(
        "1",
        [{"product_id": 7, "amount": 1}],
        [{"product_id": 3000001, "amount": 1}],
        422,
        "validation_failed",
        "items.0.product_id",
    ),
    "sku-and-product-id-disagree": _customer(
        "1",
        [{"sku": "GAG", "product_id": 3000001, "amount": 1}],
        ONE_GRAM,
        422,
        "validation_failed",
        "items.0.product_id",
    ),
    "amount-missing": _customer("1", [{"sku": "GAU"}], ONE_GRAM, 422, "validation_failed", "items.0.amount"),
    # a sell item has no `topup`: an unknown field, refused under strict
    "topup-not-for-sale": _customer(
        "1",
        [{"sku": "GAU", "amount": 1, "topup": {"price": 10}}],
        ONE_GRAM,
        422,
        "validation_failed",
        "items.0.topup",
    ),
}


@pytest.fixture(params=list(CASES))
def refused(request: pytest.FixtureRequest, trading: SandboxServer, demo: httpx.Client) -> Refused:
    return CASES[request.param](trading, demo)


def test_sell_refused_returns_its_status_key_and_fields(demo: httpx.Client, refused: Refused) -> None:
    data = refusal(demo.post(SELL, json=refused.bad), refused.status, refused.key)

    assert (sorted(data["errors"]) if "errors" in data else None) == refused.fields


def test_sell_refused_writes_nothing(demo: httpx.Client, trading: SandboxServer, refused: Refused) -> None:
    before = snapshot(trading)

    demo.post(SELL, json=refused.bad)

    assert snapshot(trading) == before
    assert token_row(trading, refused.bad["price_token"]).used_at is None


def test_sell_refused_then_corrected_with_same_token_and_external_id_succeeds(
    demo: httpx.Client, refused: Refused
) -> None:
    demo.post(SELL, json=refused.bad)
    refused.correct()

    data = order_data(demo.post(SELL, json=refused.good))

    assert {order["external_id"] for order in data["orders"]} == {refused.good["external_id"]}


# -- token lifecycle and idempotency -----------------------------------------------------------------


def test_sell_unknown_token_returns_403_invalid(demo: httpx.Client) -> None:
    refusal(demo.post(SELL, json=order_body("Q" * 32)), 403, "price_token_invalid")


def test_sell_expired_token_returns_403_expired(demo: httpx.Client, trading: SandboxServer) -> None:
    token = fix_price(demo)["token"]
    trading.sandbox.clock.advance(240)

    refusal(demo.post(SELL, json=order_body(token)), 403, "price_token_expired")


def test_sell_token_used_by_a_buy_returns_403_used(demo: httpx.Client) -> None:
    token = fix_price(demo)["token"]
    order_data(demo.post(BUY, json=order_body(token, [{"sku": "GAU", "amount": 0.1}])))

    refusal(demo.post(SELL, json=order_body(token)), 403, "price_token_used")


def test_sell_external_id_of_an_earlier_buy_returns_409(demo: httpx.Client) -> None:
    """The external_id names one order request of any kind: a sell cannot reuse a buy's."""
    bought = order_body(fix_price(demo)["token"], [{"sku": "GAU", "amount": 0.1}])
    order_data(demo.post(BUY, json=bought))

    response = demo.post(
        SELL, json={**order_body(fix_price(demo)["token"]), "external_id": bought["external_id"]}
    )

    refusal(response, 409, "duplicate_external_id")


def test_sell_kyc_is_checked_for_the_customer_only(demo: httpx.Client, trading: SandboxServer) -> None:
    """B2B sells have no customer, so no KYC gate: the partner itself is the client."""
    order_data(demo.post(SELL, json=order_body(fix_price(demo)["token"], [{"sku": "GAU", "amount": 0.1}])))


def test_sell_racing_for_the_same_gram_sells_it_once(demo: httpx.Client, trading: SandboxServer) -> None:
    """Ten sells of the customer's only gram, each with its own token and external_id, sent at once."""
    customer = gold_customer(trading, "1")
    bodies = [order_body(fix_price(demo)["token"], customer={"external_id": customer}) for _ in range(10)]

    responses = race(trading, SELL, bodies)

    assert sorted(r.status_code for r in responses) == [200] + [422] * 9
    assert {r.json()["data"]["error"] for r in responses if r.status_code == 422} == {"insufficient_balance"}
    assert balance(trading, customer_external_id=customer, asset="GAU") == 0
