"""Buy (POST /partner/order/digital/buy) from a total, B2B: the partner names the money to spend and the
buy takes the grams the price fix announced for it, rounded down.

What a buy shares with a sell (the answer, the item, wallets, ledger, status history, outbox, Get
Order, several items) is in test_trade_orders.py, run for both sides; B2B2C is in test_buy_b2b2c.py,
refusals in test_buy_failures.py and test_trade_refusals.py. Expected numbers come from the price fix's
own rows.
"""

from __future__ import annotations

from decimal import Decimal

import httpx

from sandbox.testing.server import SandboxServer
from tests.support.trading import balance, buy, cents, dec, fix_price, fund, row_of


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
