"""Sandbox control: lifecycles and their progression modes, a flow's or one customer's (under /_sandbox,
no Digest)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Session, select

from sandbox.control.router import control
from sandbox.core.errors import SandboxError
from sandbox.domain.customers.lookup import find_customer
from sandbox.domain.flows import FLOWS
from sandbox.domain.lifecycle import engine, progression
from sandbox.partner.deps import SandboxDep
from sandbox.responses import ok
from sandbox.store.models import Customer, CustomerMode, Partner, pk
from sandbox.wire.base import Envelope, WireModel

router = APIRouter(prefix="/_sandbox", tags=["Sandbox control"])
FlowName = Literal["buy-cash", "buy-card", "sell", "delivery-cash", "delivery-card"]


class ModeRequest(WireModel):
    mode: Literal["immediate", "manual", "timed"]
    step_seconds: int | None = Field(None, ge=1, le=86_400, description="timed: seconds per step")

    @model_validator(mode="after")
    def _timed_needs_seconds(self) -> ModeRequest:
        if self.mode == "timed" and self.step_seconds is None:
            raise PydanticCustomError("missing", "timed needs step_seconds")
        return self


class ModeView(WireModel):
    flow: FlowName
    mode: Literal["immediate", "manual", "timed"]
    step_seconds: int | None


class LifecycleView(WireModel):
    flow: FlowName
    type: Literal["Buy", "Sell", "Delivery"]
    payment_type: Literal["cash", "credit-card"]
    initial: str
    transitions: dict[str, list[str]]
    statuses: list[str]
    holds: dict[str, Any] = Field(description="What open orders hold: held assets, soft and hard statuses")
    effects: dict[str, str] = Field(description="What entering a status does to wallets, payment and cargo")
    mode: ModeView


@router.get("/lifecycles", **control(Envelope[list[LifecycleView]]))
def get_lifecycles(sandbox: SandboxDep) -> Response:
    """Every order flow: allowed transitions, holds, effects and its progression mode."""
    with sandbox.store.session() as session:
        modes = progression.modes(session)
        return ok([_view(name, modes[name]) for name in FLOWS])


@router.put("/lifecycles/{flow}/mode", **control(Envelope[ModeView], 422))
def set_lifecycle_mode(flow: FlowName, body: ModeRequest, sandbox: SandboxDep) -> Response:
    """Set how orders of a flow move on by themselves: immediate, manual or timed (step_seconds)."""
    with sandbox.store.session(write=True) as session:
        mode = progression.set_mode(session, flow, body.mode, body.step_seconds, sandbox.clock.now())
        return ok(mode.as_dict())


class CustomerModeView(WireModel):
    partner: str
    external_id: str
    mode: Literal["immediate", "manual", "timed"] | None = Field(
        description="The customer's own mode; null: each order follows its flow's mode"
    )
    step_seconds: int | None


CUSTOMER_MODE = "/customers/{partner}/{external_id}/mode"


@router.get(CUSTOMER_MODE, **control(Envelope[CustomerModeView], 404))
def get_customer_mode(partner: str, external_id: str, sandbox: SandboxDep) -> Response:
    """A customer's own progression mode (null: its orders follow their flows' modes)."""
    with sandbox.store.session() as session:
        customer = _customer(session, partner, external_id)
        return ok(_customer_view(partner, customer, progression.customer_mode(session, customer)))


@router.put(CUSTOMER_MODE, **control(Envelope[CustomerModeView], 404, 422))
def set_customer_mode(partner: str, external_id: str, body: ModeRequest, sandbox: SandboxDep) -> Response:
    """Give one customer a mode of its own: every order of theirs (open ones included) moves by it, in
    place of its flow's mode. Other customers' orders are untouched."""
    with sandbox.store.session(write=True) as session:
        customer = _customer(session, partner, external_id)
        row = progression.set_customer_mode(
            session, customer, body.mode, body.step_seconds, sandbox.clock.now()
        )
        return ok(_customer_view(partner, customer, row))


@router.delete(CUSTOMER_MODE, **control(Envelope[CustomerModeView], 404))
def clear_customer_mode(partner: str, external_id: str, sandbox: SandboxDep) -> Response:
    """Take the customer's own mode away: its orders follow their flows' modes again."""
    with sandbox.store.session(write=True) as session:
        customer = _customer(session, partner, external_id)
        progression.clear_customer_mode(session, customer)
        return ok(_customer_view(partner, customer, None))


def _customer(session: Session, partner: str, external_id: str) -> Customer:
    found = session.exec(select(Partner).where(Partner.username == partner)).first()
    if found is None:
        raise SandboxError("partner_not_found")
    customer = find_customer(session, pk(found), external_id)
    if customer is None:
        raise SandboxError("customer_not_found")
    return customer


def _customer_view(partner: str, customer: Customer, row: CustomerMode | None) -> dict[str, Any]:
    return {
        "partner": partner,
        "external_id": customer.external_id,
        "mode": row.mode if row else None,
        "step_seconds": row.step_seconds if row else None,
    }


def _view(name: str, mode: progression.Mode) -> dict[str, Any]:
    flow = FLOWS[name]
    return {
        "flow": name,
        "type": flow.type,
        "payment_type": flow.payment_type,
        "initial": flow.initial,
        "transitions": {status: list(following) for status, following in flow.transitions.items()},
        "statuses": flow.reachable(),
        "holds": {"held": list(flow.held), "soft": sorted(flow.soft_holds), "hard": sorted(flow.hard_holds)},
        "effects": {
            status: text for (flow_name, status), text in engine.EFFECTS.items() if flow_name == name
        },
        "mode": mode.as_dict(),
    }
