"""Decimal rules: money is 2 dp, grams up to 4 dp, always rounded half-up like the partner's totals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MILLIGRAM_TENTH = Decimal("0.0001")


def money(value: Decimal | int | str) -> Decimal:
    """Round to the partner's 2 dp (`total = price × amount`: 1889.73 × 0.1 → 188.97)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def grams(value: Decimal | int | str) -> Decimal:
    """Round to 4 dp, the finest grams the partner shows (`buy_amount`)."""
    return Decimal(value).quantize(MILLIGRAM_TENTH, rounding=ROUND_HALF_UP)


def to_json_number(value: Decimal) -> int | float:
    """Render as the shortest JSON number: 0 → 0, 0.10 → 0.1, 188.970 → 188.97."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def parse_decimal(value: object) -> Decimal | None:
    """A finite Decimal from user input, or None (NaN, Infinity and garbage are not amounts)."""
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None
