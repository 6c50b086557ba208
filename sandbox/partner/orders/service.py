"""Order rules: look-ups scoped to one partner, the list's filters and sorting, push_hook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, func, or_, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from sandbox.catalog import STATUS_IDS, STATUSES
from sandbox.core import dates
from sandbox.core.errors import NotFound, ValidationFailed
from sandbox.store.models import Customer, Order, OrderItem, WebhookEvent, insert_row, table_of

# The look-ups below serve reads: they answer plain rows of the orders table (sandbox/domain/orders/
# render.py reads their columns), a third of the cost of loading ORM objects.
_ORDERS = table_of(Order)

SORT_COLUMNS = {
    "type": col(Order.type),
    "total": col(Order.total),
    "customer_external_id": col(Customer.external_id),
    "created_at": col(Order.order_at),
}


def get_order(session: Session, partner_id: int, identifier: str) -> Row[Any]:
    """documented: the path id may be the partner's external_id, the guid or the order_code.

    An order of another partner is reported as not found (404, not 403), so ids never leak.
    """
    # The partner in every branch: each one is then an index look-up (SQLite's multi-index OR), where
    # `partner_id AND (a OR b OR c)` walks every order of the partner (100,000-order worlds).
    orders = _ORDERS.c
    candidates = (
        session.connection()
        .execute(
            _ORDERS.select().where(
                or_(
                    and_(orders.partner_id == partner_id, orders.external_id == identifier),
                    and_(orders.partner_id == partner_id, orders.guid == identifier.upper()),
                    and_(orders.partner_id == partner_id, orders.order_code == identifier.upper()),
                ),
            )
        )
        .all()
    )
    if not candidates:
        raise NotFound("order_not_found")
    # An external_id that happens to equal another order's code wins: it is the partner's own key.
    return min(candidates, key=lambda order: (order.external_id != identifier, order.id))


def find_order(
    session: Session, partner_id: int, *, guid: str | None, order_code: str | None, external_id: str | None
) -> Row[Any]:
    """Get Order (Alternative): every identifier given must point to the same order."""
    sent = {"guid": guid, "order_code": order_code, "external_id": external_id}
    given = {name: value for name, value in sent.items() if value}
    if not given:
        raise ValidationFailed("order_identifier_required")
    found: dict[str, Row[Any] | None] = {}
    for name, value in given.items():
        needle = value if name == "external_id" else value.upper()
        found[name] = (
            session.connection()
            .execute(_ORDERS.select().where(_ORDERS.c.partner_id == partner_id, _ORDERS.c[name] == needle))
            .first()
        )
    orders = {order.id: order for order in found.values() if order is not None}
    if not orders:
        raise NotFound("order_not_found")
    if len(orders) > 1 or (len(orders) == 1 and None in found.values()):
        raise ValidationFailed("order_identifiers_conflict")
    return next(iter(orders.values()))


def request_push(session: Session, order: Row[Any], now: datetime) -> None:
    """documented: `push_hook: true` pushes the order to the partner's endpoint. Recorded in the outbox;
    the sender that delivers it is the webhook worker's job."""
    connection = session.connection()
    connection.execute(update(_ORDERS).where(_ORDERS.c.id == order.id).values(push_hook=True))
    insert_row(
        connection,
        WebhookEvent(
            partner_id=order.partner_id,
            order_id=order.id,
            event="order.pushed",
            status_id=order.status_id,
            created_at=now,
        ),
    )


@dataclass(frozen=True)
class OrderFilters:
    customer_external_id: str | None = None
    sku: str | None = None
    type: str | None = None
    status: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    sort_by: str = "created_at"
    sort_type: str = "desc"


def status_id(value: str) -> int:
    """A status filter: the documented name (`Completed`) or its id (`5`)."""
    if value.isascii() and value.isdigit() and 1 <= int(value) <= len(STATUSES):
        return int(value)
    if value in STATUS_IDS:
        return STATUS_IDS[value]
    raise ValidationFailed(errors={"status": [("invalid_status", {})]})


def matching(partner_id: int, filters: OrderFilters) -> SelectOfScalar[Order]:
    """The partner's orders that pass `filters` (unsorted)."""
    query = select(Order).where(Order.partner_id == partner_id)
    if filters.customer_external_id is not None or filters.sort_by == "customer_external_id":
        # Only then: the join would otherwise keep the count and deep pages off the orders indexes.
        query = query.outerjoin(Customer, col(Order.customer_id) == col(Customer.id))
    if filters.customer_external_id is not None:
        # The partner's live customer: a removed one's orders keep their customer, and a new customer
        # given the same external_id starts with none of them.
        query = query.where(
            Customer.external_id == filters.customer_external_id, col(Customer.deleted_at).is_(None)
        )
    if filters.sku is not None:
        query = query.where(col(Order.id).in_(select(OrderItem.order_id).where(OrderItem.sku == filters.sku)))
    if filters.type is not None:
        query = query.where(Order.type == filters.type)
    if filters.status is not None:
        query = query.where(Order.status_id == status_id(filters.status))
    if filters.start_date is not None:
        query = query.where(col(Order.order_at) >= dates.day_start(filters.start_date))
    if filters.end_date is not None:
        query = query.where(col(Order.order_at) < dates.day_end(filters.end_date))
    return query


def count(session: Session, query: SelectOfScalar[Order]) -> int:
    """How many orders `query` matches: from the orders indexes alone for the common filters."""
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def page_of(
    session: Session, query: SelectOfScalar[Order], filters: OrderFilters, page: int, per_page: int
) -> list[Row[Any]]:
    """One page of `matching` orders, sorted. A deep page walks `ix_orders_partner_order_at` (or
    `ix_orders_partner_type_order_at`) past the skipped orders without reading their rows: SQLite
    keeps the id in every index and seeks a row only for the page it returns."""
    column = SORT_COLUMNS[filters.sort_by]
    # Empty values (a B2B order's customer) sort as the smallest, as SQLite sorts NULL; PostgreSQL's
    # default is the opposite.
    if filters.sort_type == "asc":
        direction = lambda c: c.asc().nulls_first()  # noqa: E731
    else:
        direction = lambda c: c.desc().nulls_last()  # noqa: E731
    query = query.order_by(direction(column), direction(col(Order.id)))
    # Run as a plain select of the orders' columns: rows, not ORM objects.
    return list(session.connection().execute(query.offset((page - 1) * per_page).limit(per_page)))
