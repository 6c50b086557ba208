"""One renderer for every failure: the partner's error envelope, never FastAPI's `{"detail": ...}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sandbox.core import i18n
from sandbox.core.envelope import fail
from sandbox.core.errors import MethodNotAllowed, NotFound, SandboxError, ValidationFailed

log = logging.getLogger("sandbox")
_LOCATIONS = {"body", "query", "header", "path", "cookie"}


def _locale(request: Request) -> str:
    return i18n.pick_locale(request.headers.get("accept-language"))


async def sandbox_error(request: Request, error: SandboxError) -> Response:
    return fail(error, _locale(request))


async def validation_error(request: Request, error: RequestValidationError) -> Response:
    problems = error.errors()
    if any(problem["type"] == "json_invalid" for problem in problems):
        return fail(ValidationFailed("malformed_json"), _locale(request))
    fields: dict[str, list[Any]] = {}
    for problem in problems:
        fields.setdefault(_field_path(problem["loc"]), []).append((problem["type"], _context(problem)))
    return fail(ValidationFailed(errors=fields), _locale(request))


async def http_error(request: Request, error: StarletteHTTPException) -> Response:
    if error.status_code == 405:
        # RFC 9110: a 405 lists the methods the route does allow (Starlette puts them in `Allow`).
        allowed = [(name, value) for name, value in (error.headers or {}).items() if name.lower() == "allow"]
        return fail(MethodNotAllowed(params={"method": request.method}, headers=allowed), _locale(request))
    if error.status_code == 404:
        return fail(NotFound(), _locale(request))
    return fail(SandboxError("http_error", status_code=error.status_code), _locale(request))


async def unexpected_error(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return fail(SandboxError(), _locale(request))


def install(app: FastAPI) -> None:
    app.add_exception_handler(SandboxError, sandbox_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)


def _field_path(loc: tuple[Any, ...]) -> str:
    """("body", "items", 0, "amount") → "items.0.amount"; ("header", "x-client-id") → "x-client-id"."""
    parts = list(loc[1:]) if loc and loc[0] in _LOCATIONS else list(loc)
    return ".".join(str(part) for part in parts) or str(loc[0] if loc else "body")


def _context(problem: dict[str, Any]) -> dict[str, object]:
    context = dict(problem.get("ctx") or {})
    if "error" in context:
        context["error"] = str(context["error"])
    return context
