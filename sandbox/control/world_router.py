"""Sandbox control: Reset, seed, clock and state (under /_sandbox, no Digest)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, Field, field_validator, model_validator

from sandbox.control.router import control
from sandbox.core.clock import CLOCK_MAX, CLOCK_MIN, ISTANBUL, Clock
from sandbox.partner.deps import SandboxDep
from sandbox.responses import ok
from sandbox.runtime import Sandbox
from sandbox.store.errors import unavailable
from sandbox.wire.base import Envelope, WireModel

router = APIRouter(prefix="/_sandbox", tags=["Sandbox control"])

# Every control route answers 401/403 when SANDBOX_CONTROL_TOKEN is set (sandbox/control/protection.py).
GUARDED = (401, 403)


class ResetResult(WireModel):
    reset: bool
    milliseconds: float = Field(description="How long the copy took on the server")
    orders: int = Field(description="Orders the world holds after the reset")


class SeedRequest(WireModel):
    seed: int | None = Field(None, ge=-(2**63), le=2**63 - 1, description="Omitted: the current seed")
    scenario: str = Field("default", description="A file of fixtures/scenarios/ (default, empty, ...)")
    orders: int | None = Field(None, ge=0, le=1_000_000, description="Omitted: the scenario's count")
    customers: int | None = Field(
        None, ge=0, le=100_000, description="Per partner. Omitted: the scenario's count"
    )


class SeedResult(WireModel):
    seed: int
    scenario: str
    orders: int = Field(description="Orders the new world holds (coverage and golden order included)")
    customers: int = Field(description="Customers the new world holds, all partners together")
    milliseconds: float = Field(description="Building the world (Faker) and copying it in")


class ClockView(WireModel):
    mode: Literal["real", "frozen"]
    now: datetime = Field(description="The sandbox's now, ISO 8601 in Istanbul time (+03:00)")
    offset_seconds: float = Field(description="Sandbox time minus real time")


class ClockMove(WireModel):
    mode: Literal["real", "frozen"] | None = Field(
        None, description="`real` goes back to wall-clock time (offset 0); `frozen` stops the clock now"
    )
    at: AwareDatetime | None = Field(None, description="Freeze at this instant (with its zone)")
    advance: float | None = Field(
        None, ge=0, le=10 * 365 * 86_400, description="Then move forward by this many seconds"
    )

    @field_validator("at")
    @classmethod
    def _at_in_range(cls, value: datetime | None) -> datetime | None:
        if value is not None and not CLOCK_MIN <= value <= CLOCK_MAX:
            raise ValueError(f"must be between {CLOCK_MIN.isoformat()} and {CLOCK_MAX.isoformat()}")
        return value

    @model_validator(mode="after")
    def _at_freezes(self) -> Self:
        if self.at is not None and self.mode == "real":
            raise ValueError("`at` freezes the clock: leave `mode` out or make it `frozen`")
        return self


class PartnerState(WireModel):
    partner: str = Field(description="The partner's Digest username")
    customers: int
    wallets: int
    orders: dict[str, dict[str, int]] = Field(description="Order type → status name → orders")


class Health(WireModel):
    status: Literal["ok"] = Field(description="The store reads and its last write went through")


class State(WireModel):
    seed: int
    scenario: str
    clock: ClockView
    partners: list[PartnerState]
    webhooks_pending: int = Field(description="Webhook events waiting in the outbox")


@router.post("/reset", **control(Envelope[ResetResult], *GUARDED))
def reset(
    sandbox: SandboxDep,
    everything: Annotated[
        bool, Query(description="Also drop webhook config, fault rules and lifecycle modes; unfreeze")
    ] = False,
) -> Response:
    """Reset: copy the seeded world back over the database in milliseconds (configuration kept)."""
    return ok(sandbox.reset(everything=everything))


@router.post("/seed", **control(Envelope[SeedResult], *GUARDED, 422))
def seed(sandbox: SandboxDep, body: Annotated[SeedRequest | None, Body()] = None) -> Response:
    """Seed: build another world (seed, scenario, sizes) and make it the one resets go back to."""
    body = body or SeedRequest()
    return ok(
        sandbox.reseed(seed=body.seed, scenario=body.scenario, orders=body.orders, customers=body.customers)
    )


@router.get("/clock", **control(Envelope[ClockView], *GUARDED))
def get_clock(sandbox: SandboxDep) -> Response:
    """Clock: the sandbox's now, its mode and its offset from real time."""
    return ok(clock_view(sandbox.clock))


@router.post("/clock", **control(Envelope[ClockView], *GUARDED, 422))
def move_clock(sandbox: SandboxDep, body: Annotated[ClockMove | None, Body()] = None) -> Response:
    """Move the clock: real time, frozen (now or `at`), and/or `advance` seconds; timed work catches up."""
    body = body or ClockMove()
    sandbox.move_clock(mode=body.mode, at=body.at, advance=body.advance)
    return ok(clock_view(sandbox.clock))


@router.get("/health", **control(Envelope[Health], *GUARDED, 503))
def health(sandbox: SandboxDep) -> Response:
    """Health, for `minted-sandbox healthcheck` and probes: 200 while the store answers; 503
    `store_unavailable` once its database file was deleted or replaced (until a restart), while it
    cannot be read, and after a write failed (disk full, I/O error, read-only) until one succeeds."""
    if sandbox.store.problem() is not None:
        raise unavailable()
    return ok({"status": "ok"})


@router.get("/state", **control(Envelope[State], *GUARDED))
def state(sandbox: SandboxDep) -> Response:
    """State: seed, scenario, clock, and counts per partner, order type and status."""
    return ok(state_view(sandbox))


def clock_view(clock: Clock) -> dict[str, object]:
    now = clock.now()
    # The Digest nonce clock is separate and always real; this is the business clock only.
    return {
        "mode": clock.mode,
        "now": now.astimezone(ISTANBUL).isoformat(),
        "offset_seconds": clock.offset_seconds(),
    }


def state_view(sandbox: Sandbox) -> dict[str, Any]:
    counts = sandbox.state()
    return {
        "seed": counts["seed"],
        "scenario": counts["scenario"],
        "clock": clock_view(sandbox.clock),
        "partners": counts["partners"],
        "webhooks_pending": counts["webhooks_pending"],
    }
