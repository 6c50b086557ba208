"""The control API's lock: with `SANDBOX_CONTROL_TOKEN` set, every `/_sandbox` call needs the token.

The token comes as `Authorization: Bearer <token>` (scripts, CI) or as the `sandbox_control` cookie
that the small login page at `/_sandbox/login` sets (browsers, the dashboard). Without the token: 401
with `WWW-Authenticate: Bearer`; with a wrong one: 403. Partner Digest credentials never open it:
any other Authorization scheme counts as no token. Swagger's static assets (/_sandbox/static) stay
open so /docs renders. Without a configured token the control API is open, as a local sandbox's
should be; `minted-sandbox serve` warns when that is combined with a non-loopback address.

This runs outside the Digest gate and the fault rules, so a fault rule never hides the control API
and the login form (a browser form post, not JSON) never meets the JSON-only body check.
"""

from __future__ import annotations

import hmac
import html
import ipaddress
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, quote

from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.core import i18n
from sandbox.core.envelope import fail
from sandbox.core.errors import MethodNotAllowed, PayloadTooLarge, SandboxError

CONTROL_PREFIX = "/_sandbox"
OPEN_PREFIX = "/_sandbox/static/"
LOGIN_PATH = "/_sandbox/login"
COOKIE = "sandbox_control"
DEFAULT_NEXT = "/_sandbox/ui"  # a browser signing in without a `next` lands on the dashboard
CHALLENGE = 'Bearer realm="minted-sandbox control"'
FORM_LIMIT = 16_384


class ControlGate:
    """ASGI middleware guarding `/_sandbox/...` with a bearer token (a no-op when no token is set)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not _is_control(path):
            await self.app(scope, receive, send)
            return
        if path == LOGIN_PATH:
            await self._login(scope, receive, send)
            return
        if not self.token or path.startswith(OPEN_PREFIX) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        refusal, from_cookie = self._refusal(headers)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        if (
            scope["method"] == "GET"
            and "text/html" in headers.get("accept", "")
            and (from_cookie or refusal == "control_token_required")
        ):
            # A browser (the dashboard): to the login page, then back here.
            target = path + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
            await RedirectResponse(f"{LOGIN_PATH}?next={quote(target, safe='')}", 303)(scope, receive, send)
            return
        challenge = [("WWW-Authenticate", CHALLENGE)] if refusal == "control_token_required" else []
        locale = i18n.pick_locale(headers.get("accept-language"))
        await fail(SandboxError(refusal, headers=challenge), locale)(scope, receive, send)

    def _refusal(self, headers: dict[str, str]) -> tuple[str | None, bool]:
        """(None when the request carries the token, else the error key; whether a cookie was judged)."""
        scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return (None if self._matches(credentials.strip()) else "control_token_invalid"), False
        cookie = _cookie(headers.get("cookie", ""), COOKIE)
        if cookie is not None:
            return (None if self._matches(cookie) else "control_token_invalid"), True
        return "control_token_required", False

    def _matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.token)

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        """GET: the form. POST: a right token sets the cookie and redirects to `next`; a wrong one, 403."""
        headers = _headers(scope)
        locale = i18n.pick_locale(headers.get("accept-language"))
        target = _safe_next(parse_qs(scope["query_string"].decode("latin-1")).get("next", [""])[0])
        response: Response
        if scope["method"] not in ("GET", "POST"):
            error = MethodNotAllowed(params={"method": scope["method"]}, headers=[("Allow", "GET, POST")])
            response = fail(error, locale)
        elif not self.token:
            response = RedirectResponse(target, 303)  # the control API is open: nothing to log into
        elif scope["method"] == "GET":
            response = HTMLResponse(_form(target))
        else:
            try:
                fields = parse_qs((await _read_body(receive)).decode("utf-8", errors="replace"))
            except PayloadTooLarge as error:
                await fail(error, locale)(scope, receive, send)
                return
            if self._matches(fields.get("token", [""])[0]):
                response = RedirectResponse(target, 303)
                response.set_cookie(
                    COOKIE,
                    self.token.decode(),
                    path=CONTROL_PREFIX,
                    httponly=True,
                    samesite="strict",
                    secure=scope.get("scheme") == "https",
                )
            else:
                message = i18n.message("control_token_invalid", locale)
                response = HTMLResponse(_form(target, error=message), status_code=403)
        await response(scope, receive, send)


def is_loopback(host: str) -> bool:
    """True when `host` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_control(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def _headers(scope: Scope) -> dict[str, str]:
    """Header name → first value (lower-case names)."""
    result: dict[str, str] = {}
    for name, value in scope["headers"]:
        result.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return result


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            value = value.strip()
            if value.startswith('"'):  # quoted by Set-Cookie because the token has special characters
                jar = SimpleCookie()
                jar.load(f"{name}={value}")
                return jar[name].value if name in jar else None
            return value
    return None


def _safe_next(target: str) -> str:
    """Only a path on this server (never `//host` or `https://...`: no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return DEFAULT_NEXT
    return target


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > FORM_LIMIT:
            raise PayloadTooLarge(params={"limit": FORM_LIMIT})
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _form(target: str, *, error: str | None = None) -> str:
    action = html.escape(f"{LOGIN_PATH}?next={quote(target, safe='')}")
    problem = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox control — sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}}
input,button{{font:inherit;padding:.4rem;width:100%;box-sizing:border-box;margin:.3rem 0}}
.error{{color:#b00020}}</style></head>
<body><h1>Sandbox control</h1>
<p>This sandbox's control API is locked with <code>SANDBOX_CONTROL_TOKEN</code>.</p>{problem}
<form method="post" action="{action}">
<label for="token">Control token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button></form></body></html>
"""
