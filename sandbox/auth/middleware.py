"""The gate every request passes before routing: Digest on /partner, then body size and content type.

Digest runs here, not as a FastAPI dependency, so it answers before the body is read or validated:
curl's first POST carries an empty body and must get 401, not 422 (docs/design/digest.md §2.2, §6 row 27).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.auth.digest import DigestVerifier
from sandbox.core import i18n
from sandbox.core.errors import (
    PayloadTooLarge,
    SandboxError,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from sandbox.responses import fail

log = logging.getLogger("sandbox.auth")
PROTECTED_PREFIX = "/partner/"
# Browser HTML form posts (application/x-www-form-urlencoded), not JSON: the 3-D Secure pages and the
# demo dashboard.
FORM_PREFIXES = ("/pay/", "/_sandbox/ui/")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# No documented body nests more than 4 levels; Python's JSON parser fails (RecursionError) near 1000.
MAX_JSON_DEPTH = 128
RawHeaders = Iterable[tuple[bytes, bytes]]  # the ASGI scope's, undecoded: most are never looked at


class RequestGate:
    def __init__(
        self,
        app: ASGIApp,
        verifier: DigestVerifier,
        max_body_bytes: int,
        partner_of: Callable[[str], str] = lambda username: username,
    ) -> None:
        """`partner_of`: the partner a Digest username is in its world (a tenant's `t1-demo`: `demo`)."""
        self.app = app
        self.verifier = verifier
        self.max_body_bytes = max_body_bytes
        self.partner_of = partner_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        try:
            if scope["path"].startswith(PROTECTED_PREFIX) and scope["method"] != "OPTIONS":
                send = await self._authenticate(scope, headers, send)
            receive = await self._buffer_body(scope, headers, receive)
        except SandboxError as error:
            locale = i18n.pick_locale(_first(headers, b"accept-language"))
            await fail(error, locale)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope, headers: RawHeaders, send: Send) -> Send:
        outcome = await self.verifier.verify(
            scope["method"],
            _request_target(scope),
            _first(headers, b"host"),
            [value.decode("latin-1") for name, value in headers if name.lower() == b"authorization"],
        )
        if outcome.status == 400:
            raise SandboxError(outcome.reason)
        if outcome.status != 200:
            log.debug("digest refused: %s", outcome.reason)
            challenges = self.verifier.challenges(stale=outcome.stale)
            raise Unauthorized(outcome.reason, headers=[("WWW-Authenticate", line) for line in challenges])
        state = scope.setdefault("state", {})
        state["partner"] = outcome.username and self.partner_of(outcome.username)
        info = outcome.authentication_info.encode("latin-1") if outcome.authentication_info else None

        async def send_with_headers(message: Message) -> None:
            # Added as the answer starts: the route sets the profile (and its notices) after this gate.
            if message["type"] == "http.response.start":
                request_profile = state.get("profile")
                extra = request_profile.headers() if request_profile is not None else []
                if info is not None:
                    extra.append((b"authentication-info", info))
                if extra:
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return send_with_headers

    async def _buffer_body(self, scope: Scope, headers: RawHeaders, receive: Receive) -> Receive:
        """Read the whole body (bounded) so size and content type are settled before any handler runs."""
        if scope["method"] not in BODY_METHODS:
            return receive
        declared = _first(headers, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise PayloadTooLarge(params={"limit": self.max_body_bytes})
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise PayloadTooLarge(params={"limit": self.max_body_bytes})
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body.strip() and not scope["path"].startswith(FORM_PREFIXES):
            if not is_json(_first(headers, b"content-type")):
                raise UnsupportedMediaType()
            try:
                body.decode("utf-8")  # RFC 8259: JSON between systems is UTF-8
            except UnicodeDecodeError:
                raise ValidationFailed("malformed_json") from None
            if _nests_deeper_than(body, MAX_JSON_DEPTH):
                raise ValidationFailed("body_too_deep", params={"limit": MAX_JSON_DEPTH})
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay


def _first(headers: RawHeaders, name: bytes) -> str | None:
    """The first value of a header (`name` in lower case), decoded as Starlette does (latin-1)."""
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _request_target(scope: Scope) -> str:
    """The raw target as the client sent it: Digest's `uri` is compared with it (docs/design/digest.md
    §3.3)."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1").split("?", 1)[0] if raw else scope["path"]
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


def _nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether the JSON text opens more than `limit` arrays/objects at once (brackets in strings skipped).

    Counting brackets first keeps this free for ordinary bodies: only one with more than `limit`
    brackets at all is walked byte by byte.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def peek_body(scope: Scope, receive: Receive) -> tuple[bytes, Receive]:
    """The request body (the gate has buffered it) and a `receive` that gives it again to the next
    reader; empty for methods without one."""
    if scope["method"] not in BODY_METHODS:
        return b"", receive
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return body, replay
