"""OpenAPI helpers for partner routes: fidelity markers and the documented error responses."""

from __future__ import annotations

from typing import Any, Literal

from sandbox.partner.schemas import ErrorEnvelope

ERROR_DESCRIPTIONS = {
    400: "Digest `uri` does not match the request target, or the Authorization header is too large",
    401: "Digest authentication failed (a fresh `WWW-Authenticate` challenge is attached)",
    403: "Forbidden",
    404: "Unknown id (another partner's ids are unknown too)",
    409: "Duplicate external_id",
    413: "Body larger than the limit",
    415: "Body is not application/json",
    422: "Parameter Error",
}


def route(
    fidelity: Literal["documented", "sandbox-decision"], *errors: int, model: Any = None
) -> dict[str, Any]:
    """Keyword arguments for a partner route decorator."""
    codes = sorted({400, 401, 422, *errors})
    responses: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorEnvelope, "description": ERROR_DESCRIPTIONS[code]} for code in codes
    }
    if model is not None:
        responses[200] = {"model": model, "description": "Success envelope"}
    return {"openapi_extra": {"x-fidelity": fidelity}, "responses": responses, "response_model": None}
