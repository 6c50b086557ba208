"""Orders: Get Order, Get Order (Alternative), Get Orders, Order Statusses."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sandbox.catalog import SKUS, STATUSES
from sandbox.core import dates
from sandbox.core.envelope import ok
from sandbox.core.errors import ValidationFailed
from sandbox.core.pagination import paginate
from sandbox.partner.deps import PartnerDep, SandboxDep, SessionDep
from sandbox.partner.openapi import route
from sandbox.partner.orders import hot, service
from sandbox.partner.orders.render import render_orders
from sandbox.partner.orders.schemas import GetOrderRequest, Order, OrderPage, OrderStatus
from sandbox.partner.schemas import Envelope

router = APIRouter(tags=["Orders"])

# Get Order takes its one path parameter from `request.path_params` (a declared parameter costs a
# FastAPI validation pass per request), so the parameter is documented here, as FastAPI would.
ORDER_ID_PARAMETER = {
    "name": "external_order_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "title": "External Order Id"},
}


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get(
    "/partner/order/{external_order_id}",
    **route("documented", 404, model=Envelope[Order], path_parameters=[ORDER_ID_PARAMETER]),
)
async def get_order(request: Request) -> Response:
    """Get Order: by your external_id, the guid or the order_code."""
    # Served by `hot.HotRoutes` before the router; this route documents it (its partner headers come
    # from `route()`, its path parameter from ORDER_ID_PARAMETER: no FastAPI parameter to solve).
    return await hot.get_order_response(request, request.path_params["external_order_id"])


@router.post("/partner/order", **route("documented", 404, 413, 415, model=Envelope[Order]))
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
        data = render_orders(session, [order], base_url(request))[0]
    return ok(data)


@router.get("/partner/orders", **route("sandbox-decision", model=Envelope[OrderPage]))
def get_orders(
    partner: PartnerDep,
    session: SessionDep,
    request: Request,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    total: Annotated[int, Query(ge=5, le=30, description="Page size, 5–30")] = 10,
    customer_external_id: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
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
    orders, count = service.list_orders(session, partner.partner_id, filters, page, total)
    url = base_url(request)
    query = [(key, value) for key, value in request.query_params.multi_items() if key != "page"]
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
def get_order_statuses(partner: PartnerDep) -> Response:
    """Order Statusses: every status id and name."""
    return ok([{"id": number, "name": name} for number, name in enumerate(STATUSES, start=1)])


def _day(name: str, value: str | None):
    if value is None:
        return None
    try:
        return dates.parse_day(value)
    except ValueError:
        raise ValidationFailed(errors={name: [("invalid_day", {})]}) from None
