"""Sell (POST /partner/order/digital/sell) that succeeds, B2B and B2B2C: metal back to cash at the token's
sell price, one order per item, and exactly what it writes. Refusals are in test_sell_failures.py."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.partner.orders.schemas import Order
from sandbox.partner.schemas import Envelope
from sandbox.testing.server import SandboxServer
from tests.api.helpers import ok_data
from tests.api.trading_helpers import (
    FROZEN_AT,
    FROZEN_ORDER_AT,
    SELL,
    balance,
    cents,
    dec,
    dedicated_server,
    fix_price,
    fund,
    funded_customer,
    ledger_lines,
    new_id,
    order_data,
    outbox,
    request_rows,
    row_of,
    status_history,
    token_row,
    wallets_match_ledger,
)

CREATED, PROCESSING, COMPLETED, TRANSFERRING = 1, 3, 5, 9


@pytest.fixture(scope="module")
def trading(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with dedicated_server(tmp_path_factory, "sell") as running:
        yield running


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

    assert list(data) == ["order_code", "guid", "price", "tax", "total", "order_at", "orders"]


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
    assert ok_data(response) == {**order, "order_at": "10-03-2025 12:30"}
