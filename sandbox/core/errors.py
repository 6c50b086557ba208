"""The sandbox's error family. Services raise these; one handler renders the partner's envelope."""

from __future__ import annotations

from collections.abc import Mapping

# A field error: (message key, its parameters), localized only when the response is rendered.
FieldError = tuple[str, Mapping[str, object]]


class SandboxError(Exception):
    """An error a client sees: HTTP status, stable key (`data.error`) and a localized message."""

    status_code = 500
    key = "internal_error"

    def __init__(
        self,
        key: str | None = None,
        *,
        params: Mapping[str, object] | None = None,
        errors: Mapping[str, list[FieldError]] | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.key = key or type(self).key
        self.params = dict(params or {})
        self.errors = dict(errors) if errors else None
        self.headers = headers or []
        super().__init__(self.key)


class BadRequest(SandboxError):
    status_code = 400


class Unauthorized(SandboxError):
    status_code = 401
    key = "authentication_required"


class Forbidden(SandboxError):
    status_code = 403


class NotFound(SandboxError):
    status_code = 404
    key = "route_not_found"


class MethodNotAllowed(SandboxError):
    status_code = 405
    key = "method_not_allowed"


class Conflict(SandboxError):
    status_code = 409


class PayloadTooLarge(SandboxError):
    status_code = 413
    key = "payload_too_large"


class UnsupportedMediaType(SandboxError):
    status_code = 415
    key = "unsupported_media_type"


class ValidationFailed(SandboxError):
    status_code = 422
    key = "validation_failed"
