"""Buy and sell orders of one shape, each test run once per side: the answer, the item at the side's
price, the wallets and ledger entries, the token and the order request, the status history and webhook
outbox, Get Order, several items and product ids. A buy (POST /partner/order/digital/buy) debits cash
and credits metal; a sell (POST /partner/order/digital/sell) does the reverse.

What only one side has is in test_buy.py (buying from a total) and test_sell.py (B2B2C sells and the
lenient profile's notices); refusals are in test_trade_refusals.py. Expected numbers come from the
price fix's own rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from sandbox.wire.orders import Order
from tests.api.helpers import ok_data
from tests.support.trading import (
    BUY,
    FROZEN_AT,
    FROZEN_ORDER_AT,
    FROZEN_ORDER_DATE,
    SELL,
    SKUS,
    balance,
    cents,
    dec,
    fix_price,
    fund,
    funded_customer,
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
CREATED, PROCESSING, COMPLETED, TRANSFERRING = 1, 3, 5, 9


@dataclass(frozen=True)
class Side:
    kind: str  # the order request's and the ledger entries' kind
    path: str
    type: str  # the Order's `type`
    statuses: tuple[int, ...]  # a cash order's status history
    sign: int  # what the order does to the partner's metal: +1 bought, -1 sold; cash moves the other way

    @property
    def price(self) -> str:
        """The price fix's column this side trades at."""
        return f"{self.kind}_price"

    def ledger(self, cash: Decimal, sku: str, grams: Decimal) -> list[tuple[str, Decimal, str]]:
        """The order's ledger entries: what the partner gives is posted first, then what it gets."""
        cash_leg = ("TRY", -self.sign * cash, self.kind)
        metal_leg = (sku, self.sign * grams, self.kind)
        return [cash_leg, metal_leg] if self.sign > 0 else [metal_leg, cash_leg]


BUYING = Side("buy", BUY, "Buy", (CREATED, PROCESSING, COMPLETED), 1)
SELLING = Side("sell", SELL, "Sell", (CREATED, PROCESSING, TRANSFERRING, COMPLETED), -1)


@pytest.fixture(params=[BUYING, SELLING], ids=["buy", "sell"])
def side(request: pytest.FixtureRequest) -> Side:
    return request.param


def hold(trading: SandboxServer, side: Side, currency: str = "TRY") -> None:
    """demo holds what the side gives: 10,000 of `currency` to buy with, or 100 g of every metal to sell."""
    if side is BUYING:
        fund(trading, asset=currency, amount=Decimal(10_000))
    else:
        for sku in SKUS:
            fund(trading, asset=sku, amount=Decimal(100))


def trade(
    http: httpx.Client,
    side: Side,
    fix: dict[str, Any],
    items: list[dict[str, Any]],
    external_id: str | None = None,
    **body: Any,
) -> dict[str, Any]:
    """An order of the side that must succeed; returns the validated Order Response data."""
    payload = {
        "price_token": fix["token"],
        "external_id": external_id or new_id(side.type.upper()),
        "items": items,
    }
    return order_data(http.post(side.path, json={**payload, **body}))


# -- B2B, one item -----------------------------------------------------------------------------------


def test_order_response_keys_in_documented_order_payment_null(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)

    data = trade(demo, side, fix_price(demo), [{"sku": "GAU", "amount": 0.5}])

    assert list(data) == ["order_code", "guid", "price", "tax", "total", "order_at", "orders", "payment"]
    # documented (schema-611263): `payment` is always in the answer, null for a cash order.
    assert data["payment"] is None


def test_order_b2b_returns_one_completed_cash_order(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)
    external_id = new_id(side.type.upper())

    data = trade(demo, side, fix_price(demo), [{"sku": "GAU", "amount": 0.5}], external_id)

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
        "type": side.type,
        "status_name": "Completed",
        "payment_type": "cash",
        "currency_code": "TRY",
    }
    assert (order["customer"], order["payment"], order["payment_cost"]) == (None, None, 0)
    assert order["description"] == "0.5gr - #GAU"


def test_order_b2b_item_total_is_the_sides_price_times_amount(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)
    fix = fix_price(demo)
    row = row_of(fix, "GAU")
    total = float(cents(dec(row[side.price]) * dec("1.5")))

    data = trade(demo, side, fix, [{"sku": "GAU", "amount": 1.5}])

    order = data["orders"][0]
    assert list(order["items"][0]) == ITEM_KEYS
    assert order["items"] == [
        {
            "product_id": 3000001,
            "sku": "GAU",
            "product_name": "Gold - Digital storage",
            "spot_price": row["spot_price"],
            "price": row[side.price],
            "tax_rate": 0,
            "tax": 0,
            "amount": 1.5,
            "total": total,
        }
    ]
    assert (data["price"], data["tax"], data["total"]) == (total, 0, total)
    assert (order["price"], order["tax"], order["total"]) == (total, 0, total)
    assert order["description"] == "1.5gr - #GAU"


