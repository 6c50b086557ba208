"""Balances: Customer Balance (documented), Partner Balance, Update Customer Cash Balance, Stats and
Customer Balance 7d Stats (sandbox decisions: the docs list them in the menu only)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sandbox.cached_reads import cacheable
from sandbox.domain import balances
from sandbox.partner.balances.schemas import (
    BalanceRow,
    CashUpdateRequest,
    StatsRequest,
    StatsResponse,
    WalletHistory,
)
from sandbox.partner.deps import PartnerDep, SandboxDep
from sandbox.partner.openapi import route
from sandbox.responses import ok
from sandbox.wire.base import Envelope

router = APIRouter(tags=["Balances"])


@router.get("/partner/balance", **route("sandbox-decision", model=Envelope[list[BalanceRow]]))
@cacheable(per_minute=True)
def partner_balance(partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Partner Balance: the partner's own (B2B) wallets as balance rows."""
    with sandbox.store.session() as session:
        return ok(balances.balance_rows(session, sandbox.feed, sandbox.clock.now(), partner.partner_id, None))


@router.get(
    "/partner/balance/customer/{customer_external_id}",
    **route(
        "partly documented",
        404,
        model=Envelope[list[BalanceRow]],
        invented="what `stats` and `prices` hold (the page names them only)",
    ),
)
@cacheable(per_minute=True)
def customer_balance(customer_external_id: str, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Customer Balance: one cash row per currency in use, then one row per metal."""
    with sandbox.store.session() as session:
        customer = balances.customer_or_404(session, partner.partner_id, customer_external_id)
        return ok(
            balances.balance_rows(session, sandbox.feed, sandbox.clock.now(), partner.partner_id, customer)
        )


@router.patch(
    "/partner/balance/customer/{customer_external_id}",
    **route("sandbox-decision", 404, 413, 415, model=Envelope[list[BalanceRow]]),
)
def update_customer_cash_balance(
    customer_external_id: str, body: CashUpdateRequest, partner: PartnerDep, sandbox: SandboxDep
) -> Response:
    """Update Customer Cash Balance: deposit (amount > 0) or withdraw (amount < 0); never below zero."""
    with sandbox.store.session(write=True) as session:
        now = sandbox.clock.now()
        customer = balances.customer_or_404(session, partner.partner_id, customer_external_id)
        balances.update_cash(
            session, partner.partner_id, customer, body.amount, body.currency_code, body.description, now
        )
        return ok(balances.balance_rows(session, sandbox.feed, now, partner.partner_id, customer))


@router.post(
    "/partner/balance/stats", **route("sandbox-decision", 404, 413, 415, model=Envelope[StatsResponse])
)
@cacheable
def stats(body: StatsRequest, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Stats: grams and money bought, sold and delivered per sku and currency over a range of days."""
    with sandbox.store.session() as session:
        return ok(
            balances.order_stats(
                session, partner.partner_id, body.customer_external_id, body.startDate, body.endDate
            )
        )


@router.get(
    "/partner/balance/customer/{customer_external_id}/stats",
    **route("sandbox-decision", 404, model=Envelope[list[WalletHistory]]),
)
@cacheable(per_minute=True)
def customer_balance_7d_stats(
    customer_external_id: str, partner: PartnerDep, sandbox: SandboxDep
) -> Response:
    """Customer Balance 7d Stats: each opened wallet's end-of-day balance over the last seven days."""
    with sandbox.store.session() as session:
        customer = balances.customer_or_404(session, partner.partner_id, customer_external_id)
        return ok(balances.daily_balances(session, partner.partner_id, customer, sandbox.clock.now()))
