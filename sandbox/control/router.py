"""The sandbox's own control API under /_sandbox (never under /partner): no Digest, its own OpenAPI tag."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field

from sandbox.control import invariants
from sandbox.core.envelope import ok
from sandbox.partner.deps import SessionDep
from sandbox.partner.schemas import Envelope, WireModel

router = APIRouter(prefix="/_sandbox", tags=["Sandbox control"])


class Violation(WireModel):
    wallet_id: int
    partner: str = Field(description="The partner's Digest username")
    customer_external_id: str | None = Field(description="null on a partner's own (B2B) wallet")
    asset: str = Field(description="Currency code (cash) or sku (metal)")
    balance: float
    ledger_sum: float
    problem: Literal["balance_mismatch", "negative_balance"]


class InvariantReport(WireModel):
    wallets: int
    entries: int
    violations: list[Violation] = Field(description="Empty on a healthy store")


@router.get(
    "/invariants",
    openapi_extra={"x-fidelity": "sandbox-decision"},
    response_model=None,
    responses={200: {"model": Envelope[InvariantReport], "description": "Always 200; read `violations`"}},
)
def check_invariants(session: SessionDep) -> Response:
    """Ledger invariants: every wallet's balance equals the sum of its ledger entries and is not negative."""
    return ok(invariants.check(session))