def test_order_b2b_moves_cash_and_metal_by_the_total_and_the_grams(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)
    cash, silver = balance(trading, asset="TRY"), balance(trading, asset="GAG")
    fix = fix_price(demo)

    data = trade(demo, side, fix, [{"sku": "GAG", "amount": 33.3333}])

    total = dec(data["total"])
    assert total == cents(dec(row_of(fix, "GAG")[side.price]) * dec("33.3333"))
    assert balance(trading, asset="TRY") == cash - side.sign * total
    assert balance(trading, asset="GAG") == silver + side.sign * dec("33.3333")


def test_order_b2b_posts_one_cash_and_one_metal_ledger_entry(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)

    data = trade(demo, side, fix_price(demo), [{"sku": "GAG", "amount": 12.3456}])

    assert ledger_lines(trading, data["guid"][0]) == side.ledger(dec(data["total"]), "GAG", dec("12.3456"))


def test_order_keeps_every_wallet_equal_to_its_ledger(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)

    trade(demo, side, fix_price(demo), [{"sku": "GPT", "amount": 1.5}, {"sku": "GAG", "amount": 3}])

    assert wallets_match_ledger(trading)


def test_order_in_usd_moves_the_usd_wallet_only(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side, "USD")
    usd, try_cash = balance(trading, asset="USD"), balance(trading, asset="TRY")
    fix = fix_price(demo, currency="USD")

    data = trade(demo, side, fix, [{"sku": "GAU", "amount": 0.25}], currency_code="USD")

    assert dec(data["total"]) == cents(dec(row_of(fix, "GAU")[side.price]) * dec("0.25"))
    assert data["orders"][0]["currency_code"] == "USD"
    assert balance(trading, asset="USD") == usd - side.sign * dec(data["total"])
    assert balance(trading, asset="TRY") == try_cash


def test_order_without_currency_code_is_in_the_tokens_currency(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side, "EUR")
    eur = balance(trading, asset="EUR")

    data = trade(demo, side, fix_price(demo, currency="EUR"), [{"sku": "GAG", "amount": 1}])

    assert data["orders"][0]["currency_code"] == "EUR"
    assert balance(trading, asset="EUR") == eur - side.sign * dec(data["total"])


def test_order_marks_the_token_used(demo: httpx.Client, trading: SandboxServer, side: Side) -> None:
    hold(trading, side)
    fix = fix_price(demo)

    trade(demo, side, fix, [{"sku": "GAU", "amount": 0.1}])

    assert token_row(trading, fix["token"]).used_at == FROZEN_AT


def test_order_records_one_order_request_of_its_kind(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)
    external_id = new_id(side.type.upper())

    trade(
        demo, side, fix_price(demo), [{"sku": "GAU", "amount": 0.1}, {"sku": "GAG", "amount": 1}], external_id
    )

    assert [(row.external_id, row.kind) for row in request_rows(trading, external_id)] == [
        (external_id, side.kind)
    ]


@pytest.mark.parametrize(("product_id", "sku"), [(3000002, "GAG"), (3000091, "GPD")])
def test_order_by_product_id_names_that_product(
    demo: httpx.Client, trading: SandboxServer, side: Side, product_id: int, sku: str
) -> None:
    hold(trading, side)
    fix = fix_price(demo)

    item = trade(demo, side, fix, [{"product_id": product_id, "amount": 1}])["orders"][0]["items"][0]

    assert (item["product_id"], item["sku"], item["price"]) == (product_id, sku, row_of(fix, sku)[side.price])


def test_order_by_matching_sku_and_product_id_is_accepted(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)

    data = trade(demo, side, fix_price(demo), [{"sku": "GPD", "product_id": 3000091, "amount": 1}])

    item = data["orders"][0]["items"][0]
    assert (item["product_id"], item["sku"]) == (3000091, "GPD")


# -- lifecycle ---------------------------------------------------------------------------------------


def test_order_walks_the_statuses_of_its_flow(demo: httpx.Client, trading: SandboxServer, side: Side) -> None:
    hold(trading, side)

    data = trade(demo, side, fix_price(demo), [{"sku": "GAU", "amount": 0.1}])

    assert status_history(trading, data["guid"][0]) == list(side.statuses)


