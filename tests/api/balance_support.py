"""Shared helpers of the balance tests: reading wallets, entries and open orders from the store."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from sandbox.catalog import STATUS_IDS
from sandbox.store.models import Customer, LedgerEntry, Order, OrderItem, Wallet
from sandbox.testing.server import SandboxServer

ROW_KEYS = [
    "customer_external_id", "name", "currency_id", "currency_symbol", "currency_code", "is_cash",
    "balance", "blocked", "real_balance", "soft_blocked_amount", "stats", "prices",
]  # fmt: skip
OPEN_SELL = {"Created": "soft", "Processing": "hard", "Transferring": "hard"}
ALL_OPEN = [STATUS_IDS[s] for s in ("Created", "Pending", "Processing", "Transferring", "Preparing",
                                    "Packed", "Payment Confirmed")]  # fmt: skip


def dec(value: Any) -> Decimal:
    """A JSON number as the exact Decimal it was rendered from."""
    return Decimal(str(value))


def rows_by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["currency_code"]: row for row in rows}


def partner_customers(server: SandboxServer, partner_id: int) -> list[Customer]:
    with server.sandbox.store.session() as session:
        query = select(Customer).where(Customer.partner_id == partner_id).order_by(Customer.id)
        return list(session.exec(query))


def wallets_of(server: SandboxServer, partner_id: int, customer_id: int | None) -> dict[str, Decimal]:
    with server.sandbox.store.session() as session:
        query = select(Wallet).where(Wallet.partner_id == partner_id)
        query = query.where(
            col(Wallet.customer_id).is_(None) if customer_id is None else Wallet.customer_id == customer_id
        )
        return {wallet.asset: wallet.balance for wallet in session.exec(query)}


def ledger_entries(server: SandboxServer, customer_id: int) -> list[LedgerEntry]:
    with server.sandbox.store.session() as session:
        query = (
            select(LedgerEntry)
            .join(Wallet, col(Wallet.id) == col(LedgerEntry.wallet_id))
            .where(Wallet.customer_id == customer_id)
            .order_by(col(LedgerEntry.id))
        )
        return list(session.exec(query))


def open_orders(server: SandboxServer, customer_id: int) -> list[tuple[Order, OrderItem]]:
    with server.sandbox.store.session() as session:
        query = (
            select(Order, OrderItem)
            .join(OrderItem, col(OrderItem.order_id) == col(Order.id))
            .where(Order.customer_id == customer_id, col(Order.status_id).in_(ALL_OPEN))
        )
        return list(session.exec(query))


def customer_with_only_open_sells(server: SandboxServer, bucket: str) -> tuple[Customer, str, Decimal]:
    """A demo customer whose only open orders are sells held in `bucket` ("soft" or "hard"): the
    customer, the sku and the grams those sells hold."""
    for customer in partner_customers(server, 1):
        pending = open_orders(server, customer.id)
        if not pending or any(order.type != "Sell" for order, _ in pending):
            continue
        statuses = {STATUS_IDS[name]: kind for name, kind in OPEN_SELL.items()}
        if {statuses[order.status_id] for order, _ in pending} != {bucket}:
            continue
        skus = {item.sku for _, item in pending}
        if len(skus) == 1:
            return customer, skus.pop(), sum((item.amount for _, item in pending), Decimal(0))
    raise AssertionError(f"the seeded world has no customer with only {bucket}-held sells")


def acme_only_customer(server: SandboxServer) -> Customer:
    demo_ids = {customer.external_id for customer in partner_customers(server, 1)}
    return next(c for c in partner_customers(server, 2) if c.external_id not in demo_ids)
