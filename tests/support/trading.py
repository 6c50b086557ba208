"""Shared by the price-fix, buy, sell, card and delivery tests: the frozen business clock they run on,
the partner's rounding rules, direct ledger funding, database read-backs and wire-model checks.

They run on the session server through the `trading` fixture (tests/support/fixtures.py): a fresh
seed-42 world per test, its clock frozen at `FROZEN_AT`, so prices, expiry and `order_at` are the same
whatever order tests run in.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import col, select

from sandbox.core.ids import Rng
from sandbox.domain import ledger
from sandbox.store.models import (
    Customer,
    LedgerEntry,
    Order,
    OrderItem,
    OrderRequest,
    OrderStatusHistory,
    PriceFix,
    Wallet,
    WebhookEvent,
)
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope, ErrorEnvelope
from sandbox.wire.prices import CalculateResponse, PriceFixResponse
from sandbox.wire.trading import OrderResponse
from sandbox.world import identity_number
from tests.api.helpers import error_body, ok_data
from tests.support.constants import DEMO, PARTNER_HEADERS

PRICEFIX = "/partner/pricefix"
CALCULATE = "/partner/pricefix/calculate"
BUY = "/partner/order/digital/buy"
SELL = "/partner/order/digital/sell"

# 12:30:15 in Istanbul: a second inside a minute, so a few seconds later is still the same market minute.
FROZEN_AT = datetime(2025, 3, 10, 9, 30, 15, tzinfo=UTC)
FROZEN_ORDER_AT = "2025-03-10 12:30:15"  # a buy/sell answer's top-level order_at
FROZEN_ORDER_DATE = "10-03-2025 12:30"  # documented: an Order's order_at (`dd-mm-YYYY HH:MM`)
CENT = Decimal("0.01")
TENTH_MILLIGRAM = Decimal("0.0001")
SKUS = ("GAU", "GAG", "BGAU", "BGAG", "GPT", "GPD")

_serial = itertools.count(1)


# -- ids ----------------------------------------------------------------------------------------------


def new_id(prefix: str) -> str:
    """A fresh external id (order or customer): unique in the test session, valid as both."""
    return f"{prefix}-{next(_serial):05d}"


# -- the partner's rounding rules, written independently of the app -----------------------------------


def dec(value: float | int | str) -> Decimal:
    """A JSON number as the exact decimal it was written as."""
    return Decimal(str(value))


def cents(value: Decimal) -> Decimal:
    """Money: 2 dp, half up (`total = price × amount`)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def grams_bought(total: Decimal, price: Decimal) -> Decimal:
    """From Total Price: the grams `total` pays for, rounded DOWN to 4 dp."""
    return (total / price).quantize(TENTH_MILLIGRAM, rounding=ROUND_DOWN)


# -- wire models ------------------------------------------------------------------------------------


def price_fix_data(response: httpx.Response) -> dict[str, Any]:
    data = ok_data(response)
    Envelope[PriceFixResponse].model_validate(response.json())
    return data


def calculate_data(response: httpx.Response) -> dict[str, Any]:
    data = ok_data(response)
    Envelope[CalculateResponse].model_validate(response.json())
    return data


def order_data(response: httpx.Response) -> dict[str, Any]:
    data = ok_data(response)
    Envelope[OrderResponse].model_validate(response.json())
    return data


def refusal(response: httpx.Response, status: int, key: str) -> dict[str, Any]:
    """The `data` of an error envelope after checking status, key and the ErrorEnvelope wire model."""
    body = error_body(response, status, key)
    ErrorEnvelope.model_validate(body)
    return body["data"]


def fix_price(http: httpx.Client, **body: Any) -> dict[str, Any]:
    return price_fix_data(http.post(PRICEFIX, json={"type": "digital", **body}))


