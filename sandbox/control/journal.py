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


class Journal:
    def __init__(self, capacity: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._next_id = 1

    def record(self, at: datetime, **fields: Any) -> JournalEntry:
        with self._lock:
            entry = JournalEntry(id=self._next_id, at=at.isoformat(timespec="milliseconds"), **fields)
            self._next_id += 1
            self._entries.append(entry)
        return entry

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
            entry
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
