"""Product Prices: the market as the sandbox's price feed sees it now."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from sandbox.catalog import CURRENCIES
from sandbox.core.envelope import ok
from sandbox.partner.deps import PartnerDep, SandboxDep
from sandbox.partner.openapi import route
from sandbox.partner.prices import service
from sandbox.partner.prices.schemas import ProductPrices
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
