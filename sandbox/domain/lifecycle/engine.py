"""Moving orders along their flow, and what each status does to wallets, payments and cargo.

Every status change goes through `advance`, which checks the move against the flow (sandbox/domain/
flows.py), then `walk`, which enters each status on the way (history + outbox, see transitions.py) and
applies that status's effect (EFFECTS, below) in the same transaction; automatic steps
(progression.py) walk the flow's own happy path. The effects are the only place an order
moves money or metal once it exists. Open orders move nothing: they hold (Flow.held), and Cancelled
releases the hold by leaving it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import bindparam
from sqlmodel import Session, select

from sandbox.catalog import STATUS_NAMES
from sandbox.core.errors import SandboxError
from sandbox.core.ids import Rng
from sandbox.domain import ledger
from sandbox.domain.flows import FLOWS, Flow
from sandbox.domain.lifecycle import transitions
from sandbox.store.models import Order, OrderItem, Payment, pk

CARGO_URL = "https://kargo.example.com/takip/{number}"
# (flow, status) → what entering it does; published at GET /_sandbox/lifecycles (same as _effect below).
EFFECTS: dict[tuple[str, str], str] = {
    ("buy-cash", "Completed"): "cash − total, metal + grams",
    ("buy-card", "Payment Confirmed"): "payment success",
    ("buy-card", "Completed"): "metal + grams, payment transaction id",
    ("buy-card", "Refunded"): "metal − grams, payment refunded",
    ("buy-card", "Cancelled"): "payment fail",
    ("sell", "Completed"): "metal − grams, cash + total",
    ("delivery-cash", "Preparing"): "synced to the warehouse",
    ("delivery-cash", "Shipped"): "metal − grams, cash − fee, cargo tracking number and URL",
    ("delivery-card", "Payment Confirmed"): "payment success",
    ("delivery-card", "Preparing"): "synced to the warehouse",
    ("delivery-card", "Shipped"): "metal − grams, cargo tracking number and URL",
    ("delivery-card", "Completed"): "payment transaction id",
    ("delivery-card", "Cancelled"): "a new payment fails, a paid one is refunded",
}
SYNCED = frozenset({"Preparing", "Packed", "Shipped", "Completed"})
# Built once (building and keying a statement costs more than running it).
_ITEM = select(OrderItem).where(OrderItem.order_id == bindparam("order_id"))
_PAYMENT = select(Payment).where(Payment.order_id == bindparam("order_id"))


def status_of(order: Order) -> str:
    return STATUS_NAMES[order.status_id]


def flow_of(order: Order) -> Flow:
    return FLOWS[order.flow]


def items_made(session: Session) -> dict[int, OrderItem]:
    """Order id → the item of an order this session made (sandbox/domain/orders/factory.py): effects and
    the response use it before it is flushed, and an item never changes once made."""
    items: dict[int, OrderItem] = session.info.setdefault("items_made", {})
    return items


def start(session: Session, order: Order, now: datetime) -> None:
    """A new order enters its flow's first status."""
    transitions.enter(session, order, FLOWS[order.flow].initial, now)


def advance(session: Session, order: Order, now: datetime, rng: Rng, to: str | None = None) -> list[str]:
    """Move one step (the flow's default next status) or along the shortest allowed path to `to`.

    A move the flow does not allow is 409 `transition_not_allowed` naming the allowed next statuses.
    Returns the statuses entered.
    """
    flow = FLOWS[order.flow]
    current = status_of(order)
    target = to or flow.next_step(current)
    path = flow.path_between(current, target) if target else None
    allowed = list(flow.transitions.get(current, ()))
    if not allowed:
        raise SandboxError("order_is_final", params={"current": current})
    if not path:
        raise SandboxError(
            "transition_not_allowed",
            params={"current": current, "target": target or "-", "allowed": ", ".join(allowed) or "-"},
            errors={"to": [("transition_not_allowed", {"current": current, "target": target or "-",
                                                       "allowed": ", ".join(allowed) or "-"})]},
        )  # fmt: skip
    walk(session, order, path, now, rng)
    return path


def walk(session: Session, order: Order, path: list[str], now: datetime, rng: Rng) -> None:
    """Enter each status of `path` in turn (each one a transition the flow allows), with its effect."""
    flow = FLOWS[order.flow]
    parts = _Parts(session, order, flow)
    for status in path:
        transitions.enter(session, order, status, now)
        _effect(session, flow, order, status, now, rng, parts)


class _Parts:
    """The order's item and payment, each read once per walk and only when an effect uses it."""

    def __init__(self, session: Session, order: Order, flow: Flow) -> None:
        self._session, self._order, self._flow = session, order, flow

    @cached_property
    def item(self) -> OrderItem:
        made_here = items_made(self._session).get(pk(self._order))
        return made_here or self._session.exec(_ITEM, params={"order_id": self._order.id}).one()

    @cached_property
    def payment(self) -> Payment | None:
        if self._flow.payment_type != "credit-card":
            return None  # only a card order has a payment (payments.open_payment)
        return self._session.exec(_PAYMENT, params={"order_id": self._order.id}).first()


def _effect(
    session: Session, flow: Flow, order: Order, status: str, now: datetime, rng: Rng, parts: _Parts
) -> None:
    payment = parts.payment

    def move(asset: str, amount: Decimal, kind: str) -> None:
        wallet = ledger.wallet(session, order.partner_id, order.customer_id, asset, now)
        ledger.post(session, wallet, amount, kind, now, order_id=order.id)

    if status == "Payment Confirmed" and payment is not None:
        payment.state = "success"
        payment.redirect_url = None
        session.add(payment)
    elif status == "Completed" and flow.type == "Buy":
        if flow.payment_type == "cash":
            move(order.currency_code, -order.total, "buy")
        move(parts.item.sku, parts.item.amount, "buy")
    elif status == "Completed" and flow.type == "Sell":
        move(parts.item.sku, -parts.item.amount, "sell")
        move(order.currency_code, order.total, "sell")
    elif status == "Shipped":
        move(parts.item.sku, -parts.item.amount, "delivery")
        if flow.payment_type == "cash":
            move(order.currency_code, -order.total, "fee")
        order.cargo_tracking_number = f"MNG{rng.digits(10)}"
        order.cargo_tracking_url = CARGO_URL.format(number=order.cargo_tracking_number)
        session.add(order)
    elif status == "Refunded":
        move(parts.item.sku, -parts.item.amount, "refund")
        _refund(session, payment)
    elif status == "Cancelled" and payment is not None:
        if payment.state == "success":
            _refund(session, payment)
        elif payment.state == "new":
            payment.state = "fail"
            payment.error_code = payment.error_code or "CANCELLED"
            payment.error_message = payment.error_message or "İşlem iptal edildi / Transaction cancelled"
            payment.redirect_url = None
            session.add(payment)
    if status == "Completed" and payment is not None:
        # documented (api-4295600): a Pending order's successful payment has no transaction id yet.
        payment.transaction_id = payment.transaction_id or rng.digits(12)
        session.add(payment)
    if flow.type == "Delivery" and status in SYNCED:
        order.sync_status = True  # handed to the warehouse; a cancel before this never syncs
        session.add(order)


def _refund(session: Session, payment: Payment | None) -> None:
    if payment is None:
        return
    payment.state = "refunded"
    payment.refunded_amount = payment.total
    session.add(payment)
