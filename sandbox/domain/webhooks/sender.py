"""The webhook sender: the outbox delivery loop (endpoints in config.py, the log in log.py).

sandbox decision (docs/design/contract.md §3: the partner documents only the `push_hook` trigger). Every
status
change and every `push_hook` leaves a `WebhookEvent` row (the outbox) in the transaction that made it;
this module POSTs each one to its partner's URL:

    {"event": "order.status_changed" | "order.pushed", "data": <Order as Get Order renders it, its
     status_name set to the status the event announces>, "sent_at": "<ISO 8601 +03:00, sandbox clock>"}

signed `X-Minted-Signature: t=<sandbox clock unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. A 2xx
answer delivers the event; anything else, a timeout or a connection error schedules attempt n+1 at
`now + backoff × 2^(n-1)` on the sandbox clock (30 s, 60 s, 120 s, ... by default) until
`webhook_max_attempts`, then the event is `failed`. Events of one order go out in creation order: an
event waits while an earlier event of its order is still pending.

Restart safety: the state lives in the database. An attempt is claimed in its own short write
transaction (a real-time lease, `claimed_until`, plus a `WebhookDelivery` row) before the POST and
recorded in another after it, so a stopped server loses nothing and never resends a delivered event.
The at-least-once edge: if the process dies after the receiver got the POST but before the answer was
recorded, the event is sent once more when the lease expires, with the same `X-Minted-Delivery` (the
event id) so the receiver can drop the duplicate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy import ColumnElement, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from sandbox.catalog import STATUS_NAMES
from sandbox.config import Settings
from sandbox.core import dates
from sandbox.core.clock import Clock
from sandbox.core.envelope import dumps
from sandbox.domain.orders.render import render_orders
from sandbox.domain.webhooks.config import new_secret
from sandbox.domain.webhooks.log import prune_delivered
from sandbox.store.db import Store
from sandbox.store.models import Order, Partner, WebhookDelivery, WebhookEvent, pk
from sandbox.webhooks.signing import HEADER, sign

log = logging.getLogger("sandbox.webhooks")

USER_AGENT = "minted-sandbox-webhooks"
RESPONSE_BODY_LIMIT = 2048
INTERRUPTED = "interrupted: the sender stopped before the answer was recorded"


# -- delivery ---------------------------------------------------------------------------------------


class Outbox(Protocol):
    """What delivering needs from the backend (the `Sandbox` is one): settings, store, sandbox clock."""

    settings: Settings
    store: Store
    clock: Clock


@dataclass(frozen=True)
class Claim:
    """One attempt, claimed and ready to send."""

    event_id: int
    delivery_id: int
    lease: datetime
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int
    response_body: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def deliver_due(
    sandbox: Outbox,
    *,
    everything: bool = False,
    lease_clock: Clock | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, int]:
    """Sweep the outbox once, oldest event first: send every pending event that is due (every pending
    one with `everything`) and record each attempt. Returns what happened: events `delivered`, `failed`
    for good, `retrying` (failed an attempt, another is scheduled), and `pending` left in the outbox."""
    lease_clock = lease_clock or Clock()
    # The links an order carries (card payment redirect_url) point where a browser reaches the sandbox.
    base_url = sandbox.settings.public_base_url
    counts = {"delivered": 0, "failed": 0, "retrying": 0}
    after = 0
    http: httpx.Client | None = None
    try:
        while not (should_stop and should_stop()):
            claim = claim_next(
                sandbox, after=after, everything=everything, base_url=base_url, lease_clock=lease_clock
            )
            if claim is None:
                break
            after = claim.event_id  # one sweep in id order: each event is tried at most once per call
            if http is None:
                http = httpx.Client(timeout=sandbox.settings.webhook_timeout_seconds, follow_redirects=False)
            result = record(sandbox, claim, post(http, claim, sandbox.settings.webhook_timeout_seconds))
            if result in counts:
                counts[result] += 1
    finally:
        if http is not None:
            http.close()
    if counts["delivered"]:  # the log stays bounded: the oldest delivered events go
        with sandbox.store.session(write=True) as session:
            prune_delivered(session, sandbox.settings.webhook_log_size)
    with sandbox.store.session() as session:
        counts["pending"] = session.exec(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.state == "pending")
        ).one()
    return counts


def waiting(sandbox: Outbox) -> bool:
    """Whether any pending event has an endpoint to go to (due now or later). When none has, nothing
    can become sendable until something is committed: an event, an endpoint."""
    with sandbox.store.session() as session:
        query = select(WebhookEvent.id).where(
            WebhookEvent.state == "pending", col(WebhookEvent.partner_id).in_(_WITH_ENDPOINT)
        )
        return session.exec(query.limit(1)).first() is not None


def claim_next(
    sandbox: Outbox, *, after: int, everything: bool, base_url: str, lease_clock: Clock
) -> Claim | None:
    """Claim the oldest sendable event with an id above `after`: lease it, count the attempt, log it,
    render and sign the body. Its own short write transaction, committed before anything is sent."""
    with sandbox.store.session() as session:  # a cheap look first: most polls find nothing
        if session.exec(_WITH_ENDPOINT.limit(1)).first() is None:
            return None  # no partner has an endpoint (the default): events wait until one is set
        if session.exec(_sendable(sandbox, after, everything, lease_clock.now())).first() is None:
            return None
    timeout = sandbox.settings.webhook_timeout_seconds
    with sandbox.store.session(write=True) as session:
        real_now = lease_clock.now()
        row = session.exec(_sendable(sandbox, after, everything, real_now)).first()
        if row is None:
            return None
        event, partner = row
        url = partner.webhook_url
        assert url, "_sendable picks only partners with an endpoint"
        lease = real_now + timedelta(seconds=2 * timeout + 10)
        # The claim itself is one conditional UPDATE, so two senders (processes, or a database without
        # SQLite's write lock) can never both take the same attempt.
        taken = session.exec(
            update(WebhookEvent)
            .where(
                col(WebhookEvent.id) == event.id, col(WebhookEvent.state) == "pending", _unleased(real_now)
            )
            .values(claimed_until=lease, attempts=col(WebhookEvent.attempts) + 1)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            return None
        session.refresh(event)
        if not partner.webhook_secret:
            partner.webhook_secret = new_secret()
            session.add(partner)
        # Attempts a stopped sender left unanswered: say so in the log instead of leaving them blank.
        session.exec(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.event_id) == event.id,
                col(WebhookDelivery.status_code).is_(None),
                col(WebhookDelivery.error).is_(None),
            )
            .values(error=INTERRUPTED)
        )
        previous = session.exec(
            select(func.max(WebhookDelivery.attempt)).where(WebhookDelivery.event_id == event.id)
        ).one()
        now = sandbox.clock.now()
        delivery = WebhookDelivery(event_id=pk(event), attempt=(previous or 0) + 1, url=url, started_at=now)
        session.add(delivery)
        session.flush()
        body = dumps(
            {"event": event.event, "data": _order_data(session, event, base_url), "sent_at": dates.iso(now)}
        )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Minted-Event": event.event,
            "X-Minted-Delivery": str(event.id),
            HEADER: sign(partner.webhook_secret, int(now.timestamp()), body),
        }
        return Claim(pk(event), pk(delivery), lease, url, headers, body)


def post(http: httpx.Client, claim: Claim, timeout: float) -> Outcome:
    """POST the claimed attempt; never raises."""
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    text: str | None = None
    try:
        with http.stream("POST", claim.url, content=claim.body, headers=claim.headers) as response:
            status_code = response.status_code
            text = _read_limited(response)
    except httpx.TimeoutException:
        error = f"timeout: no answer within {timeout:g} s"
    except Exception as exc:  # connection refused, bad URL, broken stream: all count as a failed attempt
        error = f"{type(exc).__name__}: {exc}"[:RESPONSE_BODY_LIMIT]
    duration = round((time.perf_counter() - started) * 1000)
    return Outcome(status_code, error, duration, text)


def record(sandbox: Outbox, claim: Claim, outcome: Outcome) -> str:
    """Write the attempt's outcome and the event's next state. Returns delivered | failed | retrying, or
    superseded when the claim is no longer the event's (its lease expired and another sender took it,
    or the world was reset)."""
    settings = sandbox.settings
    with sandbox.store.session(write=True) as session:
        delivery = session.get(WebhookDelivery, claim.delivery_id)
        if delivery is None or delivery.event_id != claim.event_id:
            return "superseded"
        delivery.status_code = outcome.status_code
        delivery.error = outcome.error
        delivery.duration_ms = outcome.duration_ms
        delivery.response_body = outcome.response_body
        session.add(delivery)
        event = session.get(WebhookEvent, claim.event_id)
        if event is None or event.state != "pending" or event.claimed_until != claim.lease:
            return "superseded"
        now = sandbox.clock.now()
        event.claimed_until = None
        if outcome.ok:
            event.state, event.delivered_at, event.next_attempt_at = "delivered", now, None
        elif event.attempts >= settings.webhook_max_attempts:
            event.state, event.next_attempt_at = "failed", None
        else:
            delay = settings.webhook_backoff_seconds * 2 ** (event.attempts - 1)
            event.next_attempt_at = now + timedelta(seconds=delay)
        session.add(event)
        return "retrying" if event.state == "pending" else event.state


# Events of partners without an endpoint wait in the outbox and go once one is set. Sweeps used to
# walk them all (four times a second, ~100 ms each at 1,500 waiting events).
_WITH_ENDPOINT = select(Partner.id).where(col(Partner.webhook_url).is_not(None), Partner.webhook_url != "")


def _sendable(
    sandbox: Outbox, after: int, everything: bool, real_now: datetime
) -> Select[WebhookEvent, Partner]:
    """Pending events of partners with an endpoint, not leased, with no earlier pending event of the
    same order, due on the sandbox clock (any time with `everything`), oldest first."""
    earlier = aliased(WebhookEvent)
    blocked = (
        select(earlier.id)
        .where(
            earlier.order_id == WebhookEvent.order_id,
            earlier.state == "pending",
            col(earlier.id) < col(WebhookEvent.id),
        )
        .exists()
    )
    query = (
        select(WebhookEvent, Partner)
        .join(Partner, col(Partner.id) == col(WebhookEvent.partner_id))
        .where(
            # First, so that events waiting for an endpoint are passed over before `blocked` is asked.
            col(WebhookEvent.partner_id).in_(_WITH_ENDPOINT),
            WebhookEvent.state == "pending",
            col(WebhookEvent.id) > after,
            _unleased(real_now),
            ~blocked,
        )
    )
    if not everything:
        now = sandbox.clock.now()
        query = query.where(
            or_(col(WebhookEvent.next_attempt_at).is_(None), col(WebhookEvent.next_attempt_at) <= now)
        )
    return query.order_by(col(WebhookEvent.id)).limit(1)


def _unleased(real_now: datetime) -> ColumnElement[bool]:
    return or_(col(WebhookEvent.claimed_until).is_(None), col(WebhookEvent.claimed_until) <= real_now)


def _order_data(session: Session, event: WebhookEvent, base_url: str) -> dict[str, Any] | None:
    """The order as Get Order renders it now, but in the status the event announces (an event may
    go out after the order has moved on). `order.pushed` carries the order's current status."""
    order = session.get(Order, event.order_id) if event.order_id is not None else None
    if order is None:
        return None
    data = render_orders(session, [order], base_url.rstrip("/"))[0]
    if event.status_id is not None:
        data["status_name"] = STATUS_NAMES[event.status_id]
        if "delivery" in data:
            data["delivery"]["status_id"] = event.status_id
            data["delivery"]["status_name"] = STATUS_NAMES[event.status_id]
    return data


def _read_limited(response: httpx.Response) -> str:
    """The first 2 KiB of the receiver's answer (the rest is not read)."""
    body = b""
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) >= RESPONSE_BODY_LIMIT:
            break
    return body[:RESPONSE_BODY_LIMIT].decode("utf-8", errors="replace")