def test_order_writes_one_status_changed_event_per_status(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)

    data = trade(demo, side, fix_price(demo), [{"sku": "GAU", "amount": 0.1}])

    assert outbox(trading, data["guid"][0]) == [
        ("order.status_changed", status, "pending") for status in side.statuses
    ]


@pytest.mark.parametrize("for_a_customer", [False, True], ids=["b2b", "b2b2c"])
def test_order_then_readable_by_get_order_by_guid_and_order_code(
    demo: httpx.Client, trading: SandboxServer, side: Side, for_a_customer: bool
) -> None:
    if for_a_customer:
        customer = funded_customer(trading) if side is BUYING else funded_customer(trading, "GAU", dec("2"))
        fix = fix_price(demo, customer_external_id=customer)
        body: dict[str, Any] = {"customer": {"external_id": customer}}
    else:
        hold(trading, side)
        fix, body = fix_price(demo), {}
    order = trade(demo, side, fix, [{"sku": "GAU", "amount": 1}], **body)["orders"][0]

    for ref in (order["guid"], order["order_code"]):
        response = demo.get(f"/partner/order/{ref}")

        Envelope[Order].model_validate(response.json())
        # documented: the answer's orders are Orders as Get Order renders them (order_at dd-mm-YYYY HH:MM)
        assert ok_data(response) == order


def test_order_then_readable_by_its_external_id(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)
    data = trade(demo, side, fix_price(demo), [{"sku": "GAU", "amount": 0.1}])
    external_id = data["orders"][0]["external_id"]

    assert ok_data(demo.get(f"/partner/order/{external_id}"))["guid"] == data["guid"][0]


# -- several items -----------------------------------------------------------------------------------

ITEMS = [{"sku": "GAU", "amount": 0.5}, {"sku": "GAG", "amount": 10}, {"sku": "GPT", "amount": 0.25}]


def test_order_several_items_makes_one_order_per_item(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)

    data = trade(demo, side, fix_price(demo), ITEMS)

    assert [(o["items"][0]["sku"], o["items"][0]["amount"]) for o in data["orders"]] == [
        ("GAU", 0.5),
        ("GAG", 10),
        ("GPT", 0.25),
    ]
    assert [len(o["items"]) for o in data["orders"]] == [1, 1, 1]
    assert data["guid"] == [o["guid"] for o in data["orders"]]
    assert data["order_code"] == [o["order_code"] for o in data["orders"]]
    assert len(set(data["guid"])) == len(set(data["order_code"])) == 3


def test_order_several_items_sums_the_item_totals(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)
    fix = fix_price(demo)
    totals = [cents(dec(row_of(fix, item["sku"])[side.price]) * dec(item["amount"])) for item in ITEMS]

    data = trade(demo, side, fix, ITEMS)

    assert [dec(o["total"]) for o in data["orders"]] == totals
    assert (dec(data["price"]), dec(data["tax"]), dec(data["total"])) == (sum(totals), 0, sum(totals))


def test_order_several_items_share_the_external_id(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)
    external_id = new_id(side.type.upper())

    data = trade(demo, side, fix_price(demo), ITEMS, external_id)

    assert [o["external_id"] for o in data["orders"]] == [external_id] * 3
    assert [row.guid for row in order_rows(trading, external_id)] == data["guid"]


def test_order_several_items_moves_cash_by_the_sum_and_each_metal(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)
    before = {asset: balance(trading, asset=asset) for asset in ("TRY", "GAU", "GAG", "GPT")}

    data = trade(demo, side, fix_price(demo), ITEMS)

    assert {asset: balance(trading, asset=asset) for asset in before} == {
        "TRY": before["TRY"] - side.sign * dec(data["total"]),
        "GAU": before["GAU"] + side.sign * dec("0.5"),
        "GAG": before["GAG"] + side.sign * 10,
        "GPT": before["GPT"] + side.sign * dec("0.25"),
    }


def test_order_same_sku_twice_makes_two_orders_and_moves_both(
    demo: httpx.Client, trading: SandboxServer, side: Side
) -> None:
    hold(trading, side)
    gold = balance(trading, asset="GAU")

    data = trade(demo, side, fix_price(demo), [{"sku": "GAU", "amount": 0.1}, {"sku": "GAU", "amount": 0.2}])

    assert len(data["orders"]) == 2
    assert balance(trading, asset="GAU") == gold + side.sign * dec("0.3")
