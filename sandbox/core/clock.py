"""The one injectable clock.

The business clock (order dates, price feed, price-fix expiry) and the nonce clock (Digest nonce TTL,
which stays on real time) are separate instances of the same class, so tests can move either one
without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

ISTANBUL = ZoneInfo("Europe/Istanbul")


# The business clock's range. Before 1970 Istanbul is on local mean time (`+01:55:52`, not an RFC 3339
# offset) and timestamps go negative; near year 9999 `datetime` overflows, which made every later
# clock read (prices, /_sandbox/state, expiry) a 500 until the clock was reset.
CLOCK_MIN = datetime(1970, 1, 1, tzinfo=UTC)
CLOCK_MAX = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


class Clock:
    """Real time by default; can be frozen at an instant or shifted by an offset."""

    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = _utc(frozen_at) if frozen_at else None
        self._offset = timedelta()

    def now(self) -> datetime:
        """Aware UTC datetime."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def timestamp(self) -> float:
        with self._lock:
            if self._frozen is not None:
                return self._frozen.timestamp()
            return time.time() + self._offset.total_seconds()

    @staticmethod
    def real_now() -> datetime:
        """Wall-clock time, whatever this clock's mode (where `mode=real` would put it)."""
        return datetime.now(UTC)

    def offset_seconds(self) -> float:
        """How far this clock is from real time (positive: ahead)."""
        return round(self.timestamp() - time.time(), 3) + 0.0

    def freeze(self, at: datetime | None = None) -> None:
        instant = _utc(at) if at else self.now()
        with self._lock:
            self._frozen = instant

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen = None
            self._offset = timedelta()

    @property
    def mode(self) -> str:
        return "frozen" if self._frozen is not None else "real"


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("clock instants must be timezone-aware")
    return value.astimezone(UTC)
