"""Amounts at the edges: the documented limits answer 422 long before the store's 64-bit millionths,
sums never overflow, no order moves metal or cash for nothing, and a customer re-created under a
removed one's external_id starts with no orders.

Found by a hostile integrator (issue 13): top-ups past ~9.22e12 TRY were a 500 (`OverflowError`);
lifetime flows past the 64-bit range left the balance, stats and dashboard pages answering 500 on
every call; 0.0001 g of silver was bought for 0.00; and a re-created customer listed the previous
person's orders.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlmodel import select

from sandbox.core.clock import ISTANBUL
from sandbox.domain import ledger
from sandbox.store.models import Customer, Order, OrderItem
from sandbox.testing.server import SandboxServer
from tests.support.clients import partner_client

TOP_UP = Decimal(1_000_000_000)  # the largest single top-up (1e9)
LIMIT = Decimal(10) ** 12  # a wallet's most


@pytest.fixture
def demo(fresh_server: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(fresh_server) as http:
        yield http


def _customer(demo: httpx.Client, external_id: str) -> str:
    body = {"external_id": external_id, "firstname": "Deniz", "lastname": "Arslan"}
    assert demo.post("/partner/customer", json=body).status_code == 200
    return external_id


def _token(demo: httpx.Client, customer: str | None = None) -> str:
    body = {"type": "digital", **({"customer_external_id": customer} if customer else {})}
    return demo.post("/partner/pricefix", json=body).json()["data"]["token"]


def _ledger(fresh_server: SandboxServer, customer: str, asset: str, amounts: list[Decimal]) -> None:
    """Entries straight into the customer's wallet (years of flows, in a blink)."""
    sandbox = fresh_server.sandbox
    partner_id = sandbox.partner_id("demo")
    now = sandbox.clock.now()
    with sandbox.store.session(write=True) as session:
        owner = session.exec(
            select(Customer).where(Customer.partner_id == partner_id, Customer.external_id == customer)
        ).one()
        wallet = ledger.wallet(session, partner_id, owner.id, asset, now)
        for amount in amounts:
            ledger.post(session, wallet, amount, "deposit" if amount > 0 else "withdrawal", now)


def test_top_up_past_the_wallet_limit_is_refused_and_the_wallet_keeps_answering(
    demo: httpx.Client, fresh_server: SandboxServer
) -> None:
    customer = _customer(demo, "limit-topup")
    _ledger(fresh_server, customer, "TRY", [LIMIT - TOP_UP])
    path = f"/partner/balance/customer/{customer}"

    assert demo.patch(path, json={"amount": float(TOP_UP), "currency_code": "TRY"}).status_code == 200
    refused = demo.patch(path, json={"amount": 0.01, "currency_code": "TRY", "description": "one cent more"})

    assert (refused.status_code, refused.json()["data"]["error"]) == (422, "wallet_limit_exceeded")
    assert refused.json()["message"] == "Bir cüzdan en fazla 1,000,000,000,000 TRY tutabilir."
    rows = {row["currency_code"]: row["balance"] for row in demo.get(path).json()["data"]}
    assert rows["TRY"] == LIMIT


def test_buy_whose_metal_would_pass_the_wallet_limit_is_refused_before_anything_is_written(
    demo: httpx.Client, fresh_server: SandboxServer
) -> None:
    customer = _customer(demo, "limit-metal")
    _ledger(fresh_server, customer, "GAG", [LIMIT - Decimal("0.5")])
    body = {"price_token": _token(demo, customer), "external_id": "limit-metal-buy",
            "customer": {"external_id": customer}, "items": [{"sku": "GAG", "amount": 1}]}  # fmt: skip

    refused = demo.post("/partner/order/digital/buy", json=body)

    assert (refused.status_code, refused.json()["data"]["error"]) == (422, "wallet_limit_exceeded")
    assert demo.get("/partner/order/limit-metal-buy").status_code == 404


def test_lifetime_flows_past_64_bits_keep_balances_stats_and_invariants_exact(
    demo: httpx.Client, fresh_server: SandboxServer
) -> None:
    """Twenty wallet-fulls in and out: 2e13 TRY of lifetime inflow, 2e19 millionths, past int64."""
    customer = _customer(demo, "limit-lifetime")
    _ledger(fresh_server, customer, "TRY", [LIMIT, -LIMIT] * 20 + [Decimal("12.34")])

    balance = demo.get(f"/partner/balance/customer/{customer}")
    history = demo.get(f"/partner/balance/customer/{customer}/stats")
    invariants = httpx.get(f"{fresh_server.url}/_sandbox/invariants")
    page = httpx.get(f"{fresh_server.url}/_sandbox/ui/customers/demo/{customer}")

    assert [r.status_code for r in (balance, history, invariants, page)] == [200, 200, 200, 200]
    row = next(row for row in balance.json()["data"] if row["currency_code"] == "TRY")
    assert (row["balance"], row["stats"]["total_in"], row["stats"]["total_out"]) == (
        12.34,
        2e13 + 12.34,
        2e13,
    )
    assert history.json()["data"][0]["points"][-1]["balance"] == 12.34
    assert invariants.json()["data"]["violations"] == []


