"""Balance wire models: the documented Customer Balance row (api-3717483) and our decisions for Partner
Balance, Update Customer Cash Balance, Stats and Customer Balance 7d Stats (menu entries only)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from sandbox.core import dates
from sandbox.wire.base import AsciiNumber, WireModel
from sandbox.wire.prices import Currency

MAX_CASH = 1_000_000_000


def _day(value: object) -> object:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return dates.parse_day(value)
        except ValueError:
            pass
    raise PydanticCustomError("invalid_day", "expected YYYY-MM-DD or DD-MM-YYYY")


# Request dates: `YYYY-MM-DD` or `DD-MM-YYYY` like every other date the sandbox reads.
Day = Annotated[
    date,
    BeforeValidator(_day),
    WithJsonSchema({"type": "string", "description": "YYYY-MM-DD or DD-MM-YYYY", "examples": ["2026-10-01"]}),
]
SignedMoney = Annotated[
    Decimal,
    AsciiNumber,
    Field(ge=-MAX_CASH, le=MAX_CASH, decimal_places=2, examples=[100.5, -25]),
]


class BalanceRow(WireModel):
    """documented: the 12 keys of a Customer Balance row, in this order (amounts are loose numbers)."""

    customer_external_id: str | None = Field(description="null on the partner's own (B2B) rows")
    name: str
    currency_id: int
    currency_symbol: str
    currency_code: str = Field(description="Currency code on cash rows, sku on metal rows")
    is_cash: bool
    balance: float
    blocked: float = Field(description="Held by confirmed open orders")
    real_balance: float = Field(description="balance − blocked − soft_blocked_amount")
    soft_blocked_amount: float = Field(description="Held by open orders awaiting confirmation")
    stats: dict[str, Any] = Field(description="sandbox decision: total_in, total_out, order_count")
    prices: dict[str, Any] | None = Field(description="sandbox decision: metal rows valued in TRY")


class CashUpdateRequest(WireModel):
    """sandbox decision: a signed cash movement; positive deposits, negative withdraws (never below zero)."""

    amount: SignedMoney
    currency_code: Currency = "TRY"
    description: str | None = Field(None, max_length=255)

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, value: Decimal) -> Decimal:
        if value == 0:
            raise PydanticCustomError("not_zero", "must not be zero")
        return value


class StatsRequest(WireModel):
    """sandbox decision: Completed orders whose `order_at` falls in [startDate, endDate] (Istanbul days)."""

    startDate: Day
    endDate: Day
    customer_external_id: str | None = Field(None, min_length=1, max_length=40)


class StatsItem(WireModel):
    sku: str
    currency_code: str
    bought_amount: float = Field(description="Grams bought")
    bought_total: float = Field(description="Money paid for them, in currency_code")
    sold_amount: float = Field(description="Grams sold")
    sold_total: float = Field(description="Money received for them, in currency_code")
    delivered_amount: float = Field(description="Grams delivered as physical metal")
    order_count: int


class StatsResponse(WireModel):
    start_date: str = Field(description="YYYY-MM-DD")
    end_date: str = Field(description="YYYY-MM-DD")
    customer_external_id: str | None
    items: list[StatsItem]


class DailyPoint(WireModel):
    date: str = Field(description="YYYY-MM-DD, Europe/Istanbul")
    balance: float = Field(description="The wallet's balance at the end of that day")


class WalletHistory(WireModel):
    currency_code: str
    is_cash: bool
    points: list[DailyPoint] = Field(description="Seven days ending today, oldest first")
