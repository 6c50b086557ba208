"""Sell (POST /partner/order/digital/sell) that succeeds for a customer (B2B2C): the customer's metal back
to the customer's cash at the token's sell price. The partner is on the default, lenient profile: the
rules the docs do not state let a sell through with an X-Sandbox-Notice (at the end); their strict
refusals are in test_sell_failures.py and test_trade_refusals.py, with every other refusal.

What a sell shares with a buy (the answer, the item, wallets, ledger, status history, outbox, Get Order,
several items, B2B) is in test_trade_orders.py, run for both sides."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from sandbox.testing.server import SandboxServer
from tests.api.helpers import notices
from tests.support.trading import (
    SELL,
    balance,
    cents,
    dec,
    fix_price,
    fund,
    funded_customer,
    new_id,
    order_data,
    refusal,
    row_of,
    snapshot,
    token_row,
)


def sell(http: httpx.Client, fix: dict[str, Any], items: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    payload = {"price_token": fix["token"], "external_id": new_id("SELL"), "items": items, **body}
    return order_data(http.post(SELL, json=payload))


def gold_customer(trading: SandboxServer, grams: str = "2") -> str:
    """An approved customer holding `grams` of GAU and no cash."""
    return funded_customer(trading, asset="GAU", amount=dec(grams))


# -- B2B2C -------------------------------------------------------------------------------------------


def test_sell_b2b2c_several_items_makes_one_order_each_and_sums_them(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = gold_customer(trading)
    fund(trading, customer_external_id=customer, asset="GAG", amount=Decimal(50))
    fix = fix_price(demo)
    items = [{"sku": "GAU", "amount": 0.5}, {"sku": "GAG", "amount": 20}]
    totals = [cents(dec(row_of(fix, i["sku"])["sell_price"]) * dec(i["amount"])) for i in items]

    data = sell(demo, fix, items, customer={"external_id": customer})

    assert [o["items"][0]["sku"] for o in data["orders"]] == ["GAU", "GAG"]
    assert [dec(o["total"]) for o in data["orders"]] == totals
    assert dec(data["total"]) == sum(totals)
    assert balance(trading, customer_external_id=customer, asset="TRY") == sum(totals)


def test_sell_b2b2c_credits_the_customer_not_the_partner(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = gold_customer(trading, "2")
    partner_cash, partner_gold = balance(trading, asset="TRY"), balance(trading, asset="GAU")
    fix = fix_price(demo, customer_external_id=customer)

    data = sell(demo, fix, [{"sku": "GAU", "amount": 0.75}], customer={"external_id": customer})

    assert dec(data["total"]) == cents(dec(row_of(fix, "GAU")["sell_price"]) * dec("0.75"))
    assert balance(trading, customer_external_id=customer, asset="TRY") == dec(data["total"])
    assert balance(trading, customer_external_id=customer, asset="GAU") == dec("1.25")
    assert (balance(trading, asset="TRY"), balance(trading, asset="GAU")) == (partner_cash, partner_gold)


def test_sell_b2b2c_renders_the_customer(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = gold_customer(trading)

    data = sell(demo, fix_price(demo), [{"sku": "GAU", "amount": 1}], customer={"external_id": customer})

    assert data["orders"][0]["customer"]["external_id"] == customer
    assert data["orders"][0]["customer"]["fullname"] == "Mehmet Gülbilge"


def test_sell_everything_held_leaves_zero(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = gold_customer(trading, "1.2345")

    sell(demo, fix_price(demo), [{"sku": "GAU", "amount": 1.2345}], customer={"external_id": customer})

    assert balance(trading, customer_external_id=customer, asset="GAU") == 0


# -- lenient profile: the rules the docs do not state ------------------------------------------------


def sell_response(http: httpx.Client, token: str, customer: str | None, **body: Any) -> httpx.Response:
    payload = {"price_token": token, "external_id": new_id("SELL"), "items": [{"sku": "GAU", "amount": 1}]}
    if customer is not None:
        payload["customer"] = {"external_id": customer}
    return http.post(SELL, json={**payload, **body})


def test_sell_customer_with_pending_kyc_succeeds_with_a_notice(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = funded_customer(trading, asset="GAU", amount=dec("2"), kyc_status="pending")

    response = sell_response(demo, fix_price(demo)["token"], customer)

    assert order_data(response)["orders"][0]["customer"]["external_id"] == customer
    assert notices(response) == ["kyc_approved: customer KYC is pending"]
    assert balance(trading, customer_external_id=customer, asset="GAU") == 1


def test_sell_customer_with_rejected_kyc_is_refused_and_writes_nothing(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    """A rejected KYC refuses in both profiles."""
    customer = funded_customer(trading, asset="GAU", amount=dec("2"), kyc_status="rejected")
    token = fix_price(demo)["token"]
    before = snapshot(trading)

    response = sell_response(demo, token, customer)

    refusal(response, 403, "kyc_rejected")
    assert notices(response) == []
    assert (snapshot(trading), token_row(trading, token).used_at) == (before, None)


def test_sell_with_a_token_fixed_for_another_customer_succeeds_with_a_notice(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    owner, seller = gold_customer(trading), gold_customer(trading)

    response = sell_response(demo, fix_price(demo, customer_external_id=owner)["token"], seller)

    assert order_data(response)["orders"][0]["customer"]["external_id"] == seller
    assert notices(response) == [
        f"price_token_customer: a token fixed for customer {owner} priced this order"
    ]
    assert balance(trading, customer_external_id=seller, asset="GAU") == 1


def test_sell_currency_code_other_than_the_tokens_sells_in_the_tokens_currency_with_a_notice(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = gold_customer(trading)
    fix = fix_price(demo, currency="GBP")

    response = sell_response(demo, fix["token"], customer, currency_code="TRY")

    data = order_data(response)
    assert (data["orders"][0]["currency_code"], dec(data["total"])) == (
        "GBP",
        dec(row_of(fix, "GAU")["sell_price"]),
    )
    assert notices(response) == [
        "price_token_currency: currency_code TRY ignored: the token's prices are in GBP"
    ]
    assert balance(trading, customer_external_id=customer, asset="GBP") == dec(data["total"])
    assert balance(trading, customer_external_id=customer, asset="TRY") == 0


def test_sell_item_with_a_topup_ignores_it_with_a_notice(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = gold_customer(trading)
    items = [{"sku": "GAU", "amount": 1, "topup": {"price": 10}}]

    response = sell_response(demo, fix_price(demo)["token"], customer, items=items)

    assert order_data(response)["orders"][0]["items"][0]["amount"] == 1
    assert notices(response) == ["unknown_fields: ignored topup"]  # named without its path
