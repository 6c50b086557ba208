"""The sandbox's own control API under /_sandbox (never under /partner): no Digest, its own OpenAPI tag."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlmodel import Session, or_, select

from sandbox.control import invariants
from sandbox.control.schemas import AdvanceRequest, InvariantReport, Moved, RefundRequest
from sandbox.core.errors import SandboxError
from sandbox.domain.lifecycle import engine
from sandbox.domain.orders.render import render_orders
from sandbox.partner.deps import SandboxDep
from sandbox.responses import ok
from sandbox.store.models import Order
from sandbox.wire.base import Envelope, ErrorEnvelope

router = APIRouter(prefix="/_sandbox", tags=["Sandbox control"])


def control(model: object, *errors: int) -> dict:
    responses = {code: {"model": ErrorEnvelope} for code in errors}
    return {
        "openapi_extra": {"x-fidelity": "sandbox-decision"},
        "response_model": None,
        "responses": {200: {"model": model}, **responses},
    }


@router.get("/invariants", **control(Envelope[InvariantReport]))
def check_invariants(sandbox: SandboxDep) -> Response:
    """Ledger invariants: every wallet's balance equals the sum of its ledger entries and is not negative."""
    with sandbox.store.session() as session:
        return ok(invariants.check(session))


@router.post("/orders/{order_ref}/advance", **control(Envelope[Moved], 404, 409, 422))
def advance_order(order_ref: str, body: AdvanceRequest, sandbox: SandboxDep) -> Response:
    """Move an order one step along its lifecycle, or along the allowed path to `to`."""
    with sandbox.store.session(write=True) as session:
        order = _order(session, order_ref)
        entered = engine.advance(session, order, sandbox.clock.now(), sandbox.rng_in(session), to=body.to)
        return _moved(session, order, entered, sandbox.settings.public_base_url)


@router.post("/orders/{order_ref}/refund", **control(Envelope[Moved], 404, 409, 422))
def refund_order(order_ref: str, body: RefundRequest, sandbox: SandboxDep) -> Response:
    """Refund a completed card order: Refunding, then (by default) Refunded with the metal taken back."""
    with sandbox.store.session(write=True) as session:
        order = _order(session, order_ref)
        target = "Refunded" if body.complete else "Refunding"
        current = engine.status_of(order)
        if current not in ("Completed", "Refunding") and not engine.flow_of(order).is_final(current):
            # A refund gives back a completed payment; it never walks an unpaid order through Completed.
            raise SandboxError(
                "transition_not_allowed",
                params={
                    "current": current,
                    "target": target,
                    "allowed": ", ".join(engine.flow_of(order).transitions[current]),
                },
            )
        entered = engine.advance(session, order, sandbox.clock.now(), sandbox.rng_in(session), to=target)
        return _moved(session, order, entered, sandbox.settings.public_base_url)


def _order(session: Session, ref: str) -> Order:
    """Control routes name an order by its guid or order_code (unique across partners)."""
    order = session.exec(
        select(Order).where(or_(Order.guid == ref.upper(), Order.order_code == ref.upper()))
    ).first()
    if order is None:
        raise SandboxError("order_not_found")
    return order


def _moved(session: Session, order: Order, entered: list[str], base_url: str) -> Response:
    rendered = render_orders(session, [order], base_url)[0]
    return ok({"entered": entered, "order": rendered})
