"""Customers: a partner's customers with their wallet balances, and one customer's balance rows exactly
as Customer Balance computes them (balance, blocked, soft-blocked, real balance)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandbox.core.errors import SandboxError
from sandbox.domain import balances
from sandbox.domain.customers.lookup import find_customer
from sandbox.domain.lifecycle import progression
from sandbox.domain.orders.render import fullname
from sandbox.ui import views
from sandbox.ui.common import describe, error_page, page_number, paging, render, sandbox_of

router = APIRouter(include_in_schema=False)  # mounted under PREFIX by sandbox/ui/router.py


@router.get("/customers")
def customers(request: Request) -> Response:
    """One partner's live customers (the first partner when none is chosen), 25 a page."""
    query = request.query_params
    q = query.get("q", "").strip()
    sandbox = sandbox_of(request)
    rows: list = []
    total, page, error, status = 0, 1, None, 200
    with sandbox.store.session() as session:
        partners = [partner.username for partner in views.partners(session)]
        chosen = query.get("partner", "").strip() or (partners[0] if partners else "")
        try:
            page = page_number(query.get("page"))
            rows, total = views.customer_rows(session, views.partner_named(session, chosen), q, page)
        except SandboxError as refusal:
            error, status = describe(refusal), refusal.status_code
    return render(
        request,
        "customers.html",
        "customers",
        status,
        error=error,
        rows=rows,
        partner=chosen,
        partners=partners,
        q=q,
        paging=paging(page, total, len(rows)),
    )


@router.get("/customers/{partner}/{external_id}")
def customer(partner: str, external_id: str, request: Request) -> Response:
    """One customer: details, KYC, every balance row and its orders per status."""
    sandbox = sandbox_of(request)
    with sandbox.store.session() as session:
        owner = next((p for p in views.partners(session) if p.username == partner), None)
        found = find_customer(session, owner.id, external_id) if owner and owner.id else None
        if owner is None or found is None or found.id is None:
            message = f"Partner {partner!r} has no customer {external_id!r}."
            return error_page(request, 404, "Customer not found", message)
        rows = balances.balance_rows(session, sandbox.feed, sandbox.clock.now(), owner.id or 0, found)
        counts = views.order_counts(session, owner.id or 0, found.id)
        own_mode = progression.customer_mode(session, found)
    return render(
        request,
        "customer.html",
        "customers",
        partner=partner,
        customer=found,
        name=fullname(found),
        rows=rows,
        counts=counts,
        own_mode=own_mode,
    )
