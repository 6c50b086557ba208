"""Sell (POST /partner/order/digital/sell) that succeeds, B2B and B2B2C: metal back to cash at the token's
sell price, one order per item, and exactly what it writes. The partner is on the default, lenient
profile: the rules the docs do not state let a sell through with an X-Sandbox-Notice (at the end);
their strict refusals are in test_sell_failures.py, with every other refusal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from sandbox.wire.orders import Order
from tests.api.helpers import notices, ok_data
from tests.support.trading import (
    FROZEN_AT,
    FROZEN_ORDER_AT,
    FROZEN_ORDER_DATE,
    SELL,
    balance,
    cents,
    dec,
    fix_price,
    fund,
    funded_customer,
    ledger_lines,
    new_id,
    order_data,
    outbox,
    refusal,
    request_rows,
    row_of,
    snapshot,
    status_history,
    token_row,
    wallets_match_ledger,
)

CREATED, PROCESSING, COMPLETED, TRANSFERRING = 1, 3, 5, 9


def sell(
    http: httpx.Client,
    fix: dict[str, Any],
    items: list[dict[str, Any]],
    external_id: str | None = None,
    **body: Any,
) -> dict[str, Any]:
    payload = {
        "price_token": fix["token"],
        "external_id": external_id or new_id("SELL"),
        "items": items,
        **body,
    }
    return order_data(http.post(SELL, json=payload))


def gold_customer(trading: SandboxServer, grams: str = "2") -> str:
    """An approved customer holding `grams` of GAU and no cash."""
    return funded_customer(trading, asset="GAU", amount=dec(grams))


# -- B2B ---------------------------------------------------------------------------------------------


def test_sell_response_keys_in_documented_order(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, asset="GAU", amount=Decimal(5))

    data = sell(demo, fix_price(demo), [{"sku": "GAU", "amount": 1}])

    assert list(data) == ["order_code", "guid", "price", "tax", "total", "order_at", "orders", "payment"]
    assert data["payment"] is None


def test_sell_b2b_returns_one_completed_sell_order_at_sell_price(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fund(trading, asset="GAU", amount=Decimal(5))
    external_id = new_id("SELL")
    fix = fix_price(demo)
    row = row_of(fix, "GAU")
    total = float(cents(dec(row["sell_price"]) * dec("1.5")))

    data = sell(demo, fix, [{"sku": "GAU", "amount": 1.5}], external_id)

    order = data["orders"][0]
    assert (data["price"], data["tax"], data["total"], data["order_at"]) == (total, 0, total, FROZEN_ORDER_AT)
    assert order["order_at"] == FROZEN_ORDER_DATE  # documented: an Order's dd-mm-YYYY HH:MM
    assert (order["type"], order["status_name"], order["external_id"], order["customer"]) == (
        "Sell",
        "Completed",
        external_id,
        None,
    )
    assert order["items"] == [
        {
            "product_id": 3000001,
            "sku": "GAU",
            "product_name": "Gold - Digital storage",
            "spot_price": row["spot_price"],
            "price": row["sell_price"],
            "tax_rate": 0,
            "tax": 0,
            "amount": 1.5,
            "total": total,
        }
    ]
    assert order["description"] == "1.5gr - #GAU"


def test_sell_b2b_credits_proceeds_and_debits_metal(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, asset="GAG", amount=Decimal(100))
    cash, silver = balance(trading, asset="TRY"), balance(trading, asset="GAG")
    fix = fix_price(demo)

    sell(demo, fix, [{"sku": "GAG", "amount": 33.3333}])

    assert balance(trading, asset="TRY") == cash + cents(
        dec(row_of(fix, "GAG")["sell_price"]) * dec("33.3333")
    )
    assert balance(trading, asset="GAG") == silver - dec("33.3333")


def test_sell_posts_one_metal_and_one_cash_ledger_entry(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, asset="GAU", amount=Decimal(5))

    data = sell(demo, fix_price(demo), [{"sku": "GAU", "amount": 0.25}])

    assert ledger_lines(trading, data["guid"][0]) == [
        ("GAU", dec("-0.25"), "sell"),
        ("TRY", dec(data["total"]), "sell"),
    ]


def test_sell_keeps_every_wallet_equal_to_its_ledger(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, asset="GPT", amount=Decimal(5))

    sell(demo, fix_price(demo), [{"sku": "GPT", "amount": 2}])

    assert wallets_match_ledger(trading)


def test_sell_in_usd_credits_the_usd_wallet(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, asset="GAU", amount=Decimal(5))
    usd, try_cash = balance(trading, asset="USD"), balance(trading, asset="TRY")
    fix = fix_price(demo, currency="USD")

    data = sell(demo, fix, [{"sku": "GAU", "amount": 1}], currency_code="USD")

    assert data["orders"][0]["currency_code"] == "USD"
    assert dec(data["total"]) == dec(row_of(fix, "GAU")["sell_price"])
    assert balance(trading, asset="USD") == usd + dec(data["total"])
    assert balance(trading, asset="TRY") == try_cash


def test_sell_by_product_id_names_that_product(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, asset="GPD", amount=Decimal(5))
    fix = fix_price(demo)

    item = sell(demo, fix, [{"product_id": 3000091, "amount": 1}])["orders"][0]["items"][0]

    assert (item["sku"], item["price"]) == ("GPD", row_of(fix, "GPD")["sell_price"])


def test_sell_marks_the_token_used_and_records_a_sell_request(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fund(trading, asset="GAU", amount=Decimal(5))
    external_id = new_id("SELL")
    fix = fix_price(demo)

    sell(demo, fix, [{"sku": "GAU", "amount": 0.1}], external_id)

    assert token_row(trading, fix["token"]).used_at == FROZEN_AT
    assert [row.kind for row in request_rows(trading, external_id)] == ["sell"]


# -- several items -----------------------------------------------------------------------------------


def test_sell_several_items_makes_one_order_each_and_sums_them(
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


# -- B2B2C -------------------------------------------------------------------------------------------


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


# -- lifecycle ---------------------------------------------------------------------------------------


def test_sell_walks_created_processing_transferring_completed(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = gold_customer(trading)

    data = sell(demo, fix_price(demo), [{"sku": "GAU", "amount": 1}], customer={"external_id": customer})

    assert status_history(trading, data["guid"][0]) == [CREATED, PROCESSING, TRANSFERRING, COMPLETED]


def test_sell_writes_one_status_changed_event_per_status(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = gold_customer(trading)

    data = sell(demo, fix_price(demo), [{"sku": "GAU", "amount": 1}], customer={"external_id": customer})

    assert outbox(trading, data["guid"][0]) == [
        ("order.status_changed", status, "pending")
        for status in (CREATED, PROCESSING, TRANSFERRING, COMPLETED)
    ]


def test_sell_order_then_readable_by_get_order(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = gold_customer(trading)
    data = sell(demo, fix_price(demo), [{"sku": "GAU", "amount": 1}], customer={"external_id": customer})
    order = data["orders"][0]

    response = demo.get(f"/partner/order/{order['order_code']}")

    Envelope[Order].model_validate(response.json())
    assert ok_data(response) == order


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
