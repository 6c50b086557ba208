"""Price wire models (price-fix request and response, api-3826800; calculate is a sandbox decision)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from sandbox.wire.base import AsciiNumber, BlankIsNone, WireModel

Currency = Literal["TRY", "USD", "EUR", "GBP"]
Sku = Literal["GAU", "GAG", "BGAU", "BGAG", "GPT", "GPD"]
Money = Annotated[Decimal, AsciiNumber, Field(gt=0, le=1_000_000_000, decimal_places=2, examples=[10000])]
Grams = Annotated[Decimal, AsciiNumber, Field(gt=0, le=1_000_000, decimal_places=4, examples=[0.1])]


class PriceRow(WireModel):
    currency_id: int
    product_id: int
    spot_price: float
    buy_price: float
    sell_price: float
    buy_amount: float | None = Field(description="From Total Price: grams `total` buys at buy_price (4 dp)")
    sku: str


class ProductPrices(WireModel):
    prices: list[PriceRow]
    currency: Currency


class PriceFixRequest(WireModel):
    """documented: `type` (digital), `customer_external_id`, `currency`; `total` makes it From Total Price."""

    type: Literal["digital"]
    # documented: the From Total Price page's curl sample sends it empty (its variable unset): no customer.
    customer_external_id: Annotated[str | None, BlankIsNone] = Field(None, min_length=1, max_length=40)
    currency: Currency = "TRY"
    total: Money | None = None


class PriceFixResponse(WireModel):
    token: str = Field(description="32 alphanumerics")
    total: float | None
    expires_at: str = Field(description="ISO 8601 with +03:00")
    expire_ttl: int = Field(description="Seconds left")
    is_total_price: bool
    prices: list[PriceRow]
    currency: Currency


class CalculateRequest(WireModel):
    price_token: str = Field(min_length=1, max_length=64)
    sku: Sku
    amount: Grams | None = None
    total: Money | None = None

    @model_validator(mode="after")
    def _one_of_amount_or_total(self) -> CalculateRequest:
        if (self.amount is None) == (self.total is None):
            raise PydanticCustomError("amount_or_total", "exactly one of amount or total is required")
        return self


class CalculateResponse(WireModel):
    sku: Sku
    amount: float
    price: float = Field(description="Buy price per gram fixed by the token")
    total: float
