"""Orders: Get Order, Get Order (Alternative), Get Orders, Order Statusses."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sandbox.cached_reads import cacheable, no_store
from sandbox.catalog import SKUS, STATUSES
from sandbox.core import dates
from sandbox.core.errors import ValidationFailed
from sandbox.core.pagination import paginate
from sandbox.domain.orders.render import render_orders
from sandbox.partner.deps import PartnerDep, SandboxDep
from sandbox.partner.openapi import route
from sandbox.partner.orders import service
from sandbox.responses import ok
from sandbox.wire.base import Envelope
from sandbox.wire.orders import GetOrderRequest, Order, OrderPage, OrderStatus

router = APIRouter(tags=["Orders"])


@router.get("/partner/order/{external_order_id}", **route("documented", 404, model=Envelope[Order]))
@cacheable
def get_order(external_order_id: str, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Get Order: by your external_id, the guid or the order_code."""
    with sandbox.store.session() as session:
        order = service.get_order(session, partner.partner_id, external_order_id)
        return ok(render_orders(session, [order], sandbox.settings.public_base_url)[0])


@router.post("/partner/order", **route("documented", 404, 413, 415, model=Envelope[Order]))
@cacheable
def get_order_alternative(
    body: GetOrderRequest, partner: PartnerDep, sandbox: SandboxDep, request: Request
) -> Response:
    """Get Order (Alternative): by guid, order_code or external_id in the body; push_hook re-sends it."""
    # Only push_hook writes: a plain look-up reads without taking the write lock, so concurrent
    # look-ups do not queue behind each other (or behind buys).
    with sandbox.store.session(write=bool(body.push_hook)) as session:
        order = service.find_order(
            session,
            partner.partner_id,
            guid=body.guid,
            order_code=body.order_code,
            external_id=body.external_id,
        )
        if body.push_hook:
            service.request_push(session, order, sandbox.clock.now())
            no_store(request)  # the same request pushes again
        data = render_orders(session, [order], sandbox.settings.public_base_url)[0]
    return ok(data)


@router.get("/partner/orders", **route("sandbox-decision", model=Envelope[OrderPage]))
@cacheable
def get_orders(
    partner: PartnerDep,
    sandbox: SandboxDep,
    request: Request,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    total: Annotated[int, Query(ge=5, le=30, description="Page size, 5–30")] = 10,
    customer_external_id: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    # Literal of a tuple: pydantic expands it; mypy wants the values spelled out.
    sku: Annotated[Literal[SKUS] | None, Query()] = None,  # type: ignore[valid-type]
    type: Annotated[Literal["Buy", "Sell", "Delivery"] | None, Query()] = None,
    status: Annotated[str | None, Query(max_length=20, description="Status name or id")] = None,
    sortBy: Annotated[Literal["type", "total", "customer_external_id", "created_at"], Query()] = "created_at",
    sortType: Annotated[Literal["asc", "desc"], Query()] = "desc",
    startDate: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD or DD-MM-YYYY")] = None,
    endDate: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD or DD-MM-YYYY")] = None,
) -> Response:
    """Get Orders: filtered, sorted and paginated like the partner's Laravel paginator."""
    start, end = _day("startDate", startDate), _day("endDate", endDate)
    if start and end and end < start:
        raise ValidationFailed(errors={"endDate": [("end_before_start", {})]})
    filters = service.OrderFilters(
        customer_external_id=customer_external_id, sku=sku, type=type, status=status,
        start_date=start, end_date=end, sort_by=sortBy, sort_type=sortType,
    )  # fmt: skip
    matching = service.matching(partner.partner_id, filters)
    url = sandbox.settings.public_base_url
    query = [(key, value) for key, value in request.query_params.multi_items() if key != "page"]
    with sandbox.store.session() as session:
        # Pages of one filter share their count: kept until the store changes.
        count = sandbox.store.cached(
            ("orders-count", partner.partner_id, filters), lambda: service.count(session, matching)
        )
        orders = service.page_of(session, matching, filters, page, total)
        return ok(
            paginate(
                data=render_orders(session, orders, url),
                total=count,
                page=page,
                per_page=total,
                path=f"{url}/partner/orders",
                query=query,
            )
        )


@router.get("/partner/orders/statuses", **route("sandbox-decision", model=Envelope[list[OrderStatus]]))
@cacheable
def get_order_statuses(partner: PartnerDep) -> Response:
    """Order Statusses: every status id and name."""
    return ok([{"id": number, "name": name} for number, name in enumerate(STATUSES, start=1)])


def _day(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return dates.parse_day(value)
    except ValueError:
        raise ValidationFailed(errors={name: [("invalid_day", {})]}) from None
