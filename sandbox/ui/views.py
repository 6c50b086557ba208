"""The dashboard's read queries: lists across partners, which the partner API (one partner at a time)
has no route for. Rules stay where they are: orders render through the partner's renderer, balances
through the balance service, flows through the lifecycle engine."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from sandbox.catalog import CURRENCIES, ORDER_TYPES, PRODUCTS, STATUS_IDS, STATUS_NAMES
from sandbox.core.envelope import dumps
from sandbox.domain.flows import Flow
from sandbox.domain.journal import JournalEntry
from sandbox.domain.lifecycle import engine, progression
from sandbox.domain.orders.render import fullname, render_orders
from sandbox.domain.webhooks import config, log
from sandbox.store.models import (
    Customer,
    Order,
    OrderItem,
    OrderStatusHistory,
    Partner,
    Payment,
    Wallet,
    pk,
)
from sandbox.ui.common import PER_PAGE, bad_field

ASSET_ORDER = {asset: index for index, asset in enumerate([*CURRENCIES, *(p.sku for p in PRODUCTS)])}


def partners(session: Session) -> list[Partner]:
    return list(session.exec(select(Partner).order_by(col(Partner.id))))


def partner_named(session: Session, username: str) -> Partner:
    found = session.exec(select(Partner).where(Partner.username == username)).first()
    if found is None:
        raise bad_field("partner", "partner_not_found")
    return found


def find_order(session: Session, ref: str) -> Order | None:
    """Like the control API: an order by its guid or order_code (both unique across partners)."""
    needle = ref.strip().upper()
    return session.exec(
        select(Order).where(or_(col(Order.guid) == needle, col(Order.order_code) == needle))
    ).first()


# -- orders ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    partner: str = ""
    type: str = ""
    status: str = ""
    customer: str = ""
    q: str = ""

    def checked(self) -> OrderFilters:
        if self.type and self.type not in ORDER_TYPES:
            raise bad_field("type", "literal_error", expected=", ".join(ORDER_TYPES))
        if self.status and self.status not in STATUS_IDS:
            raise bad_field("status", "invalid_status")
        return self

    def as_query(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value}


def order_rows(session: Session, filters: OrderFilters, page: int) -> tuple[list[dict[str, Any]], int]:
    """One page of orders, newest first, with partner, customer and item for the table."""
    query = (
        select(Order, Partner.username, Customer.external_id)
        .join(Partner, col(Partner.id) == col(Order.partner_id))
        .outerjoin(Customer, col(Customer.id) == col(Order.customer_id))
    )
    if filters.partner:
        query = query.where(Order.partner_id == partner_named(session, filters.partner).id)
    if filters.type:
        query = query.where(Order.type == filters.type)
    if filters.status:
        query = query.where(Order.status_id == STATUS_IDS[filters.status])
    if filters.customer:
        query = query.where(Customer.external_id == filters.customer)
    if filters.q:
        needle = filters.q.strip()
        query = query.where(
            or_(
                col(Order.order_code) == needle.upper(),
                col(Order.guid) == needle.upper(),
                col(Order.external_id) == needle,
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    query = query.order_by(col(Order.order_at).desc(), col(Order.id).desc())
    rows = session.exec(query.offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    items = _items(session, [pk(order) for order, *_ in rows])
    return [
        {"order": order, "partner": partner, "customer": customer, "item": items.get(pk(order))}
        for order, partner, customer in rows
    ], total


def _items(session: Session, order_ids: list[int]) -> dict[int, OrderItem]:
    if not order_ids:
        return {}
    query = select(OrderItem).where(col(OrderItem.order_id).in_(order_ids)).order_by(col(OrderItem.id))
    found: dict[int, OrderItem] = {}
    for item in session.exec(query):
        found.setdefault(item.order_id, item)
    return found


def order_detail(
    session: Session, order: Order, base_url: str, journal: list[JournalEntry] | None
) -> dict[str, Any]:
    """Everything the order page shows: the partner's rendering, its history, its flow and its events;
    the timeline also puts the `journal` requests naming the order beside its steps (None: the journal
    could not be read)."""
    flow = engine.flow_of(order)
    current = engine.status_of(order)
    history = session.exec(
        select(OrderStatusHistory)
        .where(OrderStatusHistory.order_id == order.id)
        .order_by(col(OrderStatusHistory.at), col(OrderStatusHistory.id))
    ).all()
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).first()
    partner = session.get(Partner, order.partner_id)
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    rendered = render_orders(session, [order], base_url)[0]
    steps = [{"status": STATUS_NAMES[row.status_id], "at": row.at} for row in history]  # to the microsecond
    events = webhook_events(session, order=order.guid, limit=50)
    mentions = (order.guid, order.order_code)
    requests = [
        entry
        for entry in journal or []
        if any(
            m in text
            for m in mentions
            for text in (entry.path, entry.request_body or "", entry.response_body or "")
        )
    ]
    return {
        "order": order,
        "rendered": rendered,
        "rendered_json": json.dumps(json.loads(dumps(rendered)), indent=2, ensure_ascii=False),
        "partner": partner.username if partner else "",
        "customer": customer,
        "customer_name": fullname(customer) if customer else None,
        "status": current,
        "history": steps,
        "timeline": timeline(flow, current, steps, events, requests),
        "journal_read": journal is not None,
        "flow": flow,
        "mode": progression.mode_for(session, order),
        "own_mode": customer is not None and progression.customer_mode(session, customer) is not None,
        "next_step": flow.next_step(current),
        # Every status the order can still reach, in the flow's breadth-first order.
        "targets": [status for status in flow.reachable() if flow.path_between(current, status)],
        "payment": payment,
        "pending_3d": payment is not None and payment.state == "new" and payment.is_3d,
        "events": events,
    }


def timeline(
    flow: Flow,
    current: str,
    history: list[dict[str, Any]],
    events: list[dict[str, Any]],
    requests: list[JournalEntry],
) -> list[dict[str, Any]]:
    """The order's story: the statuses it went through (when, on the sandbox clock), the current one, and
    those still ahead on its way to Completed (or, past it, to the flow's end). Beside each step, the
    webhook events it raised and the requests made while the order was in it (the first step also holds
    the request that made the order)."""
    steps: list[dict[str, Any]] = [
        {**step, "state": "done", "events": [], "requests": []} for step in history
    ]
    if steps:
        steps[-1]["state"] = "current"
    ends = ["Completed", *(status for status in flow.reachable() if not flow.transitions.get(status))]
    ahead = next(
        (path for end in ends if end != "Cancelled" and (path := flow.path_between(current, end))), []
    )
    for event in events:
        owner = next((step for step in reversed(steps) if step["status"] == event["status_name"]), None)
        if owner is not None:
            owner["events"].insert(0, event)  # listed newest first: oldest first in the step
    first = steps[0] if steps else None
    for entry in requests:  # the journal lists them oldest first
        moment = datetime.fromisoformat(entry.at)
        owner = next((step for step in reversed(steps) if step["at"] <= moment), first)
        if owner is not None:
            owner["requests"].append(entry)
    return [*steps, *({"status": status, "state": "ahead", "events": [], "requests": []} for status in ahead)]


def webhook_events(session: Session, **filters: Any) -> list[dict[str, Any]]:
    """Outbox events as `log.list_events` lists them, each saying whether its partner has an endpoint:
    a pending event with one is due now (sent within the second), one without waits for it."""
    sending = {found["partner"] for found in config.configs(session) if found["url"]}
    return [
        {**event, "has_endpoint": event["partner"] in sending}
        for event in log.list_events(session, **filters)
    ]


# -- customers ---------------------------------------------------------------------------------------


def customer_rows(session: Session, partner: Partner, q: str, page: int) -> tuple[list[dict[str, Any]], int]:
    """One page of a partner's live customers with every wallet balance they hold."""
    query = select(Customer).where(Customer.partner_id == partner.id, col(Customer.deleted_at).is_(None))
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(
                col(Customer.external_id).ilike(like),
                col(Customer.firstname).ilike(like),
                col(Customer.lastname).ilike(like),
                col(Customer.email).ilike(like),
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    customers = session.exec(
        query.order_by(col(Customer.id)).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    wallets: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    if customers:
        held = select(Wallet).where(col(Wallet.customer_id).in_([c.id for c in customers]))
        for wallet in session.exec(held):
            if wallet.customer_id is not None and (wallet.balance or wallet.asset == "TRY"):
                wallets[wallet.customer_id].append((wallet.asset, wallet.balance))
    return [
        {
            "customer": customer,
            "name": fullname(customer),
            "wallets": sorted(wallets[customer.id or 0], key=lambda pair: ASSET_ORDER.get(pair[0], 99)),
        }
        for customer in customers
    ], total


def order_counts(session: Session, partner_id: int, customer_id: int) -> dict[str, int]:
    query = (
        select(Order.status_id, func.count())
        .where(Order.partner_id == partner_id, Order.customer_id == customer_id)
        .group_by(col(Order.status_id))
    )
    counts = dict(session.exec(query).all())
    return {name: counts[number] for name, number in STATUS_IDS.items() if number in counts}
