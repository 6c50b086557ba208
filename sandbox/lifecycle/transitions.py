"""Entering a status: the one place that changes `Order.status_id`.

Every change writes a status-history row and an outbox event (`order.status_changed`) in the caller's
transaction, so the webhook sender announces exactly the changes that were committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from sandbox.catalog import STATUS_IDS
from sandbox.store.models import Order, OrderStatusHistory, WebhookEvent


def enter(session: Session, order: Order, status: str, at: datetime) -> None:
    order.status_id = STATUS_IDS[status]
    order.updated_at = at
    session.add(order)
    session.flush()
    session.add(OrderStatusHistory(order_id=order.id, status_id=order.status_id, at=at))
    session.add(
        WebhookEvent(
            partner_id=order.partner_id,
            order_id=order.id,
            event="order.status_changed",
            status_id=order.status_id,
            created_at=at,
        )
    )
