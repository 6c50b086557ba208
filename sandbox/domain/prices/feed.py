"""The sandbox's market: a deterministic price per SKU and minute, driven by the seed and the clock.

sandbox decision: the partner's live feed is not reachable offline, so each spot price is a bounded
walk around a realistic TRY level: a sum of slow waves (an hour, a day, a week, a month) with
seeded phases, plus a per-minute jitter drawn from a hash of (seed, sku, minute). Any instant can be
priced in O(1), the same seed and clock always give the same prices, and no price leaves ±4.5 % of
its centre. Buy and sell prices add the partner's spread to spot; other currencies divide by fixed,
seeded FX rates.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sandbox.catalog import FX_BASE, PRODUCTS_BY_SKU
from sandbox.core.ids import Ids
from sandbox.core.money import money

# (period in seconds, relative amplitude)
_WAVES = ((3_600, 0.002), (86_400, 0.006), (7 * 86_400, 0.012), (30 * 86_400, 0.02))
_JITTER = 0.005


@dataclass(frozen=True)
class Quote:
    sku: str
    currency: str
    spot: Decimal
    buy: Decimal
    sell: Decimal


class PriceFeed:
    def __init__(self, seed: int, buy_spread: Decimal, sell_spread: Decimal) -> None:
        self.seed = seed
        self.buy_spread = buy_spread
        self.sell_spread = sell_spread
        rng = Ids(seed).stream("prices")
        self._phases = {sku: tuple(rng.uniform(0, 2 * math.pi) for _ in _WAVES) for sku in PRODUCTS_BY_SKU}
        self.fx = {
            code: rate if code == "TRY" else money(rate * Decimal(str(round(rng.uniform(0.99, 1.01), 4))))
            for code, rate in FX_BASE.items()
        }

    def spot_try(self, sku: str, at: datetime) -> Decimal:
        """Spot price in TRY per gram at the minute containing `at`."""
        minute = math.floor(at.timestamp() / 60)
        seconds = minute * 60
        wave = sum(
            amplitude * math.sin(2 * math.pi * seconds / period + phase)
            for (period, amplitude), phase in zip(_WAVES, self._phases[sku], strict=True)
        )
        digest = hashlib.sha256(f"{self.seed}:{sku}:{minute}".encode()).digest()
        jitter = (int.from_bytes(digest[:8], "big") / 2**64 * 2 - 1) * _JITTER
        factor = Decimal(str(round(1 + wave + jitter, 8)))
        return money(PRODUCTS_BY_SKU[sku].base_price_try * factor)

    def quote(self, sku: str, at: datetime, currency: str = "TRY") -> Quote:
        rate = self.fx[currency]
        spot = self.spot_try(sku, at)
        return Quote(
            sku=sku,
            currency=currency,
            spot=money(spot / rate),
            buy=money(spot * (1 + self.buy_spread) / rate),
            sell=money(spot * (1 - self.sell_spread) / rate),
        )
