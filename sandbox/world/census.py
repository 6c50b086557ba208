"""What a world holds, counted: a handful of aggregate queries for `/_sandbox/state` and reset."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from sandbox.catalog import STATUS_NAMES, STATUSES
from sandbox.store.models import Customer, Order, Partner, Wallet, WebhookEvent, pk

TYPES = ("Buy", "Sell", "Delivery")


def order_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Order)).one()


def per_partner(session: Session) -> list[dict[str, Any]]:
    """Each partner's customers, wallets and orders by type and status (types and statuses in catalogue
    order; only the combinations that hold orders)."""
    partners = session.exec(select(Partner).order_by(col(Partner.id))).all()
    customers = _count_by_partner(session, Customer)
    wallets = _count_by_partner(session, Wallet)
    orders: dict[int, dict[str, dict[str, int]]] = {}
    query = select(Order.partner_id, Order.type, Order.status_id, func.count()).group_by(
        col(Order.partner_id), col(Order.type), col(Order.status_id)
    )
    for partner_id, order_type, status_id, count in session.exec(query):
        orders.setdefault(partner_id, {}).setdefault(order_type, {})[STATUS_NAMES[status_id]] = count
    return [
        {
            "partner": partner.username,
            "customers": customers.get(pk(partner), 0),
            "wallets": wallets.get(pk(partner), 0),
            "orders": _ordered(orders.get(pk(partner), {})),
        }
        for partner in partners
    ]


def webhooks_pending(session: Session) -> int:
    query = select(func.count()).select_from(WebhookEvent).where(col(WebhookEvent.state) == "pending")
    return session.exec(query).one()


def _count_by_partner(session: Session, model: type[Customer] | type[Wallet]) -> dict[int, int]:
    query = select(model.partner_id, func.count()).group_by(col(model.partner_id))
    return dict(session.exec(query).all())


def _ordered(by_type: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    rank = {name: index for index, name in enumerate(STATUSES)}
    types = sorted(by_type, key=lambda name: (TYPES.index(name) if name in TYPES else len(TYPES), name))
    return {
        name: dict(sorted(by_type[name].items(), key=lambda item: rank.get(item[0], len(rank))))
        for name in types
    }
