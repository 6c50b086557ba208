"""Concurrent writers through a real server: balances stay exact and nothing is sold twice.

The server runs the strict profile, so a customer's cash buy needs the customer's own cash (profile
rule `customer_cash`); the last test switches demo to lenient, where the partner settles each
shortfall, and checks that every one is settled exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from sqlmodel import col, select

from sandbox.core.clock import Clock
from sandbox.domain import ledger
from sandbox.store.models import Customer, LedgerEntry, Order, Wallet
from sandbox.testing.server import SandboxServer
from tests.api.helpers import partner_profile
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import make_settings

FROZEN = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
BUYERS = 50
AFFORDABLE = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    settings = make_settings(tmp_path_factory.mktemp("concurrency"), orders=60, profile="strict")
    with SandboxServer(settings, clock=Clock(frozen_at=FROZEN)) as running:
        yield running


def _client(server: SandboxServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=60
    )


def _customer_with_cash(server: SandboxServer, external_id: str, cash: Decimal) -> int:
    store = server.sandbox.store
    with store.session(write=True) as session:
        customer = Customer(
            partner_id=1, external_id=external_id, firstname="Deniz", lastname="Kaya", kyc_status="approved",
            identity_number="46714948610", created_at=FROZEN, updated_at=FROZEN,
        )  # fmt: skip
        session.add(customer)
        session.flush()
        ledger.post(session, ledger.wallet(session, 1, customer.id, "TRY", FROZEN), cash, "deposit", FROZEN)
        return customer.id


def _balance(server: SandboxServer, customer_id: int, asset: str) -> Decimal:
    with server.sandbox.store.session() as session:
        wallet = ledger.find_wallet(session, 1, customer_id, asset)
        return wallet.balance if wallet else Decimal(0)


def _race_buys(server: SandboxServer, buyer: str) -> tuple[Decimal, int, list[httpx.Response]]:
    """(the price of 1 g gold, the customer's id, the answers): BUYERS buys of 1 g each for `buyer`,
    sent at once, after `buyer` is created with cash for AFFORDABLE of them."""
    with _client(server) as client:
        tokens = [
            client.post("/partner/pricefix", json={"type": "digital", "customer_external_id": buyer}).json()
            for _ in range(BUYERS)
        ]
    price = Decimal(str(next(row for row in tokens[0]["data"]["prices"] if row["sku"] == "GAU")["buy_price"]))
    customer_id = _customer_with_cash(server, buyer, price * AFFORDABLE)

    def buy(index: int) -> httpx.Response:
        with _client(server) as client:
            return client.post(
                "/partner/order/digital/buy",
                json={
                    "price_token": tokens[index]["data"]["token"],
                    "external_id": f"{buyer}-{index}",
                    "customer": {"external_id": buyer},
                    "items": [{"sku": "GAU", "amount": 1}],
                },
            )

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        return price, customer_id, list(pool.map(buy, range(BUYERS)))


def test_fifty_concurrent_buys_against_cash_for_ten_make_exactly_ten_orders(server: SandboxServer) -> None:
    _, customer_id, responses = _race_buys(server, "race-buyer")

    outcomes = Counter(
        (r.status_code, r.json()["data"].get("error") if r.status_code != 200 else None) for r in responses
    )
    assert outcomes == {(200, None): AFFORDABLE, (422, "insufficient_balance"): BUYERS - AFFORDABLE}
    assert _balance(server, customer_id, "TRY") == Decimal(0)
    assert _balance(server, customer_id, "GAU") == Decimal(AFFORDABLE)
    with server.sandbox.store.session() as session:
        orders = session.exec(select(Order).where(Order.customer_id == customer_id)).all()
        wallets = session.exec(select(Wallet).where(Wallet.customer_id == customer_id)).all()
    assert len(orders) == AFFORDABLE
    assert all(wallet.balance >= 0 for wallet in wallets)


def test_concurrent_sells_of_the_same_grams_sell_them_once(server: SandboxServer) -> None:
    customer_id = _customer_with_cash(server, "race-seller", Decimal(0))
    with server.sandbox.store.session(write=True) as session:
        ledger.post(
            session, ledger.wallet(session, 1, customer_id, "GAG", FROZEN), Decimal(100), "deposit", FROZEN
        )
    with _client(server) as client:
        tokens = [
            client.post("/partner/pricefix", json={"type": "digital"}).json()["data"]["token"]
            for _ in range(20)
        ]

    def sell(index: int) -> int:
        with _client(server) as client:
            return client.post(
                "/partner/order/digital/sell",
                json={
                    "price_token": tokens[index],
                    "external_id": f"race-sell-{index}",
                    "customer": {"external_id": "race-seller"},
                    "items": [{"sku": "GAG", "amount": 30}],
                },
            ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = Counter(pool.map(sell, range(20)))

    assert statuses == {200: 3, 422: 17}
    assert _balance(server, customer_id, "GAG") == Decimal(10)


def test_fifty_concurrent_lenient_buys_settle_each_shortfall_exactly_once(server: SandboxServer) -> None:
    """Lenient: the first AFFORDABLE buys take the customer's own cash, each later one has its whole
    total settled by the partner (a `deposit` "partner settlement") before it takes it."""
    with partner_profile(server, "lenient"):
        price, customer_id, responses = _race_buys(server, "race-settled")

    assert Counter(r.status_code for r in responses) == {200: BUYERS}
    notices = [notice for r in responses for notice in r.headers.get_list("x-sandbox-notice")]
    settled = f"customer_cash: the partner settled {price:.2f} TRY the customer's cash wallet lacked"
    assert notices == [settled] * (BUYERS - AFFORDABLE)
    assert _balance(server, customer_id, "TRY") == Decimal(0)
    assert _balance(server, customer_id, "GAU") == Decimal(BUYERS)
    with server.sandbox.store.session() as session:
        query = (
            select(LedgerEntry.amount)
            .join(Wallet, col(Wallet.id) == col(LedgerEntry.wallet_id))
            .where(Wallet.customer_id == customer_id, Wallet.asset == "TRY", LedgerEntry.kind == "deposit")
            .where(LedgerEntry.description == "partner settlement")
        )
        settlements = session.exec(query).all()
    assert settlements == [price] * (BUYERS - AFFORDABLE)
