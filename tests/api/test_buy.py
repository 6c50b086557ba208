"""Buy (POST /partner/order/digital/buy) that succeeds, B2B: from amount and from total, one order per
item, and exactly what it writes (orders, ledger, status history, webhook outbox).

B2B2C is in test_buy_b2b2c.py, refusals in test_buy_failures.py. Expected numbers come from the price
fix's own rows.
"""

from __future__ import annotations

import re
from decimal import Decimal

import httpx

from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from sandbox.wire.orders import Order
from tests.api.helpers import ok_data
from tests.support.trading import (
    BUY,
    FROZEN_AT,
    FROZEN_ORDER_AT,
    FROZEN_ORDER_DATE,
    balance,
    buy,
    cents,
    dec,
    fix_price,
    fund,
    ledger_lines,
    new_id,
    order_data,
    order_rows,
    outbox,
    request_rows,
    row_of,
    status_history,
    token_row,
    wallets_match_ledger,
)

GUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
ORDER_CODE = re.compile(r"^[A-Z0-9]{8}$")
ITEM_KEYS = ["product_id", "sku", "product_name", "spot_price", "price", "tax_rate", "tax", "amount", "total"]
CREATED, PROCESSING, COMPLETED = 1, 3, 5


# -- B2B, from amount --------------------------------------------------------------------------------


def test_buy_response_keys_in_documented_order(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))

    data = buy(demo, fix_price(demo), [{"sku": "GAU", "amount": 0.5}])

    assert list(data) == ["order_code", "guid", "price", "tax", "total", "order_at", "orders", "payment"]


def test_buy_cash_response_payment_is_null(demo: httpx.Client, trading: SandboxServer) -> None:
    """documented (schema-611263): `payment` is always in the answer, null for a cash buy."""
    fund(trading, amount=Decimal(10_000))

    data = buy(demo, fix_price(demo), [{"sku": "GAU", "amount": 0.5}])

    assert data["payment"] is None


