"""Partner traffic: the request journal (outside the Digest gate) and fault injection (inside it).

The journal sits outside the gate so it also keeps the requests Digest refuses, and reads the partner the
gate put in `scope["state"]` once the response is complete. It keeps the body as the gate reads it and
never reads ahead: Digest refuses a request before its body arrives (docs/design/digest.md §2.2), so a
refused request is kept without one. Faults sit inside the gate (just outside the cached read path), because a
rule can match on the authenticated partner and on the body the gate has already buffered; they answer
before any handler runs, so a fault never lands half-way through a write. Both only ever look at
`/partner/` requests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.auth.middleware import MAX_JSON_DEPTH, peek_body
from sandbox.auth.tenancy import sandbox_of
from sandbox.core import i18n
from sandbox.core.envelope import JSON_MEDIA_TYPE
from sandbox.core.errors import SandboxError
from sandbox.domain import faults
from sandbox.domain.journal import BODY_LIMIT
from sandbox.domain.ledger import MAX_BALANCE
from sandbox.partner.legal.schemas import LEGAL_TYPES
from sandbox.responses import fail

log = logging.getLogger("sandbox.faults")
# What a malformed answer sends: a success envelope cut off mid-string (not parseable JSON).
MALFORMED_BODY = b'{"data":{"guid":"'
# A dropped answer promises this many body bytes and sends none, so every client sees a short read.
DROP_CONTENT_LENGTH = b"512"
_FAULT_HEADER = faults.HEADER.lower().encode("latin-1")


def _is_partner(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["path"].startswith(faults.PARTNER_PREFIX)


def _locale(scope: Scope) -> str:
    return i18n.pick_locale(_header(scope, b"accept-language"))


def _header(scope: Scope, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == name), None)


# -- the journal -------------------------------------------------------------------------------------


class _Kept:
    """Body chunks as they passed (the same bytes objects, not copies), up to one byte past the
    journal's limit, which marks the text as truncated."""

    __slots__ = ("chunks", "size")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def keep(self, message: Message) -> None:
        room = BODY_LIMIT + 1 - self.size
        body = message.get("body", b"")
        if room > 0 and body and message["type"] in ("http.request", "http.response.body"):
            if len(body) > room:
                body = body[:room]
            self.chunks.append(body)
            self.size += len(body)


class _Capture:
    """Keeps what passes through receive and send, bodies bounded to just past the journal's limit.
    Only what the application asks for is received: nothing is read ahead of the Digest gate."""

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive, self._send = receive, send
        self.request_body = _Kept()
        self.response_body = _Kept()
        self.status: int | None = None
        self.response_headers: list[tuple[bytes, bytes]] = []  # decoded when the journal is read

    async def receive(self) -> Message:
        message = await self._receive()
        self.request_body.keep(message)
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            # A copy: an outer middleware (CORS's Vary) may append to the list after this.
            self.response_headers = list(message.get("headers", []))
        else:
            self.response_body.keep(message)
        await self._send(message)


class JournalMiddleware:
    """Records every /partner/ request with its response once the response is complete (or broken)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_partner(scope):
            await self.app(scope, receive, send)
            return
        sandbox = sandbox_of(scope)
        at = sandbox.clock.now()  # when the request arrived, on the sandbox clock
        started = time.monotonic()
        capture = _Capture(receive, send)
        try:
            await self.app(scope, capture.receive, capture.send)
        finally:
            # Raw bytes: decoding, header redaction and body text wait until the journal is read; card
            # data in bodies is redacted as the entry is recorded.
            sandbox.journal.record_raw(
                at,
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b""),
                partner=(scope.get("state") or {}).get("partner"),
                # No response at all: the app raised, and the server answers 500.
                status=capture.status or 500,
                seconds=time.monotonic() - started,
                request_headers=scope["headers"],
                request_body=capture.request_body.chunks,
                response_headers=capture.response_headers,
                response_body=capture.response_body.chunks,
            )


# -- faults ------------------------------------------------------------------------------------------


class FaultMiddleware:
    """Applies the X-Sandbox-Fault header or the matching fault rules before the handler runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_partner(scope) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        header = _header(scope, _FAULT_HEADER)
        if header is not None:
            # Explicit beats ambient: a request that names its fault is not matched against the rules.
            try:
                fired = [faults.Fired(None, faults.parse_header(header))]
            except ValueError:
                await fail(faults.header_error(), _locale(scope))(scope, receive, send)
                return
        else:
            fired, receive = await self._fire_rules(scope, receive)
        if not fired:
            await self.app(scope, receive, send)
            return
        applied = "; ".join(
            describe(f.effect) + ("" if f.rule_id is None else f" (rule {f.rule_id})") for f in fired
        )
        send = _with_header(send, b"x-sandbox-fault-applied", applied.encode("latin-1"))
        latency = sum(f.effect.latency_ms for f in fired if f.effect.type == "latency")
        if latency:
            await asyncio.sleep(latency / 1000)
        final = fired[-1].effect
        if final.type == "latency":
            await self.app(scope, receive, send)
            return
        log.info("fault on %s %s: %s", scope["method"], scope["path"], applied)
        await _answer(final, _locale(scope), scope, receive, send)

    async def _fire_rules(self, scope: Scope, receive: Receive) -> tuple[list[faults.Fired], Receive]:
        book = sandbox_of(scope).faults
        rules = await book.live()
        if not rules:
            return [], receive
        partner = (scope.get("state") or {}).get("partner")
        candidates = [rule for rule in rules if rule.matches(scope["method"], scope["path"], partner)]
        if any(rule.external_id is not None for rule in candidates):
            # Only now is the body read (the gate has buffered it): no rule, no parsing.
            body, receive = await peek_body(scope, receive)
            external_id = faults.external_id_of(body)
            candidates = [r for r in candidates if r.external_id in (None, external_id)]
        if not candidates:
            return [], receive
        return await run_in_threadpool(book.fire, candidates), receive


