"""One renderer for every failure: the partner's error envelope, never FastAPI's `{"detail": ...}`."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.core import i18n
from sandbox.core.errors import MethodNotAllowed, NotFound, SandboxError, ValidationFailed, field_errors
from sandbox.responses import fail
from sandbox.store.errors import failure_of, unavailable

log = logging.getLogger("sandbox")


def _locale(request: Request) -> str:
    return i18n.pick_locale(request.headers.get("accept-language"))


async def sandbox_error(request: Request, error: SandboxError) -> Response:
    return fail(error, _locale(request))


async def validation_error(request: Request, error: RequestValidationError) -> Response:
    problems = error.errors()
    if any(problem["type"] == "json_invalid" for problem in problems):
        return fail(ValidationFailed("malformed_json"), _locale(request))
    return fail(ValidationFailed(errors=field_errors(problems)), _locale(request))


async def http_error(request: Request, error: StarletteHTTPException) -> Response:
    if error.status_code == 405:
        # RFC 9110: a 405 lists the methods the route does allow (Starlette puts them in `Allow`).
        allowed = [(name, value) for name, value in (error.headers or {}).items() if name.lower() == "allow"]
        return fail(MethodNotAllowed(params={"method": request.method}, headers=allowed), _locale(request))
    if error.status_code == 404:
        return fail(NotFound(), _locale(request))
    return fail(SandboxError("http_error", status_code=error.status_code), _locale(request))


async def store_busy(request: Request, error: DBAPIError | sqlite3.Error) -> Response:
    """A database error the store did not turn into `store_unavailable` itself (sandbox/store/db.py):
    SQLite gave up waiting for a lock (`store_busy`: held past `BUSY_TIMEOUT` by a writer outside the
    sandbox, such as a sqlite3 shell; the sandbox's own writers take turns, sandbox/store/gate.py), or
    the store is failing (`store_unavailable`); both retryable 503s, not crashes. Anything else is a
    bug: 500."""
    reason = failure_of(error)
    if reason is not None:
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, reason)
        return fail(unavailable(), _locale(request))
    if "locked" not in str(error) and "busy" not in str(error):
        return await unexpected_error(request, error)
    log.warning("store busy on %s %s", request.method, request.url.path)
    return fail(SandboxError("store_busy", headers=[("Retry-After", "1")]), _locale(request))


async def unexpected_error(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return fail(SandboxError(), _locale(request))


class MiddlewareErrors:
    """ASGI middleware: a `SandboxError` raised by a middleware inside it (the fault rules loading from
    a failing store) is answered like a route's, never as a 500.

    Exception handlers only cover the router; errors raised in user middlewares would otherwise reach
    the outermost handler, which always answers 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except SandboxError as error:
            if started:
                raise
            request = Request(scope, receive)
            await (await sandbox_error(request, error))(scope, receive, send)


def install(app: FastAPI) -> None:
    """The exception handlers (`MiddlewareErrors` is in create_app's middleware list)."""
    # Each handler takes its own exception type (`Any` here): Starlette's signature says `Exception`.
    handlers: list[tuple[type[Exception], Callable[[Request, Any], Awaitable[Response]]]] = [
        (SandboxError, sandbox_error),
        (RequestValidationError, validation_error),
        (StarletteHTTPException, http_error),
        (DBAPIError, store_busy),
        (sqlite3.Error, store_busy),
        (Exception, unexpected_error),
    ]
    for kind, handler in handlers:
        app.add_exception_handler(kind, handler)