def test_stats_over_orders_worth_more_than_64_bits_of_millionths_are_exact(
    demo: httpx.Client, fresh_server: SandboxServer
) -> None:
    """Ten completed buys of 1e12 each: their summed totals (1e19 millionths) pass int64."""
    sandbox = fresh_server.sandbox
    partner_id = sandbox.partner_id("demo")
    at = sandbox.clock.now() - timedelta(days=1)
    with sandbox.store.session(write=True) as session:
        for n in range(10):
            order = Order(partner_id=partner_id, guid=f"LIMIT-{n:032d}", order_code=f"LIMIT{n:03d}",
                          external_id=None, type="Buy", flow="buy-cash", status_id=5, payment_type="cash",
                          currency_code="USD", price=LIMIT, tax=Decimal(0), total=LIMIT, order_at=at,
                          updated_at=at)  # fmt: skip
            session.add(order)
            session.flush()
            one, zero = Decimal(1), Decimal(0)
            item = OrderItem(order_id=order.id, product_id=3000001, sku="GAU", product_name="Gold",
                             spot_price=one, price=one, tax_rate=zero, tax=zero, amount=LIMIT,
                             total=LIMIT)  # fmt: skip
            session.add(item)
    day = at.astimezone(ISTANBUL).date().isoformat()  # stats count Istanbul days (UTC+3)

    stats = demo.post("/partner/balance/stats", json={"startDate": day, "endDate": day})

    assert stats.status_code == 200, stats.text
    usd = [
        item
        for item in stats.json()["data"]["items"]
        if item["currency_code"] == "USD" and item["sku"] == "GAU"
    ]
    assert [(item["bought_amount"], item["bought_total"], item["order_count"]) for item in usd] == [
        (1e13, 1e13, 10)
    ]


@pytest.mark.parametrize(
    ("path", "sku"), [("/partner/order/digital/buy", "GAG"), ("/partner/order/digital/sell", "GAG")]
)
def test_order_worth_less_than_a_cent_is_refused(
    demo: httpx.Client, fresh_server: SandboxServer, path: str, sku: str
) -> None:
    customer = _customer(demo, f"limit-cent-{path.rsplit('/', 1)[1]}")
    _ledger(fresh_server, customer, "GAG", [Decimal(1)])
    body = {"price_token": _token(demo, customer), "external_id": f"cent-{path[-4:]}",
            "customer": {"external_id": customer}, "items": [{"sku": sku, "amount": 0.0001}]}  # fmt: skip

    refused = demo.post(path, json=body)

    assert refused.status_code == 422, refused.text
    assert refused.json()["data"]["errors"] == {
        "items.0.amount": ["Bu miktarın tutarı 0,01 TRY altında kalıyor."]
    }


def test_recreated_customer_lists_only_its_own_orders(demo: httpx.Client) -> None:
    """The first customer buys and sells back, empties its wallet and is removed; a new person gets the
    same external_id and sees none of the previous one's orders (they keep their own customer)."""
    customer = _customer(demo, "limit-again")
    buy = {"price_token": _token(demo, customer), "external_id": "again-buy",
           "customer": {"external_id": customer}, "items": [{"sku": "GAG", "amount": 1}]}  # fmt: skip
    assert demo.post("/partner/order/digital/buy", json=buy).status_code == 200
    sell = {**buy, "price_token": _token(demo, customer), "external_id": "again-sell"}
    assert demo.post("/partner/order/digital/sell", json=sell).status_code == 200
    path = f"/partner/balance/customer/{customer}"
    cash = next(row["balance"] for row in demo.get(path).json()["data"] if row["currency_code"] == "TRY")
    assert demo.patch(path, json={"amount": -cash, "currency_code": "TRY"}).status_code == 200
    assert demo.delete(f"/partner/customer/{customer}").status_code == 200
    assert (
        demo.post(
            "/partner/customer", json={"external_id": customer, "firstname": "Ayşe", "lastname": "Yıldız"}
        ).status_code
        == 200
    )

    listed = demo.get("/partner/orders", params={"customer_external_id": customer}).json()["data"]

    assert (listed["total"], listed["data"]) == (0, [])
    earlier = demo.get("/partner/order/again-buy").json()["data"]["customer"]
    assert (earlier["external_id"], earlier["firstname"]) == (customer, "Deniz")
