"""Price rows in the shape of the price-fix response (api-3826800)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.catalog import PRODUCTS
from sandbox.partner.prices.feed import PriceFeed


def price_rows(feed: PriceFeed, at: datetime, currency: str) -> list[dict[str, Any]]:
    rows = []
    for product in PRODUCTS:
        quote = feed.quote(product.sku, at, currency)
        rows.append({
            "currency_id": product.currency_id, "product_id": product.product_id, "spot_price": quote.spot,
            "buy_price": quote.buy, "sell_price": quote.sell, "buy_amount": None, "sku": product.sku,
        })  # fmt: skip
    return rows


def product_prices(feed: PriceFeed, at: datetime, currency: str) -> dict[str, Any]:
    return {"prices": price_rows(feed, at, currency), "currency": currency}
