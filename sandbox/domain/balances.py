"""Balance rows as the partner shows them, read from wallets, their ledger entries and open orders.

documented (Customer Balance, api-3717483): rows of 12 keys in this order: customer_external_id, name,
currency_id, currency_symbol, currency_code, is_cash, balance, blocked, real_balance,
soft_blocked_amount, stats, prices. sandbox decisions: one cash row per currency the owner has used
(TRY always, first) then one row per metal; `blocked` is what confirmed open orders hold,
`soft_blocked_amount` what orders still awaiting confirmation hold, `real_balance` = balance − both;
`stats` sums the wallet's ledger and `prices` values a metal row at the current market.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from sandbox.catalog import (
    CASH_CURRENCY_IDS,
    CURRENCIES,
    CURRENCY_SYMBOLS,
    PRODUCTS,
    PRODUCTS_BY_SKU,
    STATUS_IDS,
)
from sandbox.core import dates
from sandbox.core.clock import ISTANBUL
from sandbox.core.errors import SandboxError, ValidationFailed
from sandbox.core.money import money
from sandbox.domain import ledger
from sandbox.domain.customers.lookup import find_customer
from sandbox.domain.prices.feed import PriceFeed
from sandbox.store.models import Customer, LedgerEntry, Order, OrderItem, Wallet, exact_sum, pk, summed

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
    stats = _stats(session, [pk(wallet) for wallet in wallets.values()])
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
            "stats": stats.get(pk(wallet), _empty_stats()) if wallet else _empty_stats(),
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
    if cash:
        name, currency_id = CASH_NAMES[asset], CASH_CURRENCY_IDS[asset]
    else:
        product = PRODUCTS_BY_SKU[asset]
        name, currency_id = product.name, product.currency_id
    return {
        "customer_external_id": customer.external_id if customer else None,
        "name": name,
        "currency_id": currency_id,
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
        # sqlmodel types select() for at most four columns; it takes any number.
        select(  # type: ignore[call-overload]
            LedgerEntry.wallet_id,
            *exact_sum(case((amount > 0, amount), else_=0)),
            *exact_sum(case((amount < 0, -amount), else_=0)),
            func.count(func.distinct(LedgerEntry.order_id)),
        )
        .where(col(LedgerEntry.wallet_id).in_(wallet_ids))
        .group_by(LedgerEntry.wallet_id)
    )
    return {
        wallet_id: {"total_in": summed(*sums[:2]), "total_out": summed(*sums[2:]), "order_count": count}
        for wallet_id, *sums, count in session.exec(query)
    }


# --- Customer lookup, cash movements, order stats and daily balances (sandbox decisions) -------------


def customer_or_404(session: Session, partner_id: int, external_id: str) -> Customer:
    """The partner's customer; another partner's customers are unknown here (404, never 403)."""
    customer = find_customer(session, partner_id, external_id)
    if customer is None:
        raise SandboxError("customer_not_found")
    return customer


def update_cash(
    session: Session,
    partner_id: int,
    customer: Customer,
    amount: Decimal,
    currency: str,
    description: str | None,
    now: datetime,
) -> None:
    """sandbox decision (Update Customer Cash Balance): a positive amount is a `deposit`, a negative one a
    `withdrawal` that may take only what open orders do not hold; nothing is written when refused."""
    if amount < 0:
        ledger.require_available(session, partner_id, customer.id, currency, -amount)
    target = ledger.wallet(session, partner_id, customer.id, currency, now)
    kind = "deposit" if amount > 0 else "withdrawal"
    ledger.post(session, target, amount, kind, now, description=description)


def order_stats(
    session: Session, partner_id: int, customer_external_id: str | None, start: date, end: date
) -> dict[str, Any]:
    """sandbox decision (Stats): grams and money of Completed orders whose `order_at` falls in the
    Istanbul days start..end (both included), per (sku, currency): one SQL aggregate. Without a
    customer it covers all the partner's orders, B2B and B2B2C."""
    if end < start:
        raise ValidationFailed(errors={"endDate": [("end_before_start", {})]})
    customer = (
        None if customer_external_id is None else customer_or_404(session, partner_id, customer_external_id)
    )
    amount, total = col(OrderItem.amount), col(OrderItem.total)

    def of_type(order_type: str, value: Any) -> tuple[Any, Any]:
        return exact_sum(case((col(Order.type) == order_type, value), else_=0))

    query = (
        # sqlmodel types select() for at most four columns; it takes any number.
        select(  # type: ignore[call-overload]
            OrderItem.sku,
            Order.currency_code,
            *of_type("Buy", amount),
            *of_type("Buy", total),
            *of_type("Sell", amount),
            *of_type("Sell", total),
            *of_type("Delivery", amount),
            func.count(func.distinct(Order.id)),
        )
        .join(OrderItem, col(OrderItem.order_id) == col(Order.id))
        .where(
            Order.partner_id == partner_id,
            Order.status_id == STATUS_IDS["Completed"],
            col(Order.order_at) >= dates.day_start(start),
            col(Order.order_at) < dates.day_end(end),
        )
        .group_by(OrderItem.sku, Order.currency_code)
        .order_by(OrderItem.sku, Order.currency_code)
    )
    if customer is not None:
        query = query.where(Order.customer_id == customer.id)
    keys = ("bought_amount", "bought_total", "sold_amount", "sold_total", "delivered_amount")
    items = [
        {"sku": sku, "currency_code": currency}
        | {key: summed(*sums[2 * n : 2 * n + 2]) for n, key in enumerate(keys)}
        | {"order_count": count}
        for sku, currency, *sums, count in session.exec(query)
    ]
    return {
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "customer_external_id": customer.external_id if customer else None,
        "items": items,
    }


HISTORY_DAYS = 7


def daily_balances(
    session: Session, partner_id: int, customer: Customer, now: datetime
) -> list[dict[str, Any]]:
    """sandbox decision (Customer Balance 7d Stats): each opened wallet's balance at the end of each of
    the seven Istanbul days ending today, oldest first, summed from its ledger in one query."""
    wallets = owner_wallets(session, partner_id, customer.id)
    opened = [wallets[asset] for asset in assets(wallets) if asset in wallets]
    today = now.astimezone(ISTANBUL).date()
    days = [today - timedelta(days=back) for back in range(HISTORY_DAYS - 1, -1, -1)]
    amount, at = col(LedgerEntry.amount), col(LedgerEntry.created_at)
    ends = [part for day in days for part in exact_sum(case((at < dates.day_end(day), amount), else_=0))]
    sums: dict[int, list[Decimal]] = {}
    if opened:
        query = (
            select(LedgerEntry.wallet_id, *ends)
            .where(col(LedgerEntry.wallet_id).in_([wallet.id for wallet in opened]))
            .group_by(LedgerEntry.wallet_id)
        )
        sums = {
            wallet_id: [summed(*parts[2 * n : 2 * n + 2]) for n in range(len(days))]
            for wallet_id, *parts in session.exec(query)
        }
    return [
        {
            "currency_code": wallet.asset,
            "is_cash": _is_cash(wallet.asset),
            "points": [
                {"date": day.isoformat(), "balance": balance}
                for day, balance in zip(days, sums.get(pk(wallet), [ZERO] * len(days)), strict=True)
            ],
        }
        for wallet in opened
    ]
