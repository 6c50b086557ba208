"""Wire models of the sandbox's own control API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sandbox.wire.base import WireModel
from sandbox.wire.orders import StatusName


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


class AdvanceRequest(WireModel):
    to: StatusName | None = Field(None, description="Target status along the flow; omit for one step")


class RefundRequest(WireModel):
    complete: bool = Field(True, description="false stops at Refunding; true goes on to Refunded")


class Moved(WireModel):
    entered: list[str] = Field(description="The statuses entered, in order")
    order: dict[str, Any] = Field(description="The order as Get Order renders it")
