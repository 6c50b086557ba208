"""The partner's date formats, which differ per endpoint on purpose (docs/design/contract.md §0).

documented: Get Order shows `order_at` as `dd-mm-YYYY HH:MM`; buy responses and customer `created_at`
use `YYYY-mm-dd HH:MM:SS`; price-fix `expires_at` and Delivery Create use ISO 8601 with `+03:00`.
All in Europe/Istanbul.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sandbox.core.clock import ISTANBUL


def order_at(moment: datetime) -> str:
    return moment.astimezone(ISTANBUL).strftime("%d-%m-%Y %H:%M")


def sql_style(moment: datetime) -> str:
    return moment.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M:%S")


def iso(moment: datetime) -> str:
    return moment.astimezone(ISTANBUL).isoformat(timespec="seconds")


FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def parse_day(text: str) -> date:
    """Request dates: `YYYY-MM-DD` or `DD-MM-YYYY` (documented for birthdate; we accept both everywhere),
    between 1900 and 2999 so every day converts to UTC and back."""
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if FIRST_DAY <= day <= LAST_DAY:
            return day
        break
    raise ValueError("expected YYYY-MM-DD or DD-MM-YYYY between 1900 and 2999")


def day_start(day: date) -> datetime:
    """Midnight of `day` in Istanbul, as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=ISTANBUL)


def day_end(day: date) -> datetime:
    return day_start(day + timedelta(days=1))


def parse_order_at(text: str) -> datetime:
    """Inverse of `order_at`: `dd-mm-YYYY HH:MM` in Istanbul time."""
    return datetime.strptime(text, "%d-%m-%Y %H:%M").replace(tzinfo=ISTANBUL)
