"""The delivery log: every outbox event with its attempts, redelivery, and the log's bound.

The log is bounded: once more than `SANDBOX_WEBHOOK_LOG_SIZE` events are delivered, the oldest
delivered ones and their attempts are deleted (after each sweep that delivered something), so a
long-running sandbox's outbox does not grow without end. Pending and failed events are never
pruned: they may still be sent or redelivered.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from sandbox.catalog import STATUS_NAMES
from sandbox.core import dates
from sandbox.core.errors import SandboxError
from sandbox.domain.webhooks.config import find_partner
from sandbox.store.models import Order, Partner, WebhookDelivery, WebhookEvent, pk

log = logging.getLogger("sandbox.webhooks")

LIST_LIMIT = 500
MAX_ID = 2**63  # SQLite's INTEGER is 64-bit signed


def list_events(
    session: Session,
    *,
    partner: str | None = None,
    state: str | None = None,
    order: str | None = None,
    event_id: int | None = None,
    limit: int = LIST_LIMIT,
) -> list[dict[str, Any]]:
    """Outbox events with every attempt, newest event first (at most 500)."""
    query = (
        select(WebhookEvent, Partner.username, Order.guid, Order.order_code)
        .join(Partner, col(Partner.id) == col(WebhookEvent.partner_id))
        .outerjoin(Order, col(Order.id) == col(WebhookEvent.order_id))
    )
    if partner is not None:
        query = query.where(WebhookEvent.partner_id == find_partner(session, partner).id)
    if state is not None:
        query = query.where(WebhookEvent.state == state)
    if event_id is not None:
        if not 0 <= event_id < MAX_ID:
            return []
        query = query.where(WebhookEvent.id == event_id)
    if order is not None:
        query = query.where(or_(col(Order.guid) == order.upper(), col(Order.order_code) == order.upper()))
    rows = session.exec(query.order_by(col(WebhookEvent.id).desc()).limit(min(limit, LIST_LIMIT))).all()
    attempts: dict[int, list[WebhookDelivery]] = defaultdict(list)
    if rows:
        ids = [event.id for event, *_ in rows]
        deliveries = select(WebhookDelivery).where(col(WebhookDelivery.event_id).in_(ids))
        for delivery in session.exec(deliveries.order_by(col(WebhookDelivery.attempt))):
            attempts[delivery.event_id].append(delivery)
    return [_view(event, username, guid, code, attempts[pk(event)]) for event, username, guid, code in rows]


def prune_delivered(session: Session, keep: int) -> int:
    """Delete delivered events older than the newest `keep` delivered ones, with their attempts.
    Returns how many events went. Run it in a write transaction."""
    delivered = select(WebhookEvent.id).where(WebhookEvent.state == "delivered")
    cutoff = session.exec(delivered.order_by(col(WebhookEvent.id).desc()).offset(keep).limit(1)).first()
    if cutoff is None:
        return 0
    old = delivered.where(col(WebhookEvent.id) <= cutoff)
    session.exec(delete(WebhookDelivery).where(col(WebhookDelivery.event_id).in_(old)))
    removed = session.exec(delete(WebhookEvent).where(col(WebhookEvent.id).in_(old)))
    return removed.rowcount


def redeliver(session: Session, event_id: int, now: datetime) -> dict[str, Any]:
    """Queue an event again, due now, with a fresh budget of attempts (the attempt log continues)."""
    # An id past SQLite's 64-bit INTEGER names no event (and would not even bind as a parameter).
    event = session.get(WebhookEvent, event_id) if 0 <= event_id < MAX_ID else None
    if event is None:
        raise SandboxError("webhook_delivery_not_found")
    if event.state != "pending":
        event.state, event.attempts, event.delivered_at, event.claimed_until = "pending", 0, None, None
    event.next_attempt_at = now
    session.add(event)
    session.flush()
    return list_events(session, event_id=event_id)[0]


def _view(
    event: WebhookEvent, partner: str, guid: str | None, code: str | None, deliveries: list[WebhookDelivery]
) -> dict[str, Any]:
    return {
        "id": event.id,
        "partner": partner,
        "event": event.event,
        "order_guid": guid,
        "order_code": code,
        "status_id": event.status_id,
        "status_name": STATUS_NAMES.get(event.status_id) if event.status_id is not None else None,
        "state": event.state,
        "attempts": event.attempts,
        "created_at": dates.iso(event.created_at),
        "next_attempt_at": dates.iso(event.next_attempt_at) if event.next_attempt_at else None,
        "delivered_at": dates.iso(event.delivered_at) if event.delivered_at else None,
        "deliveries": [
            {
                "attempt": d.attempt,
                "url": d.url,
                "started_at": dates.iso(d.started_at),
                "status_code": d.status_code,
                "error": d.error,
                "duration_ms": d.duration_ms,
                "response_body": d.response_body,
            }
            for d in deliveries
        ],
    }
