"""The sandbox's error family. Services raise these; one handler renders the partner's envelope.

The HTTP status of an error is its key's status in the catalogue (`sandbox.core.i18n.MESSAGES`), so the
table in docs/errors.md, the OpenAPI description and the responses cannot disagree. Subclasses only name a
default key, for readable `raise NotFound()` call sites.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.core import i18n

# A field error: (message key, its parameters), localized only when the response is rendered.
FieldError = tuple[str, Mapping[str, object]]


class SandboxError(Exception):
    """An error a client sees: stable key (`data.error`), HTTP status and a localized message."""

    key = "internal_error"

    def __init__(
        self,
        key: str | None = None,
        *,
        params: Mapping[str, object] | None = None,
        errors: Mapping[str, list[FieldError]] | None = None,
        headers: list[tuple[str, str]] | None = None,
        status_code: int | None = None,
    ) -> None:
        self.key = key or type(self).key
        if self.key not in i18n.MESSAGES:
            raise KeyError(f"{self.key!r} is not in the error catalogue")
        self.status_code = status_code or i18n.status_of(self.key)
        self.params = dict(params or {})
        self.errors = dict(errors) if errors else None
        self.headers = headers or []
        super().__init__(self.key)


class Unauthorized(SandboxError):
    key = "authentication_required"


class NotFound(SandboxError):
    key = "route_not_found"


class MethodNotAllowed(SandboxError):
    key = "method_not_allowed"


class PayloadTooLarge(SandboxError):
    key = "payload_too_large"


class UnsupportedMediaType(SandboxError):
    key = "unsupported_media_type"


class ValidationFailed(SandboxError):
    key = "validation_failed"


_LOCATIONS = {"body", "query", "header", "path", "cookie"}


def field_errors(problems: Iterable[Mapping[str, Any]], prefix: str = "") -> dict[str, list[FieldError]]:
    """pydantic's error list → `data.errors`: field path → (message key, parameters).

    ("body", "items", 0, "amount") → "items.0.amount"; ("header", "x-client-id") → "x-client-id".
    """
    fields: dict[str, list[FieldError]] = {}
    for problem in problems:
        loc = tuple(problem["loc"])
        parts = list(loc[1:]) if loc and loc[0] in _LOCATIONS else list(loc)
        path = ".".join(str(part) for part in [*([prefix] if prefix else []), *parts])
        context = {
            k: str(v) if isinstance(v, Exception) else v for k, v in (problem.get("ctx") or {}).items()
        }
        fields.setdefault(path or prefix or "body", []).append((problem["type"], context))
    return fields