def test_buy_b2b_from_amount_returns_one_completed_cash_order(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fund(trading, amount=Decimal(10_000))
    external_id = new_id("BUY")
    fix = fix_price(demo)

    data = order_data(
        demo.post(
            BUY,
            json={
                "price_token": fix["token"],
                "external_id": external_id,
                "items": [{"sku": "GAU", "amount": 0.5}],
            },
        )
    )

    order = data["orders"][0]
    assert len(data["orders"]) == 1
    assert (data["order_code"], data["guid"]) == ([order["order_code"]], [order["guid"]])
    assert GUID.match(order["guid"]) and ORDER_CODE.match(order["order_code"])
    # documented (api-4434391): the answer's order_at is YYYY-mm-dd HH:MM:SS, each order's the Order's
    assert (data["order_at"], order["order_at"]) == (FROZEN_ORDER_AT, FROZEN_ORDER_DATE)
    assert {
        key: order[key] for key in ("external_id", "type", "status_name", "payment_type", "currency_code")
    } == {
        "external_id": external_id,
        "type": "Buy",
        "status_name": "Completed",
        "payment_type": "cash",
        "currency_code": "TRY",
    }
    assert (order["customer"], order["payment"], order["payment_cost"]) == (None, None, 0)
    assert order["description"] == "0.5gr - #GAU"


def test_buy_b2b_from_amount_item_total_is_buy_price_times_amount(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fund(trading, amount=Decimal(10_000))
    fix = fix_price(demo)
    row = row_of(fix, "GAU")
    total = cents(dec(row["buy_price"]) * dec("0.5"))

    data = buy(demo, fix, [{"sku": "GAU", "amount": 0.5}])

    item = data["orders"][0]["items"][0]
    assert list(item) == ITEM_KEYS
    assert item == {
        "product_id": 3000001,
        "sku": "GAU",
        "product_name": "Gold - Digital storage",
        "spot_price": row["spot_price"],
        "price": row["buy_price"],
        "tax_rate": 0,
        "tax": 0,
        "amount": 0.5,
        "total": float(total),
    }
    assert (data["price"], data["tax"], data["total"]) == (float(total), 0, float(total))
    order = data["orders"][0]
    assert (order["price"], order["tax"], order["total"]) == (float(total), 0, float(total))


def test_buy_b2b_from_amount_debits_cash_and_credits_metal(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fund(trading, amount=Decimal(10_000))
    cash, gold = balance(trading, asset="TRY"), balance(trading, asset="GAU")
    fix = fix_price(demo)

    data = buy(demo, fix, [{"sku": "GAU", "amount": 0.5}])

    assert balance(trading, asset="TRY") == cash - dec(data["total"])
    assert balance(trading, asset="GAU") == gold + dec("0.5")


def test_buy_b2b_posts_one_cash_and_one_metal_ledger_entry(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fund(trading, amount=Decimal(10_000))

    data = buy(demo, fix_price(demo), [{"sku": "GAG", "amount": 12.3456}])

    assert ledger_lines(trading, data["guid"][0]) == [
        ("TRY", -dec(data["total"]), "buy"),
        ("GAG", dec("12.3456"), "buy"),
    ]


def test_buy_keeps_every_wallet_equal_to_its_ledger(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))

    buy(demo, fix_price(demo), [{"sku": "GPT", "amount": 1.5}, {"sku": "GAG", "amount": 3}])

    assert wallets_match_ledger(trading)


def test_buy_in_usd_debits_the_usd_wallet_only(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, asset="USD", amount=Decimal(1_000))
    usd, try_cash = balance(trading, asset="USD"), balance(trading, asset="TRY")
    fix = fix_price(demo, currency="USD")

    data = buy(demo, fix, [{"sku": "GAU", "amount": 0.25}], currency_code="USD")

    assert dec(data["total"]) == cents(dec(row_of(fix, "GAU")["buy_price"]) * dec("0.25"))
    assert data["orders"][0]["currency_code"] == "USD"
    assert balance(trading, asset="USD") == usd - dec(data["total"])
    assert balance(trading, asset="TRY") == try_cash


def test_buy_without_currency_code_pays_in_the_tokens_currency(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fund(trading, asset="EUR", amount=Decimal(1_000))
    eur = balance(trading, asset="EUR")

    data = buy(demo, fix_price(demo, currency="EUR"), [{"sku": "GAG", "amount": 1}])

    assert data["orders"][0]["currency_code"] == "EUR"
    assert balance(trading, asset="EUR") == eur - dec(data["total"])


def test_buy_marks_the_token_used(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))
    fix = fix_price(demo)

    buy(demo, fix, [{"sku": "GAU", "amount": 0.1}])

    assert token_row(trading, fix["token"]).used_at == FROZEN_AT


def test_buy_records_one_order_request(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))
    external_id = new_id("BUY")
    fix = fix_price(demo)

    order_data(
        demo.post(
            BUY,
            json={
                "price_token": fix["token"],
                "external_id": external_id,
                "items": [{"sku": "GAU", "amount": 0.1}, {"sku": "GAG", "amount": 1}],
            },
        )
    )

    assert [(row.external_id, row.kind) for row in request_rows(trading, external_id)] == [
        (external_id, "buy")
    ]


# -- lifecycle ---------------------------------------------------------------------------------------


def test_buy_walks_created_processing_completed(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))

    data = buy(demo, fix_price(demo), [{"sku": "GAU", "amount": 0.1}])

    assert status_history(trading, data["guid"][0]) == [CREATED, PROCESSING, COMPLETED]


def test_buy_writes_one_status_changed_event_per_status(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))

    data = buy(demo, fix_price(demo), [{"sku": "GAU", "amount": 0.1}])

    assert outbox(trading, data["guid"][0]) == [
        ("order.status_changed", CREATED, "pending"),
        ("order.status_changed", PROCESSING, "pending"),
        ("order.status_changed", COMPLETED, "pending"),
    ]


def test_buy_order_then_readable_by_get_order(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))
    order = buy(demo, fix_price(demo), [{"sku": "GAU", "amount": 0.1}])["orders"][0]

    response = demo.get(f"/partner/order/{order['guid']}")

    Envelope[Order].model_validate(response.json())
    # documented: the buy answer's orders are Orders as Get Order renders them (order_at dd-mm-YYYY HH:MM)
    assert ok_data(response) == order


def test_buy_order_then_readable_by_its_external_id(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))
    data = buy(demo, fix_price(demo), [{"sku": "GAU", "amount": 0.1}])
    external_id = data["orders"][0]["external_id"]

    assert ok_data(demo.get(f"/partner/order/{external_id}"))["guid"] == data["guid"][0]


# -- B2B, from total ---------------------------------------------------------------------------------


