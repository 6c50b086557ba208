"""OpenAPI helpers for partner routes: fidelity markers and the documented error responses."""

from __future__ import annotations

from typing import Any, Literal

from sandbox.wire.base import ErrorEnvelope

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


def _header(name: str, description: str, *, title: str) -> dict[str, Any]:
    schema = {"anyOf": [{"type": "string"}, {"type": "null"}], "description": description, "title": title}
    return {"name": name, "in": "header", "required": False, "schema": schema, "description": description}


# The headers `deps.partner_context` reads on every partner route (docs.py marks x-client-id required).
PARTNER_HEADERS = [
    _header("x-client-id", "Required. The docs' default is `web`.", title="X-Client-Id"),
    _header("api-version", "`2` or `3`; `3` when absent.", title="Api-Version"),
    _header("Accept-Language", "`tr` (default) or `en`.", title="Accept-Language"),
]


Fidelity = Literal["documented", "partly documented", "sandbox-decision"]


def route(
    fidelity: Fidelity,
    *errors: int,
    model: Any = None,
    invented: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for a partner route decorator. `fidelity`: the request and answer are as the
    partner documents them, partly (`invented` names what is the sandbox's), or a sandbox decision."""
    if (fidelity == "partly documented") != (invented is not None):
        raise ValueError("a partly documented route names its invented parts, and only it")
    codes = sorted({400, 401, 422, *errors})
    responses: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorEnvelope, "description": ERROR_DESCRIPTIONS[code]} for code in codes
    }
    if model is not None:
        responses[200] = {"model": model, "description": "Success envelope"}
    extra: dict[str, Any] = {"x-fidelity": fidelity}
    if invented is not None:
        extra["x-fidelity-invented"] = invented
    return {
        "openapi_extra": {**extra, "parameters": PARTNER_HEADERS},
        "responses": responses,
        "response_model": None,
    }
