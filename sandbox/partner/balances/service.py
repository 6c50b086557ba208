"""Balance rows as the partner shows them, read from wallets, their ledger entries and open orders.

documented (Customer Balance, api-3717483): rows of 12 keys in this order: customer_external_id, name,
currency_id, currency_symbol, currency_code, is_cash, balance, blocked, real_balance,
soft_blocked_amount, stats, prices. sandbox decisions: one cash row per currency the owner has used
(TRY always, first) then one row per metal; `blocked` is what confirmed open orders hold,
`soft_blocked_amount` what orders still awaiting confirmation hold, `real_balance` = balance − both;
`stats` sums the wallet's ledger and `prices` values a metal row at the current market.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from sandbox.catalog import CASH_CURRENCY_IDS, CURRENCIES, CURRENCY_SYMBOLS, PRODUCTS, PRODUCTS_BY_SKU
from sandbox.core.money import money
from sandbox.partner.balances import ledger
from sandbox.partner.prices.feed import PriceFeed
from sandbox.store.models import Customer, LedgerEntry, Wallet

CASH_NAMES = {"TRY": "Türk Lirası", "USD": "ABD Doları", "EUR": "Euro", "GBP": "İngiliz Sterlini"}
ZERO = Decimal(0)


def owner_wallets(session: Session, partner_id: int, customer_id: int | None) -> dict[str, Wallet]:
    query = select(Wallet).where(Wallet.partner_id == partner_id)
    query = query.where(
        col(Wallet.customer_id).is_(None) if customer_id is None else Wallet.customer_id == customer_id
    )
    return {wallet.asset: wallet for wallet in session.exec(query)}


def assets(wallets: dict[str, Wallet]) -> list[str]:
    """Cash currencies in use (TRY always, first), then every metal."""
    cash = [code for code in CURRENCIES if code == "TRY" or code in wallets]
    return [*cash, *(product.sku for product in PRODUCTS)]


def balance_rows(
    session: Session, feed: PriceFeed, now: datetime, partner_id: int, customer: Customer | None
) -> list[dict[str, Any]]:
    customer_id = customer.id if customer else None
    wallets = owner_wallets(session, partner_id, customer_id)
    held = ledger.holds(session, partner_id, customer_id)
    stats = _stats(session, [wallet.id for wallet in wallets.values()])
    rows = []
    for asset in assets(wallets):
        wallet = wallets.get(asset)
        balance = wallet.balance if wallet else ZERO
        hold = held.get(asset, ledger.Holds())
        row = _identity(asset, customer)
        row |= {
            "balance": balance,
            "blocked": hold.hard,
            "real_balance": balance - hold.hard - hold.soft,
            "soft_blocked_amount": hold.soft,
            "stats": stats.get(wallet.id, _empty_stats()) if wallet else _empty_stats(),
            "prices": None if _is_cash(asset) else _prices(feed, now, asset, balance),
        }
        rows.append(row)
    return rows


def customer_wallets(session: Session, partner_id: int, customer: Customer) -> list[dict[str, Any]]:
    """Get Customer's `wallets[]`: the customer's opened wallets (documented: 10 keys, `id` first)."""
    wallets = owner_wallets(session, partner_id, customer.id)
    held = ledger.holds(session, partner_id, customer.id)
    rows = []
    for asset in assets(wallets):
        wallet = wallets.get(asset)
        if wallet is None:
            continue
        hold = held.get(asset, ledger.Holds())
        rows.append(
            {"id": wallet.id}
            | _identity(asset, customer)
            | {
                "balance": wallet.balance,
                "blocked": hold.hard,
                "real_balance": wallet.balance - hold.hard - hold.soft,
            }
        )
    return rows


def _identity(asset: str, customer: Customer | None) -> dict[str, Any]:
    cash = _is_cash(asset)
    product = None if cash else PRODUCTS_BY_SKU[asset]
    return {
        "customer_external_id": customer.external_id if customer else None,
        "name": CASH_NAMES[asset] if cash else product.name,
        "currency_id": CASH_CURRENCY_IDS[asset] if cash else product.currency_id,
        "currency_symbol": CURRENCY_SYMBOLS[asset] if cash else "gr",
        "currency_code": asset,
        "is_cash": cash,
    }


def _is_cash(asset: str) -> bool:
    return asset in CASH_CURRENCY_IDS


def _prices(feed: PriceFeed, now: datetime, sku: str, balance: Decimal) -> dict[str, Any]:
    quote = feed.quote(sku, now, "TRY")
    return {
        "currency": "TRY",
        "spot_price": quote.spot,
        "buy_price": quote.buy,
        "sell_price": quote.sell,
        "value": money(balance * quote.sell),
    }


def _empty_stats() -> dict[str, Any]:
    return {"total_in": ZERO, "total_out": ZERO, "order_count": 0}


def _stats(session: Session, wallet_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not wallet_ids:
        return {}
    amount = col(LedgerEntry.amount)
    query = (
        select(
            LedgerEntry.wallet_id,
            func.sum(case((amount > 0, amount), else_=0)),
            func.sum(case((amount < 0, -amount), else_=0)),
            func.count(func.distinct(LedgerEntry.order_id)),
        )
        .where(col(LedgerEntry.wallet_id).in_(wallet_ids))
        .group_by(LedgerEntry.wallet_id)
    )
    scale = Decimal(1).scaleb(-6)  # sums of the scaled-integer column (see store.models.Amount)
    return {
        wallet_id: {
            "total_in": Decimal(inflow) * scale,
            "total_out": Decimal(outflow) * scale,
            "order_count": count,
        }
        for wallet_id, inflow, outflow, count in session.exec(query)
    }
