"""The partner's JSON envelope: `{"data", "success", "code", "message"}` on every answer.

documented: success is `{"data": ..., "success": true, "code": 0, "message": ""}`.
sandbox decision (docs/design/contract.md §0): failures are
`{"data": {"error": <key>, "errors": {<field>: [msg]}}, "success": false, "code": <status>,
"message": <msg>}`.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sandbox.core import i18n
from sandbox.core.errors import SandboxError
from sandbox.core.money import to_json_number

JSON_MEDIA_TYPE = "application/json"


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return to_json_number(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# One encoder for every answer: json.dumps would build a new one per call for these options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_default)


def dumps(payload: Any) -> bytes:
    """Compact UTF-8 JSON (the same bytes Starlette's JSONResponse writes), Decimals as numbers."""
    return _ENCODER.encode(payload).encode("utf-8")


def ok_body(data: Any) -> dict[str, Any]:
    return {"data": data, "success": True, "code": 0, "message": ""}


def fail_body(error: SandboxError, locale: str) -> dict[str, Any]:
    data: dict[str, Any] = {"error": error.key}
    if error.errors:
        data["errors"] = {
            field: [i18n.field_message(key, locale, params) for key, params in messages]
            for field, messages in error.errors.items()
        }
    return {
        "data": data,
        "success": False,
        "code": error.status_code,
        "message": i18n.message(error.key, locale, error.params),
    }