def test_buy_from_total_buys_the_grams_the_fix_announced(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))
    fix = fix_price(demo, total=1000)
    row = row_of(fix, "GAU")

    data = buy(demo, fix, [{"sku": "GAU", "topup": {"price": 1000}}])

    item = data["orders"][0]["items"][0]
    assert item["amount"] == row["buy_amount"]
    assert dec(item["total"]) == cents(dec(row["buy_price"]) * dec(row["buy_amount"]))
    assert dec(item["total"]) <= 1000


def test_buy_from_total_debits_the_order_total(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))
    cash, silver = balance(trading, asset="TRY"), balance(trading, asset="GAG")
    fix = fix_price(demo, total="2500.75")

    data = buy(demo, fix, [{"sku": "GAG", "topup": {"price": "2500.75"}}])

    assert balance(trading, asset="TRY") == cash - dec(data["total"])
    assert balance(trading, asset="GAG") == silver + dec(row_of(fix, "GAG")["buy_amount"])


# -- several items -----------------------------------------------------------------------------------

ITEMS = [{"sku": "GAU", "amount": 0.5}, {"sku": "GAG", "amount": 10}, {"sku": "GPT", "amount": 0.25}]


def test_buy_several_items_makes_one_order_per_item(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))

    data = buy(demo, fix_price(demo), ITEMS)

    assert [(o["items"][0]["sku"], o["items"][0]["amount"]) for o in data["orders"]] == [
        ("GAU", 0.5),
        ("GAG", 10),
        ("GPT", 0.25),
    ]
    assert [len(o["items"]) for o in data["orders"]] == [1, 1, 1]
    assert data["guid"] == [o["guid"] for o in data["orders"]]
    assert data["order_code"] == [o["order_code"] for o in data["orders"]]
    assert len(set(data["guid"])) == len(set(data["order_code"])) == 3


def test_buy_several_items_sums_the_item_totals(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))
    fix = fix_price(demo)
    totals = [cents(dec(row_of(fix, item["sku"])["buy_price"]) * dec(item["amount"])) for item in ITEMS]

    data = buy(demo, fix, ITEMS)

    assert [dec(o["total"]) for o in data["orders"]] == totals
    assert (dec(data["price"]), dec(data["tax"]), dec(data["total"])) == (sum(totals), 0, sum(totals))


def test_buy_several_items_share_the_external_id(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))
    external_id = new_id("BUY")
    fix = fix_price(demo)

    data = order_data(
        demo.post(BUY, json={"price_token": fix["token"], "external_id": external_id, "items": ITEMS})
    )

    assert [o["external_id"] for o in data["orders"]] == [external_id] * 3
    assert [row.guid for row in order_rows(trading, external_id)] == data["guid"]


def test_buy_several_items_moves_cash_by_the_sum_and_each_metal(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fund(trading, amount=Decimal(10_000))
    before = {asset: balance(trading, asset=asset) for asset in ("TRY", "GAU", "GAG", "GPT")}

    data = buy(demo, fix_price(demo), ITEMS)

    assert {asset: balance(trading, asset=asset) for asset in before} == {
        "TRY": before["TRY"] - dec(data["total"]),
        "GAU": before["GAU"] + dec("0.5"),
        "GAG": before["GAG"] + 10,
        "GPT": before["GPT"] + dec("0.25"),
    }


def test_buy_same_sku_twice_makes_two_orders_and_adds_both(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fund(trading, amount=Decimal(10_000))
    gold = balance(trading, asset="GAU")

    data = buy(demo, fix_price(demo), [{"sku": "GAU", "amount": 0.1}, {"sku": "GAU", "amount": 0.2}])

    assert len(data["orders"]) == 2
    assert balance(trading, asset="GAU") == gold + dec("0.3")


def test_buy_by_product_id_names_that_product(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))
    fix = fix_price(demo)

    item = buy(demo, fix, [{"product_id": 3000002, "amount": 2}])["orders"][0]["items"][0]

    assert (item["product_id"], item["sku"], item["price"]) == (
        3000002,
        "GAG",
        row_of(fix, "GAG")["buy_price"],
    )


def test_buy_by_matching_sku_and_product_id_is_accepted(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, amount=Decimal(10_000))

    data = buy(demo, fix_price(demo), [{"sku": "GPD", "product_id": 3000091, "amount": 1}])

    item = data["orders"][0]["items"][0]

    assert (item["product_id"], item["sku"]) == (3000091, "GPD")
