"""One renderer for every failure: the partner's error envelope, never FastAPI's `{"detail": ...}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sandbox.core import i18n
from sandbox.core.envelope import fail
from sandbox.core.errors import MethodNotAllowed, NotFound, SandboxError, ValidationFailed, field_errors

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


async def store_busy(request: Request, error: OperationalError) -> Response:
    """SQLite gave up waiting for its write lock: a retryable 503, not a crash."""
    if "locked" not in str(error) and "busy" not in str(error):
        return await unexpected_error(request, error)
    log.warning("store busy on %s %s", request.method, request.url.path)
    return fail(SandboxError("store_busy", headers=[("Retry-After", "1")]), _locale(request))


async def unexpected_error(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return fail(SandboxError(), _locale(request))


def install(app: FastAPI) -> None:
    app.add_exception_handler(SandboxError, sandbox_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OperationalError, store_busy)
    app.add_exception_handler(Exception, unexpected_error)