def _with_header(send: Send, name: bytes, value: bytes) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (name, value)]}
        await send(message)

    return sending


async def _answer(effect: Any, locale: str, scope: Scope, receive: Receive, send: Send) -> None:
    """The response a terminal effect gives instead of the handler's."""
    match effect:
        case faults.ErrorEffect():
            await fail(error_for(effect), locale)(scope, receive, send)
        case faults.TimeoutEffect():
            await asyncio.sleep(effect.timeout_ms / 1000)
            await fail(SandboxError("gateway_timeout"), locale)(scope, receive, send)
        case faults.MalformedEffect():
            await _raw(send, 200, MALFORMED_BODY, more_body=False)
        case faults.DropEffect():
            # Headers out, then return without finishing: uvicorn logs "ASGI callable returned without
            # completing response" and closes the transport, so the client sees a broken connection.
            await _raw(send, 200, b"", more_body=True, length=DROP_CONTENT_LENGTH)


async def _raw(send: Send, status: int, body: bytes, *, more_body: bool, length: bytes | None = None) -> None:
    headers = [
        (b"content-type", JSON_MEDIA_TYPE.encode()),
        (b"content-length", length or str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    if not more_body:
        await send({"type": "http.response.body", "body": body, "more_body": False})


def describe(effect: Any) -> str:
    """An effect in the header's own syntax: what `X-Sandbox-Fault-Applied` and the logs show."""
    match effect:
        case faults.ErrorEffect():
            return f"error={effect.status}:{effect.error}"
        case faults.LatencyEffect():
            return f"latency={effect.latency_ms}"
        case faults.TimeoutEffect():
            return f"timeout={effect.timeout_ms}"
    return effect.type


# What the placeholders of a borrowed catalogue key say in an injected error: a value a real request
# could have met, so the message reads as the real one would ("Insufficient balance (TRY).").
EXAMPLE_PARAMS: dict[str, dict[str, object]] = {
    "missing_header": {"header": "x-client-id"},
    "invalid_header": {"header": "api-version", "allowed": "2, 3"},
    "conflicting_header": {"header": "x-client-id"},
    "body_too_deep": {"limit": MAX_JSON_DEPTH},
    "payload_too_large": {"limit": 1_048_576},
    "method_not_allowed": {"method": "DELETE"},
    "price_token_currency_mismatch": {"currency": "TRY"},
    "insufficient_balance": {"asset": "TRY"},
    "wallet_limit_exceeded": {"limit": f"{MAX_BALANCE:,.0f}", "asset": "TRY"},
    "transition_not_allowed": {
        "current": "Processing",
        "target": "Created",
        "allowed": "Completed, Cancelled",
    },
    "order_is_final": {"current": "Completed"},
    "payment_already_processed": {"state": "success"},
    "legal_type_unknown": {"types": ", ".join(LEGAL_TYPES)},
    "cors_preflight_refused": {"failures": "origin"},
    "foreign_origin": {"origin": "https://example.com"},
    "host_not_allowed": {"host": "example.com"},
    "scenario_unknown": {"scenarios": "default"},
    "tenant_not_found": {"tenant": "t1"},
    "tenant_exists": {"tenant": "t1"},
}


def error_for(effect: faults.ErrorEffect) -> SandboxError:
    """The error an `error` effect answers with, its placeholders filled from EXAMPLE_PARAMS."""
    key = effect.error or faults.DEFAULT_ERRORS.get(effect.status, "fault_injected")
    headers = [("Retry-After", "1")] if effect.status in (429, 503) else []
    return SandboxError(key, status_code=effect.status, params=EXAMPLE_PARAMS.get(key), headers=headers)
