"""CORS for frontend developers: browsers may call the sandbox from `SANDBOX_CORS_ORIGINS` only.

Preflights (OPTIONS with `Access-Control-Request-Method`) are answered here, before the Digest gate and
the control token, because a browser never sends credentials on a preflight. With no origins
configured (the default) every preflight is refused, in the partner's error envelope rather than
Starlette's plain-text "Disallowed CORS origin".
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.core import i18n
from sandbox.core.errors import SandboxError
from sandbox.responses import fail

EXPOSED = ["WWW-Authenticate", "Authentication-Info", "Retry-After", "X-Sandbox-Fault-Applied"]


class SandboxCORS(CORSMiddleware):
    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        super().__init__(
            app, allow_origins=list(origins), allow_methods=["*"], allow_headers=["*"], expose_headers=EXPOSED
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Most requests (every non-browser client) carry no Origin: then Starlette only adds
        # `Vary: Origin`, which is done here without building two header views per request.
        if scope["type"] != "http" or any(name == b"origin" for name, _ in scope["headers"]):
            await super().__call__(scope, receive, send)
            return

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if any(name.lower() == b"vary" for name, _ in headers):
                    vary = MutableHeaders(scope=message)
                    vary["Vary"] = ", ".join([*vary.getlist("Vary"), "Origin"])
                else:
                    headers.append((b"vary", b"Origin"))
            await send(message)

        await self.app(scope, receive, send_with_vary)

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        failures = bytes(answer.body).decode().removeprefix("Disallowed CORS ")
        locale = i18n.pick_locale(request_headers.get("accept-language"))
        refused = fail(SandboxError("cors_preflight_refused", params={"failures": failures}), locale)
        refused.headers["Vary"] = "Origin"
        return refused
