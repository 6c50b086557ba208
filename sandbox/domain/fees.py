"""Physical delivery fees: the one table the sandbox charges from and docs/ publishes.

sandbox decision (the partner publishes no fee list): a delivery costs a fee per gram, minting plus
shipping & insurance, that falls as the delivered grams rise. Fees are set in TRY; another currency
divides the TRY fee per gram by the sandbox FX rate (TRY per unit, `PriceFeed.fx`) and rounds it to
2 dp. The fee is the order's total: item `price` = fee per gram, item `total` = price × amount.
Only whole grams of gold (GAU), silver (GAG) and platinum (GPT) are delivered, up to each top tier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from pydantic_core import PydanticCustomError

from sandbox.core.money import money


@dataclass(frozen=True)
class FeeTier:
    """One row of the fee table: `sku` deliveries of `min_grams`–`max_grams` whole grams."""

    sku: str
    min_grams: int
    max_grams: int
    minting: Decimal  # TRY per gram
    shipping: Decimal  # shipping & insurance, TRY per gram

    @property
    def per_gram(self) -> Decimal:
        return self.minting + self.shipping


FEE_TABLE: tuple[FeeTier, ...] = (
    FeeTier("GAU", 1, 4, Decimal("60.00"), Decimal("35.00")),
    FeeTier("GAU", 5, 19, Decimal("45.00"), Decimal("20.00")),
    FeeTier("GAU", 20, 1_000, Decimal("35.00"), Decimal("12.00")),
    FeeTier("GAG", 1, 99, Decimal("2.50"), Decimal("1.50")),
    FeeTier("GAG", 100, 999, Decimal("1.20"), Decimal("0.60")),
    FeeTier("GAG", 1_000, 10_000, Decimal("0.80"), Decimal("0.30")),
    FeeTier("GPT", 1, 9, Decimal("55.00"), Decimal("30.00")),
    FeeTier("GPT", 10, 1_000, Decimal("40.00"), Decimal("15.00")),
)
FEE_CURRENCY = "TRY"
DELIVERABLE_SKUS: tuple[str, ...] = tuple(dict.fromkeys(tier.sku for tier in FEE_TABLE))
# The most grams one delivery of each sku may take: its top tier's upper bound.
LIMITS: dict[str, int] = {
    sku: max(tier.max_grams for tier in FEE_TABLE if tier.sku == sku) for sku in DELIVERABLE_SKUS
}


@dataclass(frozen=True)
class Fee:
    """What delivering `amount` grams of `sku` costs, in `currency`."""

    sku: str
    amount: Decimal
    currency: str
    tier: FeeTier
    per_gram: Decimal  # in `currency`, 2 dp: the order item's `price`

    @property
    def total(self) -> Decimal:
        """The order item's `total` and the order's: price × amount, 2 dp."""
        return money(self.per_gram * self.amount)


def deliverable_sku(sku: str) -> str:
    """Validator: only GAU, GAG and GPT are minted into bars and shipped."""
    if sku not in DELIVERABLE_SKUS:
        raise PydanticCustomError("not_deliverable", "not deliverable", {"skus": ", ".join(DELIVERABLE_SKUS)})
    return sku


def deliverable_amount(sku: str | None, amount: Decimal) -> Decimal:
    """Validator: whole grams (1.0 is 1), at most the sku's top tier; `sku` None skips the limit."""
    if amount != amount.to_integral_value():
        raise PydanticCustomError("whole_grams", "whole grams only")
    grams = Decimal(int(amount))
    if sku in LIMITS and grams > LIMITS[sku]:
        raise PydanticCustomError("delivery_limit", "above the delivery limit", {"limit": LIMITS[sku]})
    return grams


def tier_of(sku: str, amount: Decimal) -> FeeTier:
    for tier in FEE_TABLE:
        if tier.sku == sku and tier.min_grams <= amount <= tier.max_grams:
            return tier
    raise ValueError(f"no delivery fee tier for {amount} g of {sku}")


def quote(sku: str, amount: Decimal | int, currency: str, fx: Mapping[str, Decimal]) -> Fee:
    """The fee for an already validated sku and amount, converted at the sandbox FX rate."""
    grams = Decimal(amount)
    tier = tier_of(sku, grams)
    per_gram = money(tier.per_gram / fx[currency]) if currency != FEE_CURRENCY else tier.per_gram
    return Fee(sku=sku, amount=grams, currency=currency, tier=tier, per_gram=money(per_gram))
