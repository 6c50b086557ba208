"""Sandbox control: lifecycles and their progression modes (under /_sandbox, no Digest)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from sandbox.control.router import control
from sandbox.domain.flows import FLOWS
from sandbox.domain.lifecycle import engine, progression
from sandbox.partner.deps import SandboxDep
from sandbox.responses import ok
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
