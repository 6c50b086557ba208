"""Price wire models (price-fix response rows, api-3826800)."""

from __future__ import annotations

from typing import Literal

from sandbox.partner.schemas import WireModel


class PriceRow(WireModel):
    currency_id: int
    product_id: int
    spot_price: float
    buy_price: float
    sell_price: float
    buy_amount: float | None
    sku: str


class ProductPrices(WireModel):
    prices: list[PriceRow]
    currency: Literal["TRY", "USD", "EUR", "GBP"]
