"""The request journal: what every partner call sent and got back, in a bounded ring.

Per process (documented in README): with several workers each keeps its own ring. Authorization
values are redacted before anything is stored; bodies are kept as text up to `BODY_LIMIT` bytes.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

BODY_LIMIT = 65_536
REDACTED = "[redacted]"
_SECRET_HEADERS = {"authorization", "cookie", "x-sandbox-control-token"}


@dataclass(frozen=True)
class JournalEntry:
    id: int
    at: str
    method: str
    path: str
    query: str
    partner: str | None
    status: int
    latency_ms: float
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def redact(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Header name → value, secrets replaced; repeated headers joined with ", "."""
    result: dict[str, str] = {}
    for name, value in headers:
        shown = REDACTED if name.lower() in _SECRET_HEADERS else value
        result[name] = f"{result[name]}, {shown}" if name in result else shown
    return result


def body_text(body: bytes) -> str | None:
    if not body:
        return None
    text = body[:BODY_LIMIT].decode("utf-8", errors="replace")
    return text + ("…[truncated]" if len(body) > BODY_LIMIT else "")


class _Raw:
    """What the journal keeps per request: the ASGI bytes as they passed, decoded only when read.

    Decoding and redacting every header and body on the hot path cost more than the read itself; a
    ring of 1000 entries is read far less often than it is written. `entry()` builds (once) the same
    `JournalEntry` that recording decoded values used to give."""

    __slots__ = ("_entry", "_fields", "at", "id", "method", "partner", "path", "status")

    def __init__(
        self,
        id: int,
        at: datetime,
        method: str,
        path: str,
        partner: str | None,
        status: int,
        fields: tuple[Any, ...],
    ) -> None:
        self.id, self.at, self.method, self.path, self.partner, self.status = (
            id,
            at,
            method,
            path,
            partner,
            status,
        )
        self._fields = fields
        self._entry: JournalEntry | None = None

    def entry(self) -> JournalEntry:
        if self._entry is None:
            fields = self._fields
            if not fields:  # another thread built it meanwhile (it sets `_entry` before clearing these)
                return self._entry  # type: ignore[return-value]
            query, seconds, request_headers, request_body, response_headers, response_body = fields
            self._entry = JournalEntry(
                id=self.id,
                at=self.at.isoformat(timespec="milliseconds"),
                method=self.method,
                path=self.path,
                query=query.decode("latin-1") if isinstance(query, bytes) else query,
                partner=self.partner,
                status=self.status,
                latency_ms=round(seconds * 1000, 3),
                request_headers=redact(_unpacked(request_headers)),
                request_body=body_text(request_body) if request_body is not None else None,
                response_headers=redact(_unpacked(response_headers)),
                response_body=body_text(response_body) if response_body is not None else None,
            )
            self._fields = ()
        return self._entry


def _packed(headers: Any) -> bytes:
    """ASGI header pairs as one `name:value` line each: one bytes object where a list of tuples held
    dozens of small ones. Freeing those a thousand requests later, long gone from the CPU's caches,
    cost about 20 µs per request under load. Names are tokens (no ':') and h11 refuses CR and LF in
    values both ways, so the lines split back exactly."""
    return b"\n".join([name + b":" + value for name, value in headers])


def _unpacked(packed: bytes) -> list[tuple[str, str]]:
    text = packed.decode("latin-1")
    return [tuple(line.split(":", 1)) for line in text.split("\n")] if text else []  # type: ignore[misc]


def _joined(chunks: list[bytes] | None) -> bytes | None:
    if chunks is None:
        return None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class Journal:
    def __init__(self, capacity: int) -> None:
        self._entries: deque[_Raw] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._next_id = 1

    def record(self, at: datetime, **fields: Any) -> JournalEntry:
        """Record decoded values (the `JournalEntry` fields); the middleware uses `record_raw`."""
        with self._lock:
            entry = JournalEntry(id=self._next_id, at=at.isoformat(timespec="milliseconds"), **fields)
            raw = _Raw(entry.id, at, entry.method, entry.path, entry.partner, entry.status, ())
            raw._entry = entry
            self._next_id += 1
            self._entries.append(raw)
        return entry

    def record_raw(
        self,
        at: datetime,
        *,
        method: str,
        path: str,
        query: bytes | str,
        partner: str | None,
        status: int,
        seconds: float,
        request_headers: Any,
        request_body: list[bytes] | None,
        response_headers: Any,
        response_body: list[bytes] | None,
    ) -> _Raw:
        """Headers as the ASGI (bytes, bytes) pairs and bodies as their chunks; kept packed, decoded
        when the journal is read."""
        fields = (
            query,
            seconds,
            _packed(request_headers),
            _joined(request_body),
            _packed(response_headers),
            _joined(response_body),
        )
        with self._lock:
            raw = _Raw(self._next_id, at, method, path, partner, status, fields)
            self._next_id += 1
            self._entries.append(raw)
        return raw

    def query(
        self,
        *,
        path: str | None = None,
        method: str | None = None,
        status: int | None = None,
        since: int | None = None,
        partner: str | None = None,
    ) -> list[JournalEntry]:
        """Newest last. `path` matches a prefix, `since` an entry id (entries after it)."""
        with self._lock:
            entries = list(self._entries)
        return [
            entry.entry()
            for entry in entries
            if (path is None or entry.path.startswith(path))
            and (method is None or entry.method == method.upper())
            and (status is None or entry.status == status)
            and (since is None or entry.id > since)
            and (partner is None or entry.partner == partner)
        ]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
        return count
