"""Prices: Product Prices, Price Fix, Calculate Price."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from sandbox.cached_reads import cacheable
from sandbox.catalog import CURRENCIES
from sandbox.domain.prices import fixes
from sandbox.partner.deps import PartnerDep, SandboxDep
from sandbox.partner.openapi import route
from sandbox.responses import ok
from sandbox.wire.base import Envelope
from sandbox.wire.prices import (
    CalculateRequest,
    CalculateResponse,
    PriceFixRequest,
    PriceFixResponse,
    ProductPrices,
)

router = APIRouter(tags=["Prices"])


@router.get("/partner/prices", **route("sandbox-decision", model=Envelope[ProductPrices]))
@cacheable(per_minute=True)
def get_prices(
    partner: PartnerDep,
    sandbox: SandboxDep,
    # Literal of a tuple: pydantic expands it; mypy wants the values spelled out.
    currency: Annotated[Literal[CURRENCIES], Query()] = "TRY",  # type: ignore[valid-type]
) -> Response:
    """Product Prices: spot, buy and sell price per SKU (the `prices[]` rows of a price fix)."""
    return ok(fixes.product_prices(sandbox.feed, sandbox.clock.now(), currency))


@router.post("/partner/pricefix", **route("documented", 413, 415, model=Envelope[PriceFixResponse]))
def price_fix(body: PriceFixRequest, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Price Fix (Get Prices): freeze the market for `price_fix_ttl` seconds behind a token."""
    with sandbox.store.session(write=True) as session:
        now = sandbox.clock.now()
        fix = fixes.create_price_fix(
            session,
            sandbox.feed,
            sandbox.rng_in(session),
            partner_id=partner.partner_id,
            now=now,
            ttl=sandbox.settings.price_fix_ttl,
            currency=body.currency,
            customer_external_id=body.customer_external_id,
            total=body.total,
        )
        return ok(fixes.render_price_fix(fix, now))


@router.post(
    "/partner/pricefix/calculate",
    **route("sandbox-decision", 403, 413, 415, model=Envelope[CalculateResponse]),
)
def calculate(body: CalculateRequest, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Calculate Price: grams → total or total → grams at a price token's buy price (creates nothing)."""
    with sandbox.store.session() as session:
        fix = fixes.load_token(session, partner.partner_id, body.price_token, sandbox.clock.now())
        return ok(fixes.calculate(fix, body.sku, body.amount, body.total))
