"""Entering a status: the one place that changes `Order.status_id`.

Every change writes a status-history row and an outbox event (`order.status_changed`) in the caller's
transaction, so the webhook sender announces exactly the changes that were committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from sandbox.catalog import STATUS_IDS
from sandbox.store.models import Order, OrderStatusHistory, WebhookEvent, pk, table_of


def enter(session: Session, order: Order, status: str, at: datetime) -> None:
    order.status_id = STATUS_IDS[status]
    order.updated_at = at
    session.add(order)
    if order.id is None:
        session.flush()  # a new order: its id, for the rows below
    # Plain inserts on the transaction's connection: nothing reads these rows back before it commits,
    # and skipping the ORM's bookkeeping for them is most of the cost of a status change.
    connection = session.connection()
    connection.execute(
        insert(table_of(OrderStatusHistory)), {"order_id": pk(order), "status_id": order.status_id, "at": at}
    )
    connection.execute(
        insert(table_of(WebhookEvent)),
        {
            "partner_id": order.partner_id,
            "order_id": order.id,
            "event": "order.status_changed",
            "status_id": order.status_id,
            "created_at": at,
        },
    )
