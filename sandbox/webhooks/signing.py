"""Webhook signatures (sandbox decision, docs/design/contract.md §3), in the style of Stripe's.

`X-Minted-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. Receivers
recompute the HMAC over the exact bytes they received, compare in constant time, and refuse a
timestamp older than their tolerance (replays).
"""

from __future__ import annotations

import hashlib
import hmac

from sandbox.core.clock import Clock

HEADER = "X-Minted-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    payload = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for `body` sent at `timestamp`."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify_signature(
    secret: str, header: str, body: bytes, tolerance: float = 300, now: float | None = None
) -> bool:
    """True when `header` signs `body` with `secret` and is at most `tolerance` seconds old.

    For integrators' receivers: `verify_signature(secret, request.headers["X-Minted-Signature"],
    raw_body)`. Several `v1=` values (a rotated secret) are accepted if any matches.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = Clock().timestamp() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
