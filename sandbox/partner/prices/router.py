"""Prices: Product Prices, Price Fix, Calculate Price."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from sandbox.catalog import CURRENCIES
from sandbox.core.envelope import ok
from sandbox.partner.deps import PartnerDep, SandboxDep, SessionDep, WriteSessionDep
from sandbox.partner.openapi import route
from sandbox.partner.prices import service
from sandbox.partner.prices.schemas import (
    CalculateRequest,
    CalculateResponse,
    PriceFixRequest,
    PriceFixResponse,
    ProductPrices,
)
from sandbox.partner.schemas import Envelope

router = APIRouter(tags=["Prices"])


@router.get("/partner/prices", **route("sandbox-decision", model=Envelope[ProductPrices]))
def get_prices(
    partner: PartnerDep,
    sandbox: SandboxDep,
    currency: Annotated[Literal[CURRENCIES], Query()] = "TRY",  # type: ignore[valid-type]
) -> Response:
    """Product Prices: spot, buy and sell price per SKU (the `prices[]` rows of a price fix)."""
    return ok(service.product_prices(sandbox.feed, sandbox.clock.now(), currency))


@router.post("/partner/pricefix", **route("documented", 413, 415, model=Envelope[PriceFixResponse]))
def price_fix(
    body: PriceFixRequest, partner: PartnerDep, sandbox: SandboxDep, session: WriteSessionDep
) -> Response:
    """Price Fix (Get Prices): freeze the market for `price_fix_ttl` seconds behind a token."""
    now = sandbox.clock.now()
    fix = service.create_price_fix(
        session,
        sandbox.feed,
        sandbox.rng,
        partner_id=partner.partner_id,
        now=now,
        ttl=sandbox.settings.price_fix_ttl,
        currency=body.currency,
        customer_external_id=body.customer_external_id,
        total=body.total,
    )
    return ok(service.render_price_fix(fix, now))


@router.post(
    "/partner/pricefix/calculate",
    **route("sandbox-decision", 403, 413, 415, model=Envelope[CalculateResponse]),
)
def calculate(
    body: CalculateRequest, partner: PartnerDep, sandbox: SandboxDep, session: SessionDep
) -> Response:
    """Calculate Price: grams → total or total → grams at a price token's buy price (creates nothing)."""
    fix = service.load_token(session, partner.partner_id, body.price_token, sandbox.clock.now())
    return ok(service.calculate(fix, body.sku, body.amount, body.total))
