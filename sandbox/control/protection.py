"""What the sandbox answers a browser: the Host allow-list, cross-site control calls, the control token.

`HostGate` (every route, outermost): only Host names the sandbox knows get an answer, anything else is
421 `host_not_allowed`. Known are localhost (and *.localhost), every IP address, `SANDBOX_HOST` and
`SANDBOX_ALLOWED_HOSTS`. That stops DNS rebinding: a page on `evil.example` whose name is switched to
127.0.0.1 reaches this port as same-origin, but its Host still says `evil.example`. An IP address is
safe to answer: a page at that address was served by the sandbox itself.

`ControlGate` (/_sandbox/...), in this order:
- A state-changing call (POST, PUT, PATCH, DELETE) that a browser sends from another site's page is
  403 `foreign_origin`: with no token set, a self-submitting form elsewhere could otherwise reset or
  reseed the sandbox. Browsers say where a request comes from in Sec-Fetch-Site, else Origin, else
  Referer; a call with none of them is a script's (curl, tests) and passes. The sandbox's own pages
  and the origins listed in `SANDBOX_CORS_ORIGINS` (by name: `*` does not count) are not foreign.
- Outside the dashboard and the login page (HTML forms), such a call is JSON: any other Content-Type,
  or a body without one, is 415 `control_json_required`. A call without a body may leave Content-Type
  out (`curl -X POST .../reset`); a browser sends such a call cross-site only with an Origin.
- With `SANDBOX_CONTROL_TOKEN` set, every `/_sandbox` call needs the token, as
  `Authorization: Bearer <token>` (scripts, CI) or as the `sandbox_control` cookie that the small login
  page at `/_sandbox/login` sets (browsers, the dashboard). Without the token: 401 with
  `WWW-Authenticate: Bearer`; with a wrong one: 403. Partner Digest credentials never open it: any
  other Authorization scheme counts as no token. Swagger's static assets (/_sandbox/static) stay open
  so /docs renders. Without a configured token the control API is open, as a local sandbox's should
  be; `minted-sandbox serve` warns when that is combined with a non-loopback address.

This runs outside the Digest gate and the fault rules, so a fault rule never hides the control API
and the login form (a browser form post, not JSON) never meets the JSON-only body check.
"""

from __future__ import annotations

import hmac
import html
import ipaddress
from collections.abc import Sequence
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, quote, urlsplit

from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.auth.middleware import is_json
from sandbox.config import is_ip
from sandbox.core import i18n
from sandbox.core.errors import MethodNotAllowed, PayloadTooLarge, SandboxError
from sandbox.responses import fail

CONTROL_PREFIX = "/_sandbox"
OPEN_PREFIX = "/_sandbox/static/"
LOGIN_PATH = "/_sandbox/login"
COOKIE = "sandbox_control"
DEFAULT_NEXT = "/_sandbox/ui"  # a browser signing in without a `next` lands on the dashboard
CHALLENGE = 'Bearer realm="minted-sandbox control"'
FORM_LIMIT = 16_384
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_PREFIX = "/_sandbox/ui/"  # the dashboard's HTML forms
OWN_SITE = frozenset({"same-origin", "none"})  # Sec-Fetch-Site of the sandbox's pages, of a typed URL
DEFAULT_PORTS = {"http": "80", "https": "443"}
SHOWN = 200  # characters of a refused Host or Origin quoted back in the message
HOST_MEMORY = 1024  # Host values whose verdict is remembered (every request asks)


class HostGate:
    """ASGI middleware answering only the Host names the sandbox knows (421 `host_not_allowed`)."""

    def __init__(self, app: ASGIApp, hosts: Sequence[str], bind_host: str) -> None:
        self.app = app
        self.any_host = "*" in hosts
        self.names = frozenset({"localhost", *hosts, _split_host(bind_host)[0]})
        self._verdicts: dict[bytes, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.any_host:
            await self.app(scope, receive, send)
            return
        host = next((value for name, value in scope["headers"] if name.lower() == b"host"), None)
        # No Host at all is an HTTP/1.0 script's request: a browser always names the host.
        if host is None or self._allowed(host):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        locale = i18n.pick_locale(headers.get("accept-language"))
        shown = host.decode("latin-1")[:SHOWN]
        await fail(SandboxError("host_not_allowed", params={"host": shown}), locale)(scope, receive, send)

    def _allowed(self, host: bytes) -> bool:
        verdict = self._verdicts.get(host)
        if verdict is None:
            name, port = _split_host(host.decode("latin-1"))
            verdict = (not port or port.isdigit()) and (
                name in self.names or name.endswith(".localhost") or is_ip(name)
            )
            if len(self._verdicts) < HOST_MEMORY:
                self._verdicts[host] = verdict
        return verdict


class ControlGate:
    """ASGI middleware guarding `/_sandbox/...` with a bearer token (a no-op when no token is set)."""

    def __init__(self, app: ASGIApp, token: str, origins: Sequence[str] = ()) -> None:
        self.app = app
        self.token = token.encode()
        self.trusted = frozenset(origin.rstrip("/").lower() for origin in origins if origin != "*")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not _is_control(path):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        forged = self._forged(path, headers) if scope["method"] in STATE_CHANGING else None
        if forged is not None:
            await fail(forged, i18n.pick_locale(headers.get("accept-language")))(scope, receive, send)
            return
        if path == LOGIN_PATH:
            await self._login(scope, receive, send)
            return
        if not self.token or path.startswith(OPEN_PREFIX) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
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

    def _forged(self, path: str, headers: dict[str, str]) -> SandboxError | None:
        """Why a state-changing call may not run (another site's page, or not JSON), or None."""
        origin = headers.get("origin") or _origin_of(headers.get("referer"))
        if origin is None or origin.rstrip("/").lower() not in self.trusted:
            site = headers.get("sec-fetch-site")
            if site is not None:
                foreign = site not in OWN_SITE
            else:
                foreign = origin is not None and not _same_origin(origin, headers.get("host", ""))
            if foreign:
                shown = (origin or f"Sec-Fetch-Site: {site}")[:SHOWN]
                return SandboxError("foreign_origin", params={"origin": shown})
        if path.startswith(FORM_PREFIX) or path == LOGIN_PATH:
            return None
        content_type = headers.get("content-type")
        length = headers.get("content-length", "0").strip().strip("0")
        has_body = length != "" or "transfer-encoding" in headers
        if (content_type is None and not has_body) or is_json(content_type):
            return None
        return SandboxError("control_json_required")

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


def _split_host(value: str) -> tuple[str, str]:
    """`name[:port]` (a Host header, an origin's netloc) → (name: lower case, no brackets or final
    dot; port or "")."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        return name, rest.removeprefix(":")
    if value.count(":") > 1:  # a bare IPv6 address
        return value, ""
    name, _, port = value.partition(":")
    return name.rstrip("."), port


def _origin_of(referer: str | None) -> str | None:
    """The origin a Referer names (`scheme://host[:port]`); "null" when it names none."""
    if referer is None:
        return None
    parts = urlsplit(referer.strip())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"


def _same_origin(origin: str, host: str) -> bool:
    """Whether a browser's Origin is the sandbox as that browser reached it (the Host it sent)."""
    parts = urlsplit(origin.strip())
    default = DEFAULT_PORTS.get(parts.scheme)
    if default is None or not parts.netloc:
        return False  # "null" (a sandboxed frame, a file, a data: URL) or not a web origin
    name, port = _split_host(parts.netloc)
    own_name, own_port = _split_host(host)
    return (name, port or default) == (own_name, own_port or default)


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
