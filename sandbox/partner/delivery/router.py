"""Delivery: List Wallets and Calculate (sandbox decisions), Create paid with cash (documented) or by
card (sandbox decision on the card fields)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sandbox.cached_reads import cacheable
from sandbox.domain.orders.render import render_orders
from sandbox.partner.delivery import service
from sandbox.partner.delivery.schemas import (
    CreatedDelivery,
    DeliveryCalculateRequest,
    DeliveryCalculateResponse,
    DeliveryCreateRequest,
    DeliveryWallet,
)
from sandbox.partner.deps import PartnerDep, SandboxDep
from sandbox.partner.openapi import route
from sandbox.responses import ok
from sandbox.wire.base import Envelope
from sandbox.wire.customers import CustomerRef

router = APIRouter(tags=["Delivery"])


@router.post(
    "/partner/delivery/wallets",
    **route("sandbox-decision", 404, 413, 415, model=Envelope[list[DeliveryWallet]]),
)
@cacheable
def delivery_wallets(body: CustomerRef, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """List Wallets: the customer's gold, silver and platinum, and the whole grams each can deliver."""
    with sandbox.store.session() as session:
        customer = service.customer_or_404(session, partner.partner_id, body.customer_external_id)
        return ok(service.wallets(session, partner.partner_id, customer))


@router.post(
    "/partner/delivery/calculate",
    **route("sandbox-decision", 404, 413, 415, model=Envelope[DeliveryCalculateResponse]),
)
@cacheable
def delivery_calculate(body: DeliveryCalculateRequest, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Calculate: the delivery fee (minting + shipping & insurance) for whole grams of one metal."""
    with sandbox.store.session() as session:
        fee = service.calculate(session, sandbox.feed, partner.partner_id, body)
        return ok({"total": fee.total, "items": [{"sku": fee.sku, "price": fee.total}]})


@router.post(
    "/partner/delivery/create",
    **route(
        "partly documented",
        403,
        404,
        409,
        413,
        415,
        model=Envelope[CreatedDelivery],
        invented="the keys after `items[].currency_rate` (the page's example is cut off there), "
        "paying by card",
    ),
)
def delivery_create(body: DeliveryCreateRequest, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Create: deliver whole grams of gold, silver or platinum; the fee is paid with cash or by card."""
    with sandbox.store.session(write=True) as session:
        now = sandbox.clock.now()
        order = service.create(
            session, sandbox.rng_in(session), sandbox.feed, partner.profile, partner.partner_id, body, now
        )
        rendered = render_orders(session, [order], sandbox.settings.public_base_url)[0]
        return ok(service.render_created(rendered, order, partner.client_id, sandbox.feed.fx))
