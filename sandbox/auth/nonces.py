"""Stateless HMAC nonces and the per-nonce nc replay window (docs/design/digest.md §4).

Time and randomness are injected: the nonce clock is separate from the business clock, so tests move
it past the TTL without sleeping and freezing business time never makes nonces immortal (§4.1).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

_NONCE = re.compile(r"[0-9a-f]{56}")
CLOCK_SKEW = 5.0  # a nonce minted by another worker whose clock runs slightly ahead is still ours
# How far above the lowest nc not yet seen a nonce's answers may run (§4.2). Clients that share one
# nonce over many connections (wrk, async httpx) have their requests checked out of send order, by up
# to about their requests in flight; 4,096 is far beyond any of them, and at most 512 bytes a nonce.
WINDOW = 4096


@dataclass(frozen=True)
class NonceCheck:
    valid: bool
    expired: bool = False
    issued_at: int = 0


class NonceManager:
    """Mints and checks `"%08x" time + 16 random hex + 32 hex HMAC` nonces: no store, no cookies (§4.1)."""

    def __init__(
        self,
        secret: bytes,
        realm: str,
        ttl: float,
        clock: Callable[[], float],
        random_hex: Callable[[int], str],
    ) -> None:
        self.realm = realm
        self.ttl = ttl
        self.clock = clock
        self._secret = secret
        self._random_hex = random_hex

    def _mac(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()[:32]

    def mint(self) -> str:
        # Hex only: naive client parsers split the challenge on "=" and "," (§1.1).
        body = f"{int(self.clock()):08x}{self._random_hex(16).lower()}"
        return body + self._mac(f"{body}:{self.realm}")

    @property
    def opaque(self) -> str:
        return self._mac(f"opaque:{self.realm}")

    def check(self, nonce: str) -> NonceCheck:
        if not _NONCE.fullmatch(nonce) or not hmac.compare_digest(
            nonce[24:], self._mac(f"{nonce[:24]}:{self.realm}")
        ):
            return NonceCheck(valid=False)
        issued_at = int(nonce[:8], 16)
        age = self.clock() - issued_at
        if age < -CLOCK_SKEW:
            return NonceCheck(valid=False)
        return NonceCheck(valid=True, expired=age > self.ttl, issued_at=issued_at)


class _Window:
    """The nc values of one nonce: all up to `floor` are used (seen, or given up when the window had to
    move past them); bit i of `seen` is nc floor + 1 + i. In-order answers keep `seen` at 0."""

    __slots__ = ("floor", "seen")

    def __init__(self) -> None:
        self.floor = 0
        self.seen = 0

    def accept(self, nc: int) -> bool:
        offset = nc - self.floor - 1
        if offset < 0:
            return False
        if offset >= WINDOW:  # slide: the values it leaves behind unseen stay refused
            self.seen >>= offset - WINDOW + 1
            self.floor += offset - WINDOW + 1
            offset = WINDOW - 1
        elif self.seen >> offset & 1:
            return False
        self.seen |= 1 << offset
        used = (self.seen ^ (self.seen + 1)).bit_length() - 1  # the run of seen values above the floor
        self.seen >>= used
        self.floor += used
        return True


class NcWindow:
    """Replay check per nonce, kept only for nonces used with a valid response (§4.2). Per process."""

    def __init__(self, ttl: float, clock: Callable[[], float], capacity: int = 100_000) -> None:
        self._ttl = ttl
        self._clock = clock
        self._capacity = capacity
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self._by_issue: list[tuple[int, str]] = []  # heap: purge and evict in issue order
        # Everything issued at or before the floor was evicted or expired; treating it as expired
        # keeps eviction from re-opening replays (§4.2 "hard cap").
        self._floor: tuple[int, str] = (-1, "")

    def __len__(self) -> int:
        return len(self._windows)

    def accept(self, nonce: str, nc: int, issued_at: int) -> bool:
        with self._lock:
            now = self._clock()
            while self._by_issue and now - self._by_issue[0][0] > self._ttl:
                self._drop_oldest()
            key = (issued_at, nonce)
            if nc < 1 or now - issued_at > self._ttl or key <= self._floor:
                return False
            window = self._windows.get(nonce)
            if window is None:
                if len(self._windows) >= self._capacity:
                    self._drop_oldest()
                window = self._windows[nonce] = _Window()
                heapq.heappush(self._by_issue, key)
            return window.accept(nc)

    def _drop_oldest(self) -> None:
        key = heapq.heappop(self._by_issue)
        del self._windows[key[1]]
        self._floor = max(self._floor, key)