def buy(http: httpx.Client, fix: dict[str, Any], items: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    """A buy that must succeed, with a fresh external_id; returns the validated Order Response data."""
    payload = {"price_token": fix["token"], "external_id": new_id("BUY"), "items": items, **body}
    return order_data(http.post(BUY, json=payload))


def row_of(fix: dict[str, Any], sku: str) -> dict[str, Any]:
    return next(row for row in fix["prices"] if row["sku"] == sku)


def race(server: SandboxServer, path: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    """POST every body at once, as demo: each racer has its own connection and already holds a Digest
    nonce, then all wait at one barrier and send together."""
    clients = [
        httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=60)
        for _ in bodies
    ]
    try:
        for http in clients:
            assert http.get("/partner/orders/statuses").status_code == 200
        barrier = threading.Barrier(len(bodies))

        def send(index: int) -> httpx.Response:
            barrier.wait()
            return clients[index].post(path, json=bodies[index])

        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            return list(pool.map(send, range(len(bodies))))
    finally:
        for http in clients:
            http.close()


# -- customers and money ----------------------------------------------------------------------------


def customer_block(external_id: str) -> dict[str, Any]:
    """A complete OrderCustomer block: enough to create the customer on its first buy."""
    return {
        "external_id": external_id,
        "firstname": "Mehmet",
        "lastname": "Gülbilge",
        "fullname": "Mehmet Gülbilge",
        "email": f"{external_id.lower()}@example.com",
        "phone": "+905322808035",
        "gender": "M",
        "identity_number": identity_number(Rng(f"trading-tests:{external_id}")),
        "birthdate": "1970-01-31",
    }


def add_customer(
    server: SandboxServer, external_id: str, *, partner: str = "demo", kyc_status: str = "approved"
) -> None:
    """Insert a customer straight into the store (the KYC endpoints are not the subject here)."""
    partner_id = server.sandbox.partner_id(partner)
    block = customer_block(external_id)
    now = server.sandbox.clock.now()
    with server.sandbox.store.session(write=True) as session:
        session.add(
            Customer(
                partner_id=partner_id,
                external_id=external_id,
                firstname=block["firstname"],
                lastname=block["lastname"],
                email=block["email"],
                phone=block["phone"],
                gender="M",
                identity_number=block["identity_number"],
                kyc_status=kyc_status,
                kyc_updated_at=now,
                created_at=now,
                updated_at=now,
            )
        )


def funded_customer(
    server: SandboxServer,
    asset: str = "TRY",
    amount: Decimal = Decimal(50_000),
    *,
    kyc_status: str = "approved",
) -> str:
    """A new demo customer (inserted directly) holding `amount` of `asset`; returns its external_id."""
    customer = new_id("CUS")
    add_customer(server, customer, kyc_status=kyc_status)
    fund(server, customer_external_id=customer, asset=asset, amount=amount)
    return customer


def set_kyc(server: SandboxServer, external_id: str, status: str, *, partner: str = "demo") -> None:
    partner_id = server.sandbox.partner_id(partner)
    with server.sandbox.store.session(write=True) as session:
        customer = _customer(session, partner_id, external_id)
        customer.kyc_status = status
        session.add(customer)


def fund(
    server: SandboxServer,
    partner: str = "demo",
    customer_external_id: str | None = None,
    asset: str = "TRY",
    *,
    amount: Decimal,
) -> None:
    """Deposit `amount` of `asset` (a currency code or a sku) through the ledger, as a real deposit would."""
    partner_id = server.sandbox.partner_id(partner)
    now = server.sandbox.clock.now()
    with server.sandbox.store.session(write=True) as session:
        customer_id = _owner(session, partner_id, customer_external_id)
        target = ledger.wallet(session, partner_id, customer_id, asset, now)
        ledger.post(session, target, amount, "deposit", now, description="test funding")


def balance(
    server: SandboxServer, partner: str = "demo", customer_external_id: str | None = None, asset: str = "TRY"
) -> Decimal:
    """The wallet's stored balance (0 when the wallet does not exist yet)."""
    partner_id = server.sandbox.partner_id(partner)
    with server.sandbox.store.session() as session:
        customer_id = _owner(session, partner_id, customer_external_id)
        found = ledger.find_wallet(session, partner_id, customer_id, asset)
        return found.balance if found else Decimal(0)


def available(
    server: SandboxServer, partner: str = "demo", customer_external_id: str | None = None, asset: str = "TRY"
) -> Decimal:
    """Balance minus what open orders hold: what a new order may take."""
    partner_id = server.sandbox.partner_id(partner)
    with server.sandbox.store.session() as session:
        customer_id = _owner(session, partner_id, customer_external_id)
        return ledger.available(session, partner_id, customer_id, asset)


def wallet_entries(
    server: SandboxServer, customer_external_id: str, asset: str = "TRY", partner: str = "demo"
) -> list[tuple[Decimal, str, str | None]]:
    """(amount, kind, description) of every ledger entry of the customer's `asset` wallet, oldest first."""
    partner_id = server.sandbox.partner_id(partner)
    with server.sandbox.store.session() as session:
        customer_id = _customer(session, partner_id, customer_external_id).id
        found = ledger.find_wallet(session, partner_id, customer_id, asset)
        query = select(LedgerEntry).where(LedgerEntry.wallet_id == (found.id if found else -1))
        return [(e.amount, e.kind, e.description) for e in session.exec(query.order_by(LedgerEntry.id))]


def _owner(session, partner_id: int, customer_external_id: str | None) -> int | None:
    """The wallet owner's customer id; None: the partner's own wallets."""
    return _customer(session, partner_id, customer_external_id).id if customer_external_id else None


def _customer(session, partner_id: int, external_id: str) -> Customer:
    query = select(Customer).where(Customer.partner_id == partner_id, Customer.external_id == external_id)
    return session.exec(query).one()


# -- database read-backs ----------------------------------------------------------------------------


def snapshot(server: SandboxServer) -> dict[str, Any]:
    """Everything a trading request could write: row counts, every wallet balance, used tokens."""
    tables = (Order, OrderItem, OrderRequest, LedgerEntry, Customer, Wallet, WebhookEvent, OrderStatusHistory)
    with server.sandbox.store.session() as session:
        counts = {
            table.__name__: session.exec(select(func.count()).select_from(table)).one() for table in tables
        }
        counts["price fixes"] = session.exec(select(func.count()).select_from(PriceFix)).one()
        counts["used price fixes"] = session.exec(
            select(func.count()).select_from(PriceFix).where(col(PriceFix.used_at).is_not(None))
        ).one()
        wallets = {wallet.id: wallet.balance for wallet in session.exec(select(Wallet))}
    return {**counts, "balances": wallets}


def customer_row(server: SandboxServer, external_id: str, partner: str = "demo") -> Customer | None:
    partner_id = server.sandbox.partner_id(partner)
    with server.sandbox.store.session() as session:
        query = select(Customer).where(Customer.partner_id == partner_id, Customer.external_id == external_id)
        return session.exec(query).first()


def token_row(server: SandboxServer, token: str) -> PriceFix:
    with server.sandbox.store.session() as session:
        return session.exec(select(PriceFix).where(PriceFix.token == token)).one()


def order_rows(server: SandboxServer, external_id: str, partner: str = "demo") -> list[Order]:
    partner_id = server.sandbox.partner_id(partner)
    with server.sandbox.store.session() as session:
        query = select(Order).where(Order.partner_id == partner_id, Order.external_id == external_id)
        return list(session.exec(query.order_by(Order.id)))


def request_rows(server: SandboxServer, external_id: str, partner: str = "demo") -> list[OrderRequest]:
    partner_id = server.sandbox.partner_id(partner)
    with server.sandbox.store.session() as session:
        query = select(OrderRequest).where(
            OrderRequest.partner_id == partner_id, OrderRequest.external_id == external_id
        )
        return list(session.exec(query))


def _order_id(session, guid: str) -> int:
    return session.exec(select(Order.id).where(Order.guid == guid)).one()


def status_history(server: SandboxServer, guid: str) -> list[int]:
    with server.sandbox.store.session() as session:
        query = select(OrderStatusHistory.status_id).where(
            OrderStatusHistory.order_id == _order_id(session, guid)
        )
        return list(session.exec(query.order_by(OrderStatusHistory.id)))


def outbox(server: SandboxServer, guid: str) -> list[tuple[str, int | None, str]]:
    """(event, status_id, state) of every webhook outbox row of the order, oldest first."""
    with server.sandbox.store.session() as session:
        query = select(WebhookEvent).where(WebhookEvent.order_id == _order_id(session, guid))
        return [
            (row.event, row.status_id, row.state) for row in session.exec(query.order_by(WebhookEvent.id))
        ]


def ledger_lines(server: SandboxServer, guid: str) -> list[tuple[str, Decimal, str]]:
    """(asset, signed amount, kind) of every ledger entry the order made, in posting order."""
    with server.sandbox.store.session() as session:
        query = (
            select(Wallet.asset, LedgerEntry.amount, LedgerEntry.kind)
            .join(Wallet, col(Wallet.id) == col(LedgerEntry.wallet_id))
            .where(LedgerEntry.order_id == _order_id(session, guid))
            .order_by(LedgerEntry.id)
        )
        return [tuple(row) for row in session.exec(query)]


def wallets_match_ledger(server: SandboxServer) -> bool:
    """The ledger invariant: every wallet's stored balance is the sum of its entries."""
    with server.sandbox.store.session() as session:
        query = select(LedgerEntry.wallet_id, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.wallet_id)
        sums = {wallet_id: total for wallet_id, total in session.exec(query)}
        wallets = session.exec(select(Wallet)).all()
    return all(wallet.balance == sums.get(wallet.id, Decimal(0)) for wallet in wallets)
