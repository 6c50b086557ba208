"""Wallets and the ledger: the only code that changes a balance.

Every movement is a ledger entry written in the caller's transaction, and the wallet's stored balance
moves with it, so `balance == sum(entries)` always holds and a failed request leaves nothing behind.
Open orders hold amounts without moving them (see `lifecycle.flows.Flow.held`): what a wallet can
spend is its balance minus those holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, insert
from sqlmodel import Session, col, select

from sandbox.catalog import STATUS_IDS, STATUS_NAMES
from sandbox.core.errors import SandboxError
from sandbox.core.money import money
from sandbox.core.profile import Profile
from sandbox.domain.flows import FLOWS, OPEN_STATUSES
from sandbox.store.models import LedgerEntry, Order, OrderItem, Wallet, pk, table_of

ZERO = Decimal(0)
# sandbox decision (docs/manual/trading.md "Limits"): a wallet holds at most this much of its asset
# (money or grams), far below the store's limit (64-bit millionths: about 9.2e12).
MAX_BALANCE = Decimal(10) ** 12


@dataclass(frozen=True)
class Holds:
    soft: Decimal = ZERO
    hard: Decimal = ZERO


# Statements built once (building and keying a statement costs more than running it): a partner's own
# wallet, a customer's wallet, and the items of an owner's open orders.
_WALLET = select(Wallet).where(
    Wallet.partner_id == bindparam("partner_id"), Wallet.asset == bindparam("asset")
)
_PARTNER_WALLET = _WALLET.where(col(Wallet.customer_id).is_(None))
_CUSTOMER_WALLET = _WALLET.where(Wallet.customer_id == bindparam("customer_id"))
_OPEN_ITEMS = (
    select(Order, OrderItem)
    .join(OrderItem, col(OrderItem.order_id) == col(Order.id))
    .where(
        Order.partner_id == bindparam("partner_id"),
        col(Order.status_id).in_(sorted(STATUS_IDS[s] for s in OPEN_STATUSES)),
    )
)
_PARTNER_OPEN_ITEMS = _OPEN_ITEMS.where(col(Order.customer_id).is_(None))
_CUSTOMER_OPEN_ITEMS = _OPEN_ITEMS.where(Order.customer_id == bindparam("customer_id"))


def find_wallet(session: Session, partner_id: int, customer_id: int | None, asset: str) -> Wallet | None:
    """The wallet, read once per session: an order's checks and its effects ask for the same wallets
    several times in one transaction, and the answer is the same object each time."""
    key = (partner_id, customer_id, asset)
    known: dict[tuple[int, int | None, str], Wallet] = session.info.setdefault("wallets", {})
    if key in known and known[key] in session:  # not if a rolled-back savepoint had created it
        return known[key]
    if customer_id is None:
        found = session.exec(_PARTNER_WALLET, params={"partner_id": partner_id, "asset": asset}).first()
    else:
        params = {"partner_id": partner_id, "customer_id": customer_id, "asset": asset}
        found = session.exec(_CUSTOMER_WALLET, params=params).first()
    if found is not None:
        known[key] = found
    return found


def wallet(session: Session, partner_id: int, customer_id: int | None, asset: str, now: datetime) -> Wallet:
    """The wallet, opened (empty) on first use."""
    found = find_wallet(session, partner_id, customer_id, asset)
    if found is None:
        found = Wallet(
            partner_id=partner_id, customer_id=customer_id, asset=asset, balance=ZERO, created_at=now
        )
        session.add(found)
        session.flush()
        session.info["wallets"][(partner_id, customer_id, asset)] = found
    return found


def post(
    session: Session,
    target: Wallet,
    amount: Decimal,
    kind: str,
    at: datetime,
    *,
    order_id: int | None = None,
    description: str | None = None,
) -> None:
    """Move `amount` (signed) in or out of `target`; a wallet never goes below zero nor above
    MAX_BALANCE."""
    if target.balance + amount < 0:
        raise SandboxError("insufficient_balance", params={"asset": target.asset})
    if target.balance + amount > MAX_BALANCE:
        raise _full(target.asset)
    target.balance += amount
    session.add(target)
    # A plain insert on the transaction's connection: nothing reads the entry back before it commits.
    entry = {
        "wallet_id": pk(target),
        "order_id": order_id,
        "amount": amount,
        "kind": kind,
        "description": description,
        "created_at": at,
    }
    session.connection().execute(insert(table_of(LedgerEntry)), entry)


def holds(session: Session, partner_id: int, customer_id: int | None) -> dict[str, Holds]:
    """What the owner's open orders hold, per asset (currency code or sku)."""
    if customer_id is None:
        rows = session.exec(_PARTNER_OPEN_ITEMS, params={"partner_id": partner_id})
    else:
        rows = session.exec(
            _CUSTOMER_OPEN_ITEMS, params={"partner_id": partner_id, "customer_id": customer_id}
        )
    soft: dict[str, Decimal] = defaultdict(Decimal)
    hard: dict[str, Decimal] = defaultdict(Decimal)
    for order, item in rows:
        flow = FLOWS[order.flow]
        status = STATUS_NAMES[order.status_id]
        bucket = soft if status in flow.soft_holds else hard if status in flow.hard_holds else None
        if bucket is None:
            continue
        if "metal" in flow.held:
            bucket[item.sku] += item.amount
        if "cash" in flow.held:
            bucket[order.currency_code] += item.total
    return {asset: Holds(soft[asset], hard[asset]) for asset in set(soft) | set(hard)}


def available(session: Session, partner_id: int, customer_id: int | None, asset: str) -> Decimal:
    """Balance minus everything open orders hold: what a new order may take."""
    found = find_wallet(session, partner_id, customer_id, asset)
    held = holds(session, partner_id, customer_id).get(asset, Holds())
    return (found.balance if found else ZERO) - held.soft - held.hard


def require_room(
    session: Session, partner_id: int, customer_id: int | None, asset: str, incoming: Decimal
) -> None:
    """What an order will credit when it completes fits in the wallet (checked when the order is made)."""
    found = find_wallet(session, partner_id, customer_id, asset)
    if (found.balance if found else ZERO) + incoming > MAX_BALANCE:
        raise _full(asset)


def _full(asset: str) -> SandboxError:
    return SandboxError("wallet_limit_exceeded", params={"asset": asset, "limit": f"{MAX_BALANCE:,.0f}"})


def require_available(
    session: Session, partner_id: int, customer_id: int | None, asset: str, needed: Decimal
) -> None:
    if available(session, partner_id, customer_id, asset) < needed:
        raise SandboxError("insufficient_balance", params={"asset": asset})


def cover_customer_cash(
    session: Session,
    profile: Profile,
    partner_id: int,
    customer_id: int,
    currency: str,
    needed: Decimal,
    now: datetime,
) -> None:
    """Cash a customer's order takes (a buy's total, a delivery's fee): profile rule `customer_cash`.

    Strict: the customer's cash wallet must cover it. Lenient: the partner settles what the wallet
    lacks (it collected the money from its customer), posted as a `deposit` into the customer's cash
    wallet before the order takes it, as the seeded world's history does: nothing is taken from the
    partner's own wallets, and every balance stays the sum of its entries.
    """
    short = needed - available(session, partner_id, customer_id, currency)
    if short <= 0:
        return
    profile.enforce(
        "customer_cash",
        SandboxError("insufficient_balance", params={"asset": currency}),
        f"the partner settled {money(short)} {currency} the customer's cash wallet lacked",
    )
    target = wallet(session, partner_id, customer_id, currency, now)
    post(session, target, short, "deposit", now, description="partner settlement")
