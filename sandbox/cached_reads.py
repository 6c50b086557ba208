"""The cached read path: every idempotent partner read answered from the store's cache of rendered
answers while the store is unchanged.

A route declares itself with `@cacheable` (or `@cacheable(per_minute=True)` when its answer follows
the sandbox clock's minute: prices, valuations, daily balances). `CachedReads`, the innermost
middleware, matches each partner request against the app's own routes (the router's first full match
decides, as routing would) and, for a cacheable one, keys the answer on everything it depends on: the
partner and its profile, method, path, query, every header but Authorization and the hop-by-hop ones,
the body, and the clock's minute where it matters. A 2xx answer is kept (status, headers, body, and
the lenient profile's notices, which the Digest gate adds as the answer starts) for the store's
current `generation()`: any commit, in this process or another, a reset or a reseed empties the cache.
Everything outside it (journal, Digest, faults, CORS) runs for a cached answer exactly as for any.

A route whose request has a side effect after all (Get Order (Alternative) with `push_hook`) calls
`no_store(request)`: that answer is not kept, so the same request runs the route again.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.routing import iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.auth.middleware import peek_body
from sandbox.auth.tenancy import sandbox_of
from sandbox.core.profile import Profile
from sandbox.runtime import Sandbox

MARK = "sandbox_cacheable"  # the endpoint attribute `cacheable` sets: "stable" or "minute"
PREFIX = "/partner/"
METHODS = ("GET", "POST")
# Left out of the key: Digest's Authorization changes on every request and says nothing the gate has not
# settled (the partner is in the key); hop-by-hop headers describe the connection, not the request.
UNKEYED = frozenset(
    {
        b"authorization",
        b"connection",
        b"keep-alive",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
ENTRY_OVERHEAD = 256  # bytes counted per entry beyond its key's and answer's own
ANYTHING = re.compile("")

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def cacheable(endpoint: Endpoint | None = None, *, per_minute: bool = False) -> Any:
    """Mark a route whose answer depends only on the request, the store and (`per_minute`) the sandbox
    clock's minute. Put it under the route decorator."""

    def mark(function: Endpoint) -> Endpoint:
        setattr(function, MARK, "minute" if per_minute else "stable")
        return function

    return mark(endpoint) if endpoint is not None else mark


def no_store(request: Request) -> None:
    """This request had a side effect: its answer must not be kept."""
    request.scope.setdefault("state", {})["no_store"] = True


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]  # as the route sent them (the outer middlewares add theirs)
    body: bytes
    profile: str
    notices: tuple[str, ...]


class CachedReads:
    """ASGI middleware, innermost (right before the router): see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Method -> (path pattern, "stable" | "minute" | None) in routing order, up to the last
        # cacheable route; built from the app's router on the first request (routes are all in by then).
        self._table: dict[str, list[tuple[re.Pattern[str], str | None]]] | None = None
        self._looking_up: dict[tuple[int, str], asyncio.Future[tuple[int, str]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in METHODS
            or not scope["path"].startswith(PREFIX)
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        caching = self._caching(scope)
        if caching is None:
            await self.app(scope, receive, send)
            return
        sandbox = sandbox_of(scope)
        store = sandbox.store
        try:
            known = await self._partner(sandbox, scope["state"]["partner"])
            generation = store.generation()
        except Exception:
            # The store failing, the partner gone from it: the route meets the same and answers it.
            generation = None
        if generation is None:
            await self.app(scope, receive, send)
            return
        body, receive = await peek_body(scope, receive)
        key, key_size = self._key(scope, body, caching, known)
        answers = store.answers
        answer: Answer | None = answers.get(generation, key)
        if answer is not None:
            # The Digest gate adds the profile's notices as the answer starts: the same as the route's.
            scope["state"]["profile"] = Profile(answer.profile, list(answer.notices))
            start = {"type": "http.response.start", "status": answer.status, "headers": list(answer.headers)}
            await send(start)
            await send({"type": "http.response.body", "body": answer.body, "more_body": False})
            return
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        complete = False

        async def keeping(message: Message) -> None:
            nonlocal status, headers, complete
            if message["type"] == "http.response.start":
                # A copy, taken before the outer middlewares (CORS) add to the list.
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, keeping)
        state = scope.get("state") or {}
        if not complete or not 200 <= status < 300 or state.get("no_store"):
            return
        profile = state.get("profile")
        answer = Answer(
            status=status,
            headers=headers,
            body=b"".join(chunks),
            profile=profile.name if profile is not None else "",
            notices=tuple(profile.notices) if profile is not None else (),
        )
        size = key_size + len(answer.body) + sum(len(k) + len(v) for k, v in headers) + ENTRY_OVERHEAD
        answers.put(generation, key, answer, size)

    async def _partner(self, sandbox: Sandbox, username: str) -> tuple[int, str]:
        """The partner's id and profile as this process knows it (a profile change through any worker
        reaches it with the next request: `Sandbox.sync`). When it does not know, one look-up in a
        thread serves every request waiting meanwhile (not one per request in flight)."""
        known = sandbox.known_partner(username)
        if known is not None:
            return known
        key = (id(sandbox), username)  # tenants' worlds have partners of the same names
        looking = self._looking_up.get(key)
        if looking is None:
            looking = asyncio.ensure_future(run_in_threadpool(sandbox.partner, username))
            self._looking_up[key] = looking
            looking.add_done_callback(lambda _: self._looking_up.pop(key, None))
        return await asyncio.shield(looking)

    def _caching(self, scope: Scope) -> str | None:
        if self._table is None:
            self._table = _route_table(scope["app"].routes)
        path = scope["path"]
        for pattern, caching in self._table[scope["method"]]:
            if pattern.match(path):
                return caching
        return None

    def _key(self, scope: Scope, body: bytes, caching: str, known: tuple[int, str]) -> tuple[Hashable, int]:
        """The answer's key, and about how many bytes it holds."""
        headers = tuple(header for header in scope["headers"] if header[0] not in UNKEYED)
        path, query = scope["path"], scope.get("query_string", b"")
        key = (
            known,  # the partner's id and profile
            scope["method"],
            path,
            query,
            # Links in answers start with the public_base_url setting, so where the request arrived
            # (scheme, server) is not part of the key.
            headers,
            body,
            int(sandbox_of(scope).clock.timestamp() // 60) if caching == "minute" else None,
        )
        size = len(path) + len(query) + len(body) + sum(len(name) + len(value) for name, value in headers)
        return key, size


def _route_table(routes: list[Any]) -> dict[str, list[tuple[re.Pattern[str], str | None]]]:
    """Per method, the routes a partner request can reach, in routing order (included routers
    flattened, as FastAPI matches them), up to the last cacheable one. A mount or any other kind of
    route that could take the request stops the search: not cached."""
    table: dict[str, list[tuple[re.Pattern[str], str | None]]] = {}
    for method in METHODS:
        entries: list[tuple[re.Pattern[str], str | None]] = []
        for context in iter_route_contexts(routes):
            route, path = context.original_route, context.path
            if isinstance(route, Route) and path is not None:
                literal = path.split("{", 1)[0]  # the part before the first path parameter
                reachable = literal.startswith(PREFIX) or PREFIX.startswith(literal)
                methods = context.methods
                if reachable and (methods is None or method in methods):
                    entries.append((context.path_regex, getattr(context.endpoint, MARK, None)))
            elif isinstance(route, Mount):
                entries.append((context.path_regex, None))
            elif not isinstance(route, WebSocketRoute):
                entries.append((ANYTHING, None))
        while entries and entries[-1][1] is None:
            entries.pop()
        table[method] = entries
    return table
