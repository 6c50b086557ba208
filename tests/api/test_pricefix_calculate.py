"""Calculate Price (POST /partner/pricefix/calculate, sandbox decision): grams → total and total → grams at
a live token's buy price, refused for expired or foreign tokens, and never writing anything."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.api.helpers import field_errors
from tests.support.trading import (
    BUY,
    CALCULATE,
    SKUS,
    calculate_data,
    cents,
    dec,
    fix_price,
    fund,
    grams_bought,
    new_id,
    order_data,
    refusal,
    row_of,
    snapshot,
    token_row,
)


def calculate(http: httpx.Client, token: str, sku: str = "GAU", **body: Any) -> httpx.Response:
    return http.post(CALCULATE, json={"price_token": token, "sku": sku, **body})


# -- amount → total, total → amount ------------------------------------------------------------------


def test_calculate_response_keys_in_order(demo: httpx.Client) -> None:
    data = calculate_data(calculate(demo, fix_price(demo)["token"], amount=1))

    assert list(data) == ["sku", "amount", "price", "total"]


@pytest.mark.parametrize("sku", SKUS)
def test_calculate_amount_gives_buy_price_times_amount(demo: httpx.Client, sku: str) -> None:
    fix = fix_price(demo)
    price = dec(row_of(fix, sku)["buy_price"])

    data = calculate_data(calculate(demo, fix["token"], sku, amount=0.1234))

    assert data == {
        "sku": sku,
        "amount": 0.1234,
        "price": float(price),
        "total": float(cents(price * dec("0.1234"))),
    }


def test_calculate_amount_rounds_total_half_up_to_cents(demo: httpx.Client) -> None:
    fix = fix_price(demo)
    price = dec(row_of(fix, "GAU")["buy_price"])
    # 0.0005 g: price × amount has 6 dp, so its cents need rounding
    exact = price * dec("0.0005")

    data = calculate_data(calculate(demo, fix["token"], amount=0.0005))

    assert exact != cents(exact)
    assert dec(data["total"]) == cents(exact)


@pytest.mark.parametrize("sku", SKUS)
def test_calculate_total_gives_grams_rounded_down(demo: httpx.Client, sku: str) -> None:
    fix = fix_price(demo)
    price = dec(row_of(fix, sku)["buy_price"])

    data = calculate_data(calculate(demo, fix["token"], sku, total=1000))

    assert data == {
        "sku": sku,
        "amount": float(grams_bought(dec(1000), price)),
        "price": float(price),
        "total": 1000,
    }


def test_calculate_total_of_a_total_price_fix_matches_its_buy_amount(demo: httpx.Client) -> None:
    fix = fix_price(demo, total="777.77")

    for row in fix["prices"]:
        data = calculate_data(calculate(demo, fix["token"], row["sku"], total="777.77"))
        assert data["amount"] == row["buy_amount"], row["sku"]


def test_calculate_uses_the_fixed_price_after_the_market_moves(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fix = fix_price(demo)
    trading.sandbox.clock.advance(120)
    market = fix_price(demo)

    data = calculate_data(calculate(demo, fix["token"], amount=1))

    assert row_of(market, "GAU")["buy_price"] != row_of(fix, "GAU")["buy_price"]
    assert data["price"] == row_of(fix, "GAU")["buy_price"]


def test_calculate_usd_token_quotes_usd_price(demo: httpx.Client) -> None:
    fix = fix_price(demo, currency="USD")
    price = dec(row_of(fix, "GAU")["buy_price"])

    data = calculate_data(calculate(demo, fix["token"], amount=2))

    assert (data["price"], data["total"]) == (float(price), float(cents(price * 2)))


def test_calculate_one_second_before_expiry_still_quotes(demo: httpx.Client, trading: SandboxServer) -> None:
    token = fix_price(demo)["token"]
    trading.sandbox.clock.advance(239)

    assert calculate(demo, token, amount=1).status_code == 200


def test_calculate_used_token_still_quotes(demo: httpx.Client, trading: SandboxServer) -> None:
    """sandbox decision: a used token is no longer spendable but its prices stay readable until expiry."""
    fund(trading, amount=Decimal(1000))
    fix = fix_price(demo)
    order_data(
        demo.post(
            BUY,
            json={
                "price_token": fix["token"],
                "external_id": new_id("CALC"),
                "items": [{"sku": "GAG", "amount": 1}],
            },
        )
    )

    data = calculate_data(calculate(demo, fix["token"], "GAG", amount=1))

    assert data["price"] == row_of(fix, "GAG")["buy_price"]


# -- refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amounts",
    [pytest.param({}, id="neither"), pytest.param({"amount": 1, "total": 100}, id="both")],
)
def test_calculate_needs_exactly_one_of_amount_or_total(demo: httpx.Client, amounts: dict[str, Any]) -> None:
    response = calculate(demo, fix_price(demo)["token"], **amounts)

    assert field_errors(response) == {"body": ["amount veya total alanlarından yalnızca biri gereklidir."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"sku": "GAU", "amount": 0.12345}, "amount", id="amount-5-dp"),
        pytest.param({"sku": "GAU", "amount": 0}, "amount", id="amount-zero"),
        pytest.param({"sku": "GAU", "total": 10.001}, "total", id="total-3-dp"),
        pytest.param({"sku": "GAU", "total": -1}, "total", id="total-negative"),
        pytest.param({"sku": "XAU", "amount": 1}, "sku", id="sku-unknown"),
        pytest.param({"amount": 1}, "sku", id="sku-missing"),
    ],
)
def test_calculate_invalid_body_returns_422_naming_the_field(
    demo: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = demo.post(CALCULATE, json={"price_token": fix_price(demo)["token"], **body})

    assert list(field_errors(response)) == [field]


def test_calculate_without_token_returns_422_naming_price_token(demo: httpx.Client) -> None:
    assert list(field_errors(demo.post(CALCULATE, json={"sku": "GAU", "amount": 1}))) == ["price_token"]


def test_calculate_unknown_token_returns_403_invalid(demo: httpx.Client) -> None:
    refusal(calculate(demo, "A" * 32, amount=1), 403, "price_token_invalid")


def test_calculate_other_partners_token_returns_403_invalid(demo: httpx.Client, acme: httpx.Client) -> None:
    token = fix_price(acme)["token"]

    data = refusal(calculate(demo, token, amount=1), 403, "price_token_invalid")

    assert data == {"error": "price_token_invalid"}


def test_calculate_other_partners_token_still_works_for_its_owner(
    demo: httpx.Client, acme: httpx.Client
) -> None:
    token = fix_price(acme)["token"]
    calculate(demo, token, amount=1)

    assert calculate(acme, token, amount=1).status_code == 200


def test_calculate_expired_token_returns_403_expired(demo: httpx.Client, trading: SandboxServer) -> None:
    token = fix_price(demo)["token"]
    trading.sandbox.clock.advance(240)

    refusal(calculate(demo, token, amount=1), 403, "price_token_expired")


# -- creates nothing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("amounts", [{"amount": 1}, {"total": 500}], ids=["amount", "total"])
def test_calculate_writes_nothing(
    demo: httpx.Client, trading: SandboxServer, amounts: dict[str, Any]
) -> None:
    token = fix_price(demo)["token"]
    before = snapshot(trading)

    calculate_data(calculate(demo, token, **amounts))

    assert snapshot(trading) == before


def test_calculate_leaves_the_token_unused(demo: httpx.Client, trading: SandboxServer) -> None:
    token = fix_price(demo)["token"]

    calculate_data(calculate(demo, token, amount=1))

    assert token_row(trading, token).used_at is None


def test_calculate_refused_writes_nothing(demo: httpx.Client, trading: SandboxServer) -> None:
    token = fix_price(demo)["token"]
    trading.sandbox.clock.advance(240)
    before = snapshot(trading)

    calculate(demo, token, amount=1)

    assert snapshot(trading) == before
