"""How orders move on by themselves: each flow's progression mode.

- `immediate`: an order walks its happy path to Completed in the request that created it (or, for a
  card order, in the request that confirmed its payment);
- `manual`: it waits for `POST /_sandbox/orders/{ref}/advance`;
- `timed`: one step along the happy path every `step_seconds` of the sandbox clock.

A customer may have a mode of its own (`customer_mode`), which then decides for all of its orders in
place of their flows' modes: a CI job on a shared sandbox holds or times its own orders without
touching anyone else's, and the dashboard's played flows step theirs at their own pace.

Nothing moves by itself out of `Pending` (that waits for the card holder's 3-D Secure answer), into
`Cancelled`, or into a refund. Defaults: cash buys, sells and card buys are immediate (they settle
like the partner's do), deliveries manual (a courier is involved).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from sandbox.catalog import STATUS_IDS
from sandbox.core.errors import SandboxError
from sandbox.core.ids import Rng
from sandbox.domain.flows import FLOWS, Flow
from sandbox.domain.lifecycle import engine
from sandbox.store import shared
from sandbox.store.models import Customer, CustomerMode, LifecycleMode, Order, pk

MODES = ("immediate", "manual", "timed")
DEFAULT_MODES = {
    "buy-cash": "immediate",
    "buy-card": "immediate",
    "sell": "immediate",
    "delivery-cash": "manual",
    "delivery-card": "manual",
}
# Statuses an order never leaves by itself, and statuses it never enters by itself.
WAITS = frozenset({"Pending"})
NEVER_AUTOMATIC = frozenset({"Cancelled", "Refunding", "Refunded"})


@dataclass(frozen=True)
class Mode:
    flow: str
    mode: str
    step_seconds: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"flow": self.flow, "mode": self.mode, "step_seconds": self.step_seconds}


def modes(session: Session) -> dict[str, Mode]:
    stored = {row.flow: row for row in session.exec(select(LifecycleMode))}
    return {flow: _mode(flow, stored.get(flow)) for flow in DEFAULT_MODES}


def mode_of(session: Session, flow: str) -> Mode:
    with session.no_autoflush:  # the order just made can wait for the next flush; modes never pend here
        return _mode(flow, session.get(LifecycleMode, flow))


def _mode(flow: str, row: LifecycleMode | None) -> Mode:
    return Mode(flow, row.mode, row.step_seconds) if row else Mode(flow, DEFAULT_MODES[flow])


def mode_for(session: Session, order: Order) -> Mode:
    """What moves this order: its customer's own mode if it has one, else its flow's."""
    with session.no_autoflush:
        own = session.get(CustomerMode, order.customer_id) if order.customer_id is not None else None
        return Mode(order.flow, own.mode, own.step_seconds) if own else mode_of(session, order.flow)


def customer_mode(session: Session, customer: Customer) -> CustomerMode | None:
    return session.get(CustomerMode, pk(customer))


def set_customer_mode(
    session: Session, customer: Customer, mode: str, step_seconds: int | None, now: datetime
) -> CustomerMode:
    if mode == "timed" and not step_seconds:
        raise SandboxError("validation_failed", errors={"step_seconds": [("missing", {})]})
    row = customer_mode(session, customer) or CustomerMode(
        customer_id=pk(customer), mode=mode, updated_at=now
    )
    row.mode, row.step_seconds, row.updated_at = mode, step_seconds if mode == "timed" else None, now
    session.add(row)
    shared.changed(session)  # as for a flow's mode: every ticker looks again
    return row


def clear_customer_mode(session: Session, customer: Customer) -> CustomerMode | None:
    """Back to the flows' modes; the mode removed (None: the customer had none)."""
    row = customer_mode(session, customer)
    if row is not None:
        session.delete(row)
        shared.changed(session)
    return row


def any_timed(session: Session) -> bool:
    """Whether some flow or some customer is timed: the ticker has work only then."""
    if any(mode.mode == "timed" for mode in modes(session).values()):
        return True
    return (
        session.exec(select(CustomerMode.customer_id).where(CustomerMode.mode == "timed")).first() is not None
    )


def set_mode(session: Session, flow: str, mode: str, step_seconds: int | None, now: datetime) -> Mode:
    if flow not in FLOWS:
        raise SandboxError(
            "validation_failed", errors={"flow": [("literal_error", {"expected": ", ".join(FLOWS)})]}
        )
    if mode == "timed" and not step_seconds:
        raise SandboxError("validation_failed", errors={"step_seconds": [("missing", {})]})
    row = session.get(LifecycleMode, flow) or LifecycleMode(flow=flow, mode=mode, updated_at=now)
    row.mode, row.step_seconds, row.updated_at = mode, step_seconds if mode == "timed" else None, now
    session.add(row)
    shared.changed(session)  # every process's ticker looks at the modes again
    return Mode(flow, row.mode, row.step_seconds)


def next_automatic(flow: Flow, status: str) -> str | None:
    """The happy-path step an order may take by itself from `status`, if any."""
    if status in WAITS:
        return None
    step = flow.next_step(status)
    return step if step and step not in NEVER_AUTOMATIC else None


def settle(session: Session, order: Order, now: datetime, rng: Rng) -> None:
    """After an order is created (or its payment confirmed): walk on if its flow is immediate."""
    if mode_for(session, order).mode != "immediate":
        return
    flow = engine.flow_of(order)
    path: list[str] = []
    step = next_automatic(flow, engine.status_of(order))
    while step is not None:
        path.append(step)
        step = next_automatic(flow, step)
    engine.walk(session, order, path, now, rng)


# Statuses some flow leaves by itself (an order in one of them may be due).
MOVABLE = sorted(
    {
        STATUS_IDS[status]
        for flow in FLOWS.values()
        for status in flow.transitions
        if next_automatic(flow, status)
    }
)


def progress_due(session: Session, now: datetime, new_rng: Callable[[], Rng]) -> int:
    """Timed flows and customers: take every step that has come due on the sandbox clock. Returns the
    steps taken.

    Each step is dated when it fell due (last change + step_seconds), so a clock advanced by an hour
    produces the same history as an hour of waiting. `new_rng` is called at the first step only: a
    tick that finds nothing due writes nothing.
    """
    own = session.exec(select(CustomerMode)).all()
    # (which orders, seconds per step): a timed flow's orders whose customers have no mode of their own
    # (a partner's own B2B orders have no customer), then each timed customer's orders.
    customer = col(Order.customer_id)
    flows_decide = [or_(customer.is_(None), customer.not_in([row.customer_id for row in own]))] if own else []
    timed: list[tuple[list[ColumnElement[bool]], int]] = [
        ([col(Order.flow) == mode.flow, *flows_decide], mode.step_seconds)
        for mode in modes(session).values()
        if mode.mode == "timed" and mode.step_seconds
    ]
    timed += [([customer == row.customer_id], row.step_seconds) for row in own if row.step_seconds]
    taken = 0
    rng: Rng | None = None
    for which, seconds in timed:
        step = timedelta(seconds=seconds)
        query = select(Order).where(
            *which, col(Order.status_id).in_(MOVABLE), col(Order.updated_at) <= now - step
        )
        for order in session.exec(query.order_by(col(Order.updated_at), col(Order.id))).all():
            flow = engine.flow_of(order)
            while (
                target := next_automatic(flow, engine.status_of(order))
            ) and order.updated_at + step <= now:
                rng = rng or new_rng()
                engine.advance(session, order, order.updated_at + step, rng, to=target)
                taken += 1
    return taken
