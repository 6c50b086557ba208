"""Sell refusals only a sell has: token lifecycle, idempotency, KYC of the customer only and racing for
the same gram. Every sell error key (KYC, unknown customer, more metal than held, currency and customer
mismatches, product errors), that it writes nothing and that its correction then succeeds, is in
test_trade_refusals.py, beside the buy's.

The partner is on the strict profile (sandbox/core/profile.py), so the rules the docs do not state (a
pending KYC, the token's customer and currency, unknown fields) refuse here too; what a lenient partner
gets instead is in test_sell.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.support.trading import (
    BUY,
    SELL,
    balance,
    dec,
    fix_price,
    funded_customer,
    new_id,
    order_data,
    race,
    refusal,
)

ONE_GRAM = [{"sku": "GAU", "amount": 1}]


@pytest.fixture
def trading(strict_trading: SandboxServer) -> SandboxServer:
    return strict_trading


def order_body(token: str, items: list[dict[str, Any]] = ONE_GRAM, **body: Any) -> dict[str, Any]:
    return {"price_token": token, "external_id": new_id("SRF"), "items": items, **body}


def gold_customer(trading: SandboxServer, grams: str = "1", kyc_status: str = "approved") -> str:
    return funded_customer(trading, asset="GAU", amount=dec(grams), kyc_status=kyc_status)


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
