"""Shared pieces of the reliability fuzzers: the app's own OpenAPI, its operations, the envelope rule.

The spec is built from `create_app` at collection time (an in-memory store, no server), so a new
route joins the fuzzers and the hostile-input table without editing them.
"""

from __future__ import annotations

import functools
from typing import Any

from sandbox.app import create_app
from sandbox.config import Settings

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@functools.cache
def app_instance() -> Any:
    """The app as `create_app` builds it (in-memory store; nothing is served)."""
    return create_app(Settings(database_url="sqlite://"))


@functools.cache
def app_spec() -> dict[str, Any]:
    return app_instance().openapi()


def operations(prefix: str = "/") -> list[tuple[str, str]]:
    """(METHOD, path template) of every OpenAPI operation under `prefix`, in spec order."""
    return [
        (method.upper(), path)
        for path, item in app_spec()["paths"].items()
        if path.startswith(prefix)
        for method in item
        if method in HTTP_METHODS
    ]


def operation(method: str, path: str) -> dict[str, Any]:
    return app_spec()["paths"][path][method.lower()]


def has_body(method: str, path: str) -> bool:
    return "requestBody" in operation(method, path)


def assert_error_envelope(body: Any, status: int) -> None:
    """The partner's failure envelope: `{"data": {"error": key, ...}, "success": false, "code":
    status, "message": non-empty}` and nothing else (never FastAPI's `{"detail": ...}`)."""
    assert isinstance(body, dict), body
    assert set(body) == {"data", "success", "code", "message"}, body
    assert body["success"] is False, body
    assert body["code"] == status, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    data = body["data"]
    assert isinstance(data, dict) and isinstance(data.get("error"), str) and data["error"], body
    assert set(data) <= {"error", "errors"}, body
    if "errors" in data:
        errors = data["errors"]
        assert isinstance(errors, dict) and errors, body
        for field, messages in errors.items():
            assert isinstance(field, str), body
            assert isinstance(messages, list) and messages, body
            assert all(isinstance(message, str) and message.strip() for message in messages), body


def registered_routes(app: Any) -> list[tuple[str, frozenset[str] | None]]:
    """(path, methods) of every route the app serves, included routers flattened (FastAPI ≥ 0.13x
    keeps them as `_IncludedRouter` entries); a mount has methods None."""
    found: list[tuple[str, frozenset[str] | None]] = []

    def visit(route: Any) -> None:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                visit(context)
            for context in route.effective_low_priority_routes():
                visit(context)
            return
        path = getattr(route, "path", None)
        assert path is not None, f"a route without a path: {route!r}"
        methods = getattr(route, "methods", None)
        found.append((path, frozenset(methods) - {"HEAD"} if methods else None))

    for route in app.routes:
        visit(route)
    return sorted(set(found), key=lambda item: (item[0], sorted(item[1] or ())))
