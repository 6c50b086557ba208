"""The partner's envelope as Starlette responses: what routes and middlewares answer with.

The envelope itself (its JSON bytes, `ok_body`, `fail_body`) is framework-free, in core/envelope.py.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sandbox.core.envelope import JSON_MEDIA_TYPE, dumps, fail_body, ok_body
from sandbox.core.errors import SandboxError


def ok(data: Any, status_code: int = 200) -> Response:
    return Response(dumps(ok_body(data)), status_code=status_code, media_type=JSON_MEDIA_TYPE)


def fail(error: SandboxError, locale: str) -> Response:
    response = Response(
        dumps(fail_body(error, locale)), status_code=error.status_code, media_type=JSON_MEDIA_TYPE
    )
    for name, value in error.headers:
        response.headers.append(name, value)
    return response
