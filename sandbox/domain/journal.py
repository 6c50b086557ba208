"""The request journal: what every partner call sent and got back, in a bounded ring.

One ring per database, shared by every process serving it (sandbox/domain/journal_rings.py).
Authorization values are redacted when the journal is read; card numbers and CVVs in bodies before
anything is kept (`redacted`); bodies are kept as text up to `BODY_LIMIT` bytes.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sandbox.domain.cards import luhn_ok, mask
from sandbox.domain.journal_rings import FileRing, MemoryRing, Row, ServerRing, SharedRing
from sandbox.store.db import Store, parsed_safe

BODY_LIMIT = 65_536
REDACTED = "[redacted]"
TRUNCATED = "…[truncated]"
_SECRET_HEADERS = {"authorization", "cookie", "x-sandbox-control-token"}
_SECRET_NAMES = {name.encode() for name in _SECRET_HEADERS}  # as ASGI gives them: lower case


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


def body_text(body: bytes | str) -> str | None:
    """The text shown for a kept body; a `str` is a body `redacted` already made text."""
    if not body:
        return None
    if isinstance(body, str):
        return body
    text = body[:BODY_LIMIT].decode("utf-8", errors="replace")
    return text + (TRUNCATED if len(body) > BODY_LIMIT else "")


def _packed(headers: Any) -> bytes:
    """ASGI header pairs as one `name:value` line each: one bytes object where a list of tuples held
    dozens of small ones. Freeing those a thousand requests later, long gone from the CPU's caches,
    cost about 20 µs per request under load. Names are tokens (no ':') and h11 and httptools refuse CR
    and LF in values both ways, so the lines split back exactly. A secret's value is never kept (the
    journal file is on disk): `redact` shows it as `[redacted]` by its name."""
    return b"\n".join([name + b":" + (b"" if name in _SECRET_NAMES else value) for name, value in headers])


def _unpacked(packed: bytes) -> list[tuple[str, str]]:
    text = packed.decode("latin-1")
    lines = text.split("\n") if text else []
    return [(name, value) for name, _, value in (line.partition(":") for line in lines)]


def _joined(chunks: list[bytes] | None) -> bytes | None:
    if chunks is None:
        return None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class Journal:
    """The request journal of one store's database: one ring for every process serving it.

    A file database keeps it in a file of its own beside it, a PostgreSQL store in tables of its
    database, an in-memory store in memory (sandbox/domain/journal_rings.py); this is the one place
    that chooses."""

    def __init__(self, store: Store, capacity: int) -> None:
        path = store.path
        self._ring: MemoryRing | SharedRing
        if capacity > 0 and store.dialect == "postgresql":
            self._ring = ServerRing(store.conninfo, capacity, parsed_safe(store.url))
        elif capacity > 0 and path is not None:  # journal_size=0 records nothing: no file either
            self._ring = FileRing(path.with_name(f"{path.stem}.journal{path.suffix}"), capacity)
        else:
            self._ring = MemoryRing(capacity)

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
    ) -> None:
        """Headers as the ASGI (bytes, bytes) pairs and bodies as their chunks; kept packed, decoded
        when the journal is read. Bodies that may hold card data are redacted now, not when read.

        Decoding and redacting every header and body on the hot path cost more than the read itself; a
        ring of 1000 entries is read far less often than it is written. Only card data cannot wait: a
        body holding some is kept as its redacted text."""
        sent, answered = _joined(request_body), _joined(response_body)
        request: bytes | str | None = sent
        response: bytes | str | None = answered
        if sent and may_hold_card(sent):
            shown = redacted(sent)
            if shown is not sent:  # card data: the answer too, which can only echo what was sent
                request, response = shown, answered and redacted(answered)
        # Real time, for a clear by another process (journal_rings.py); `at` is on the sandbox clock.
        recorded = time.time_ns()
        headers, answer_headers = _packed(request_headers), _packed(response_headers)
        self._ring.keep(
            (recorded, at, method, path, partner, status, query, seconds, headers, request, answer_headers,
             response)
        )  # fmt: skip

    def query(
        self,
        *,
        path: str | None = None,
        method: str | None = None,
        status: int | None = None,
        since: int | None = None,
        partner: str | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """Newest last. `path` matches a prefix, `since` an entry id (entries after it). `limit`: the
        oldest that many after `since`, so polling with the last id seen never skips an entry; without
        `since` the newest that many. Raises `store_unavailable` when the journal file fails."""
        rows = self._ring.select(
            path=path,
            method=None if method is None else method.upper(),
            status=status,
            since=since,
            partner=partner,
            limit=limit,
        )
        return [_entry(row) for row in rows]

    def clear(self) -> int:
        """Empty the journal (for every process serving the database); how many entries it held. Ids
        keep counting up. Raises `store_unavailable` when the journal file fails."""
        return self._ring.clear()

    def close(self) -> None:
        """Write what this process has not written yet (shutdown)."""
        self._ring.close()


def _entry(row: Row) -> JournalEntry:
    (id, at, method, path, partner, status, query, seconds, request_headers, request_body, response_headers,
     response_body) = row  # fmt: skip
    return JournalEntry(
        id=id,
        at=at,
        method=method,
        path=path,
        query=query.decode("latin-1") if isinstance(query, bytes) else query,
        partner=partner,
        status=status,
        latency_ms=round(seconds * 1000, 3),
        request_headers=redact(_unpacked(request_headers)),
        request_body=body_text(request_body) if request_body is not None else None,
        response_headers=redact(_unpacked(response_headers)),
        response_body=body_text(response_body) if response_body is not None else None,
    )


# -- card data ---------------------------------------------------------------------------------------
# The manual promises the sandbox never keeps or shows a full card number or a CVV, and Card Payment
# Buy by card number and Card Storage Add send both. So a request body that may hold card data, and
# the answer to it, are redacted before the entry is kept: what was never kept cannot leak through
# /_sandbox/requests or the dashboard. In a JSON object the card fields are redacted by name wherever
# they are nested; a body that is not one (malformed, cut at BODY_LIMIT, a form, an array) also by
# name as far as it can be read. Any Luhn-valid run of 13–19 digits is masked wherever it stands.

CVV_SHOWN = "***"
_FIELD_KINDS = {
    **dict.fromkeys(
        ("card_number", "card_no", "card_num", "card_pan", "pan", "cc_number", "credit_card_number"), "number"
    ),
    # A BIN (or a bare `number`) holds a whole card number only by mistake: masked from 13 digits on.
    **dict.fromkeys(("bin", "card_bin", "number"), "long"),
    **dict.fromkeys(
        ("cvv", "cvv2", "cvc", "cvc2", "cvn", "card_cvv", "card_cvc", "card_code", "security_code"), "cvv"
    ),
}
_KINDS = {name.replace("_", ""): kind for name, kind in _FIELD_KINDS.items()}
# Names in the lower-cased body, `_` also written as `-`, a space or nothing; the longest first.
_NAMES = re.compile(
    b"|".join(n.encode().replace(b"_", rb"[-_ ]?") for n in sorted(_FIELD_KINDS, key=len, reverse=True))
)
_AFTER_NAME = re.compile(rb"""(["']?)\s*[:=]\s*""")
# What lets a body skip the scan: no card field's name in the lower-cased body (`\u00..`: letters or
# digits written as escapes) and no card-number-like run.
_HINTS = re.compile(rb"card|cc|cv|pan|bin|number|securi|\\u00[2-7]")
_RUN = re.compile(rb"[0-9](?<![0-9A-Za-z][0-9])(?:[ -]?[0-9]){12,18}(?![0-9A-Za-z])")
_DOUBLE = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*("?)')  # group 1 is empty when the text ends first
_SINGLE = re.compile(rb"'[^'\\]*(?:\\.[^'\\]*)*('?)")
_BARE = re.compile(rb"""[^\s,;&}\]<>"']*""")
_PLAIN = re.compile(rb"""[^"'{}\[\]]+""")
_ASCII_ESCAPE = re.compile(rb"\\u00(2[0d]|3[0-9]|[46][1-9a-f]|[57][0-9a]|5f)", re.IGNORECASE)


def may_hold_card(body: bytes) -> bool:
    """Cheap, for every request body: only one that may name a card field or hold a card number is
    scanned, and only then its answer."""
    return _HINTS.search(body.lower()) is not None or _RUN.search(body) is not None


def redacted(body: bytes) -> bytes | str:
    """`body` itself when it holds no card data, else the text the journal shows, redacted."""
    cut = len(body) > BODY_LIMIT
    shown = _redact(body[:BODY_LIMIT] if cut else body, cut)
    return body if shown is None else shown.decode("utf-8", errors="replace") + (TRUNCATED if cut else "")


def _redact(body: bytes, cut: bool) -> bytes | None:
    """Card numbers masked as the sandbox masks them (`404809******7528`), CVVs as `***`; None when
    there are none. `cut`: the body is the start of a longer one, so a value running to its end is
    part of one."""
    try:
        document = None if cut else json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        if isinstance(document, dict):
            expected = _redact_value(document, None)
            if expected == document:
                return None
            # The scan by name keeps the body as sent; the parsed document is the authority.
            shown = _RUN.sub(lambda run: _run_shown(run, -1), _redact_fields(body, cut=False))
            return shown if _parses_to(shown, expected) else json.dumps(expected, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than a walk goes: read as text
        pass
    if b"\\u" in body:  # names and digits written as escapes, as a JSON parser would read them
        body = _ASCII_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), body)
    shown = _redact_fields(body, cut)
    end = len(shown) if cut else -1
    shown = _RUN.sub(lambda run: _run_shown(run, end), shown)
    return None if shown == body else shown


def _no_constant(name: str) -> None:
    raise ValueError(name)  # NaN and Infinity are not JSON


def _parses_to(text: bytes, expected: Any) -> bool:
    try:
        return bool(json.loads(text) == expected)
    except ValueError:
        return False


def _kind(name: str) -> str | None:
    return _KINDS.get(name.lower().replace("_", "").replace("-", "").replace(" ", ""))


def _redact_value(value: Any, kind: str | None) -> Any:
    """A parsed document with every card field's value redacted."""
    if kind is not None and value is not None and not isinstance(value, bool):
        if kind == "cvv":
            return CVV_SHOWN
        if isinstance(value, dict | list):
            return REDACTED
        text = value if isinstance(value, str) else json.dumps(value)
        masked = _masked_number(kind, text, complete=True)
        return value if masked == text else masked
    if isinstance(value, dict):
        return {name: _redact_value(item, _kind(name)) for name, item in value.items()}
    if isinstance(value, list):
        return [_redact_value(item, None) for item in value]
    if isinstance(value, str | int) and not isinstance(value, bool):  # a card number in any other field
        text = value if isinstance(value, str) else str(value)
        shown = _RUN.sub(lambda run: _run_shown(run, -1), text.encode()).decode()
        return value if shown == text else shown
    return value


def _redact_fields(body: bytes, cut: bool) -> bytes:
    """The same by name in the text: `"name": value`, `'name': value`, `name=value`."""
    lowered = body.lower()
    parts: list[bytes] = []
    done = 0
    for name in _NAMES.finditer(lowered):
        start, end = name.span()
        before = lowered[start - 1 : start] if start else b""
        quote = before if before in (b'"', b"'") else b""
        outside = lowered[start - 1 - len(quote) : start - len(quote)] if start > len(quote) else b""
        after = _AFTER_NAME.match(lowered, end)
        if start < done or after is None or after.group(1) != quote or re.match(rb"[\w\\]", outside):
            continue  # inside a value already replaced, part of a longer name, or not a field's name
        at = after.end()
        replacement, value_end = _replaced(
            body, at, _KINDS[name.group(0).translate(None, b"-_ ").decode()], cut
        )
        if replacement is not None:
            if body[at : at + 1] not in (b'"', b"'") and b"=" in after.group(0):
                replacement = json.loads(replacement).encode()  # `name=value`: a form's values are bare
            parts += [body[done:at], replacement]
            done = value_end
    return b"".join(parts) + body[done:] if parts else body


def _replaced(body: bytes, at: int, kind: str, cut: bool) -> tuple[bytes | None, int]:
    """What replaces the value at `at` (None: keep it) and where that value ends."""
    opening = body[at : at + 1]
    if opening in (b'"', b"'"):
        string = (_DOUBLE if opening == b'"' else _SINGLE).match(body, at)
        assert string is not None  # both match an opening quote alone
        closed = bool(string.group(1))
        content = string.group(0)[1 : -1 if closed else None]
        value, complete, end = _decoded(content), closed, string.end()
    elif opening in (b"{", b"["):
        value, complete, end = None, True, _compound_end(body, at)
    else:
        bare = _BARE.match(body, at).group(0)  # type: ignore[union-attr]  # `*`: always matches
        if not bare or bare in (b"null", b"true", b"false"):
            return None, at
        value, complete, end = bare.decode("utf-8", errors="replace"), True, at + len(bare)
    complete = complete and not (cut and end == len(body))
    if kind == "cvv":
        return json.dumps(CVV_SHOWN).encode(), end
    if value is None:
        return json.dumps(REDACTED).encode(), end
    masked = _masked_number(kind, value, complete=complete)
    return (None if masked == value else json.dumps(masked, ensure_ascii=False).encode()), end


def _decoded(content: bytes) -> str:
    try:
        return str(json.loads(b'"' + content + b'"'))
    except ValueError:  # cut inside an escape, or not JSON's escapes
        return content.decode("utf-8", errors="replace")


def _compound_end(body: bytes, at: int) -> int:
    """Where the object or array starting at `at` ends (the body's end when it is cut first)."""
    depth = 0
    while at < len(body):
        char = body[at : at + 1]
        if char in (b'"', b"'"):
            # Matches: `char` is its opening quote.
            at = (_DOUBLE if char == b'"' else _SINGLE).match(body, at).end()  # type: ignore[union-attr]
        elif char in (b"{", b"[", b"}", b"]"):
            depth += 1 if char in (b"{", b"[") else -1
            at += 1
            if depth == 0:
                return at
        else:
            at = _PLAIN.match(body, at).end()  # type: ignore[union-attr]  # `char` is none it excludes
    return len(body)


def _masked_number(kind: str, value: str, *, complete: bool) -> str:
    digits = [char for char in value if char.isdigit()]
    if len(digits) >= 13 and complete:
        return mask("".join(digits))
    if kind == "long" and len(digits) < 13 and (complete or len(digits) < 6):
        return value  # a BIN, not a card
    if "*" in value and len(digits) <= 10:
        return value  # masked already: an answer's `404809******7528`
    # Part of a number (cut, or too short to be one): no digit of it is shown.
    return "".join("*" if char.isdigit() else char for char in value)


def _run_shown(run: re.Match[bytes], end: int) -> bytes:
    if run.end() == end:  # the body was cut inside it
        return b"*" * len(run.group(0))
    digits = run.group(0).replace(b" ", b"").replace(b"-", b"").decode()
    return mask(digits).encode() if luhn_ok(digits) else run.group(0)
