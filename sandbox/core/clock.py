"""The one injectable clock.

The business clock (order dates, price feed, price-fix expiry) and the nonce clock (Digest nonce TTL,
which stays on real time) are separate instances of the same class, so tests can move either one
without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

ISTANBUL = ZoneInfo("Europe/Istanbul")


# The business clock's range. Before 1970 Istanbul is on local mean time (`+01:55:52`, not an RFC 3339
# offset) and timestamps go negative; near year 9999 `datetime` overflows, which made every later
# clock read (prices, /_sandbox/state, expiry) a 500 until the clock was reset.
CLOCK_MIN = datetime(1970, 1, 1, tzinfo=UTC)
CLOCK_MAX = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


# A clock's state: the instant it is frozen at (None: it runs), and how far it runs ahead of real time.
State = tuple[datetime | None, timedelta]
REAL: State = (None, timedelta())


class Clock:
    """Real time by default; can be frozen at an instant or shifted by an offset.

    A clock with a `keeper` (the Sandbox's business clock: sandbox/runtime/shared.py) is one clock for
    every process serving the database: each move is made by the keeper on the shared state, as one
    transaction from its latest value, and the result becomes this copy's; `adopt` takes in moves
    made elsewhere."""

    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._state: State = (_utc(frozen_at) if frozen_at else None, timedelta())
        self.keeper: Callable[[Callable[[State], State]], State] | None = None

    def now(self) -> datetime:
        """Aware UTC datetime."""
        return _now(self._state)

    def timestamp(self) -> float:
        frozen, offset = self._state
        if frozen is not None:
            return frozen.timestamp()
        return time.time() + offset.total_seconds()

    @staticmethod
    def real_now() -> datetime:
        """Wall-clock time, whatever this clock's mode (where `mode=real` would put it)."""
        return datetime.now(UTC)

    def offset_seconds(self) -> float:
        """How far this clock is from real time (positive: ahead)."""
        return round(self.timestamp() - time.time(), 3) + 0.0

    def freeze(self, at: datetime | None = None) -> None:
        instant = _utc(at) if at else None
        self.move(lambda state: (instant or _now(state), state[1]))

    def advance(self, seconds: float) -> None:
        step = timedelta(seconds=seconds)
        self.move(lambda state: (state[0] + step, state[1]) if state[0] else (None, state[1] + step))

    def unfreeze(self) -> None:
        self.move(lambda _state: REAL)

    def move(self, change: Callable[[State], State]) -> None:
        """Apply `change` to the state: here, or through the keeper to the shared state."""
        if self.keeper is not None:
            self.adopt(self.keeper(change))
            return
        with self._lock:
            self._state = change(self._state)

    def adopt(self, state: State) -> None:
        self._state = state

    @property
    def state(self) -> State:
        return self._state

    @property
    def mode(self) -> str:
        return "frozen" if self._state[0] is not None else "real"


def _now(state: State) -> datetime:
    frozen, offset = state
    return frozen if frozen is not None else datetime.now(UTC) + offset


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("clock instants must be timezone-aware")
    return value.astimezone(UTC)
