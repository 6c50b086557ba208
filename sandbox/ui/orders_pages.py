"""Orders: the filtered list, one order with its status history, and the buttons that move it
(the lifecycle engine, as `POST /_sandbox/orders/{ref}/advance`) or answer its 3-D Secure payment
(the payment service, as the `/pay/{token}` page's Approve and Decline)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import select

from sandbox.catalog import ORDER_TYPES
from sandbox.control.schemas import AdvanceRequest
from sandbox.core.errors import SandboxError
from sandbox.domain import payments
from sandbox.domain.journal import JournalEntry
from sandbox.domain.lifecycle import engine
from sandbox.runtime import Sandbox
from sandbox.store.models import Payment
from sandbox.ui import views
from sandbox.ui.common import (
    PREFIX,
    STATUS_ORDER,
    Missing,
    bad_field,
    describe,
    error_page,
    page_number,
    paging,
    render,
    sandbox_of,
    submit,
)

router = APIRouter(include_in_schema=False)  # mounted under PREFIX by sandbox/ui/router.py
# The journal entries the order page's timeline looks through for requests naming the order: the
# newest ones only, since a live page asks again every second (all 1,000 cost about 40 ms a time).
TIMELINE_REQUESTS = 200


@router.get("/orders")
def orders(request: Request) -> Response:
    """Every partner's orders, newest first, filtered by partner, type, status, customer or an id."""
    query = request.query_params
    filters = views.OrderFilters(
        **{name: query.get(name, "").strip() for name in ("partner", "type", "status", "customer", "q")}
    )
    sandbox = sandbox_of(request)
    rows: list = []
    total, page, error, status = 0, 1, None, 200
    with sandbox.store.session() as session:
        partners = [partner.username for partner in views.partners(session)]
        try:
            page = page_number(query.get("page"))
            rows, total = views.order_rows(session, filters.checked(), page)
        except SandboxError as refusal:
            error, status = describe(refusal), refusal.status_code
    return render(
        request,
        "orders.html",
        "orders",
        status,
        error=error,
        rows=rows,
        filters=filters,
        paging=paging(page, total, len(rows)),
        partners=partners,
        types=ORDER_TYPES,
        statuses=STATUS_ORDER,
    )


@router.get("/orders/{ref}")
def order(ref: str, request: Request) -> Response:
    """One order: as Get Order renders it, its status history, its webhook events and the actions."""
    sandbox = sandbox_of(request)
    try:
        journal: list[JournalEntry] | None = sandbox.journal.query(limit=TIMELINE_REQUESTS)
    except SandboxError:  # the journal's file failed: the page still shows the order
        journal = None
    with sandbox.store.session() as session:
        found = views.find_order(session, ref)
        if found is None:
            return error_page(request, 404, "Order not found", _unknown(ref))
        detail = views.order_detail(session, found, sandbox.settings.public_base_url, journal)
    return render(request, "order.html", "orders", **detail)


@router.post("/orders/{ref}/advance")
async def advance(ref: str, request: Request) -> Response:
    """One step along the order's flow, or (form field `to`) along the allowed path to a status."""

    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        body = AdvanceRequest.model_validate({"to": form["to"]} if form.get("to") else {})
        with sandbox.store.session(write=True) as session:
            found = views.find_order(session, ref)
            if found is None:
                raise Missing("Order not found", _unknown(ref))
            before = engine.status_of(found)
            entered = engine.advance(session, found, sandbox.clock.now(), sandbox.rng_in(session), to=body.to)
            code = found.order_code
        return f"{code}: {' → '.join([before, *entered])}."

    return await submit(request, f"{PREFIX}/orders/{ref}", act)


@router.post("/orders/{ref}/payment")
async def answer_payment(ref: str, request: Request) -> Response:
    """Approve or decline the order's pending 3-D Secure payment, as the cardholder would."""

    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        action = form.get("action", "")
        if action not in ("approve", "decline"):
            raise bad_field("action", "literal_error", expected="approve, decline")
        with sandbox.store.session(write=True) as session:
            found = views.find_order(session, ref)
            if found is None:
                raise Missing("Order not found", _unknown(ref))
            payment = session.exec(select(Payment).where(Payment.order_id == found.id)).first()
            if payment is None or not payment.is_3d:
                raise SandboxError("payment_not_found")
            if payment.state != "new":
                raise SandboxError("payment_already_processed", params={"state": payment.state})
            payments.answer(
                session, sandbox.rng_in(session), payment, found, action == "approve", sandbox.clock.now()
            )
            outcome = f"payment {payment.state}, order {engine.status_of(found)}"
            code = found.order_code
        verb = "Approved" if action == "approve" else "Declined"
        return f"{verb} the 3-D Secure payment of {code}: {outcome}."

    return await submit(request, f"{PREFIX}/orders/{ref}", act)


def _unknown(ref: str) -> str:
    return f"No order has the guid or order code {ref!r}."
