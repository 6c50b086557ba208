"""Drive the sandbox's ASGI app in-process, without sockets or an HTTP client: a raw scope/receive/send
loop, with a minimal Digest (MD5, qop=auth) client that mints a fresh nonce through a 401 whenever asked.

Fast enough to push 100k requests through the whole middleware stack (CORS, control gate, journal,
Digest gate, faults, routing) in about a minute on two cores.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from fastapi import FastAPI

_NONCE = re.compile(r'nonce="([0-9a-f]+)"')
_OPAQUE = re.compile(r'opaque="([0-9a-f]+)"')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class AsgiDriver:
    """Sends requests to `app` one at a time; answers are (status, headers, body)."""

    def __init__(self, app: FastAPI, username: str, password: str, realm: str) -> None:
        self.app = app
        self.username = username
        self._ha1 = _md5(f"{username}:{realm}:{password}")
        self.realm = realm
        self.nonce: str | None = None
        self.opaque = ""
        self.nc = 0
        self.sent = 0
        self.statuses: dict[int, int] = {}

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
    ) -> tuple[int, dict[bytes, bytes], bytes]:
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"x-client-id", b"web"), *(headers or [])],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {},
        }  # fmt: skip
        if body:
            scope["headers"] += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status = 0
        answer: dict[bytes, bytes] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                answer.update((k.lower(), v) for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        self.sent += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        return status, answer, b"".join(chunks)

    async def fresh_nonce(self, path: str) -> None:
        """One unauthenticated request: its 401 challenge carries a nonce minted now."""
        status, headers, _ = await self.request("GET", path)
        assert status == 401, status
        challenge = headers[b"www-authenticate"].decode()
        self.nonce = _NONCE.search(challenge).group(1)  # type: ignore[union-attr]
        self.opaque = _OPAQUE.search(challenge).group(1)  # type: ignore[union-attr]
        self.nc = 0

    async def call(self, method: str, path: str, body: bytes = b"") -> tuple[int, dict[bytes, bytes], bytes]:
        """One Digest-authenticated request on the current nonce (the next nc)."""
        assert self.nonce is not None, "fresh_nonce() first"
        self.nc += 1
        nc, cnonce = f"{self.nc:08x}", f"{self.sent:016x}"
        ha2 = _md5(f"{method}:{path}")
        response = _md5(f"{self._ha1}:{self.nonce}:{nc}:{cnonce}:auth:{ha2}")
        authorization = (
            f'Digest username="{self.username}", realm="{self.realm}", nonce="{self.nonce}", uri="{path}", '
            f'algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}", '
            f'opaque="{self.opaque}"'
        )
        return await self.request(method, path, body, [(b"authorization", authorization.encode())])


def find_middleware(app: FastAPI, kind: type) -> Any:
    """The instance of middleware class `kind` in the app's built stack (build it first by calling)."""
    layer: Any = app.middleware_stack
    while layer is not None:
        if isinstance(layer, kind):
            return layer
        layer = getattr(layer, "app", None)
    raise LookupError(kind.__name__)
