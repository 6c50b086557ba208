"""Get Order, the hottest partner call, answered without FastAPI's router (`HotRoutes`).

The router, its exception wrappers and the dependency solver cost several times what the read itself
does. `HotRoutes` sits innermost among the user middlewares, so the journal, the Digest gate and the
fault rules have run exactly as for any route; it answers `GET /partner/order/{id}` itself and sends
everything else on. The FastAPI route calls the same `get_order_response`, so /docs and the OpenAPI
document still describe it, and both paths give the same bytes.
"""

from __future__ import annotations

import asyncio
import re

from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox import handlers
from sandbox.core.envelope import JSON_MEDIA_TYPE, dumps, ok_body
from sandbox.core.errors import SandboxError
from sandbox.partner.deps import get_sandbox, partner_context
from sandbox.partner.orders import reader, service
from sandbox.partner.orders.render import render_order, render_orders
from sandbox.store.db import Store

# Starlette's `{name}` path parameter: one non-empty segment.
GET_ORDER = re.compile(r"/partner/order/([^/]+)")
# Rendered Get Order answers kept per thread (about 2 kB each) while the database is unchanged.
CACHE_SIZE = 4096


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def get_order_response(request: Request, identifier: str) -> Response:
    """Get Order: by your external_id, the guid or the order_code."""
    partner = await partner_context(request)
    store = get_sandbox(request).store
    # On the event loop in raw SQL (a few indexed SELECTs): no thread hop.
    body = read_order_body(store, partner.partner_id, identifier, request, blocking=False)
    if body is None:  # an in-memory store busy with another request: wait for it in a thread
        body = await run_in_threadpool(
            read_order_body, store, partner.partner_id, identifier, request, blocking=True
        )
    return Response(body, media_type=JSON_MEDIA_TYPE)  # the bytes and headers `ok(data)` gives


def read_order_body(
    store: Store, partner_id: int, identifier: str, request: Request, *, blocking: bool
) -> bytes | None:
    """The success envelope's bytes, from this thread's cache of rendered orders while no other
    connection has committed since (`Store.read_cache`: any write, reset or restore empties it)."""
    if not reader.supported(store):
        with store.session() as session:
            order = service.get_order(session, partner_id, identifier)
            return dumps(ok_body(render_orders(session, [order], base_url(request))[0]))
    with store.read_connection(blocking=blocking) as connection:
        if connection is None:
            return None
        # Not blocking = running on the event loop (get_order_response).
        cache = store.read_cache(connection, None if blocking else asyncio.get_running_loop())
        if cache is not None:
            # The base URL (a payment's redirect_url) comes from these: part of the key.
            scope = request.scope
            key = (
                partner_id,
                identifier,
                scope.get("scheme"),
                request.headers.get("host"),
                scope.get("server"),
            )
            body = cache.get(key)
            if body is not None:
                return body
        found = reader.get_order(connection, partner_id, identifier)
    # Only a payment's redirect_url uses the base URL, and building it is not free.
    base = base_url(request) if found.payment is not None and found.payment.redirect_url else ""
    data = render_order(found.order, found.items, found.customer, found.payment, found.addresses, base)
    body = dumps(ok_body(data))
    if cache is not None:
        if len(cache) >= CACHE_SIZE:
            del cache[next(iter(cache))]  # the oldest entry
        cache[key] = body
    return body


class HotRoutes:
    """ASGI middleware: `GET /partner/order/{id}` straight to `get_order_response`, with the errors
    rendered by the same handlers the app registers (anything else unexpected propagates as usual)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            match = GET_ORDER.fullmatch(scope["path"])
            if match is not None:
                request = Request(scope, receive, send)
                try:
                    response = await get_order_response(request, match[1])
                except SandboxError as error:
                    response = await handlers.sandbox_error(request, error)
                except OperationalError as error:
                    response = await handlers.store_busy(request, error)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
