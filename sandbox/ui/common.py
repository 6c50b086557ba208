"""What every dashboard route shares: the templates, number formats, form posts and their redirects.

A form post reads `application/x-www-form-urlencoded` with `parse_qs` (no python-multipart), refuses
posts from other sites (the control API is open without a token, so a page elsewhere must not be able
to reset the sandbox), runs its action off the event loop and redirects back with `?flash=` or
`?error=` (post/redirect/get). Errors are the sandbox's own (`SandboxError`, pydantic validation of
the control API's models), shown in English on the page.

Every page shows one world: the default one, or the tenant the `sandbox_tenant` cookie names (the
layout's selector sets it; sandbox/auth/tenancy.py picks the world). When that tenant is gone (removed,
expired), pages show the default world, say so and clear the cookie, and form posts do nothing: a
button pressed on the tenant's page must not act on the default world instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sandbox.auth import tenancy
from sandbox.catalog import CURRENCIES, STATUS_NAMES
from sandbox.control.world_router import clock_view
from sandbox.core.clock import ISTANBUL
from sandbox.core.envelope import fail_body
from sandbox.core.errors import FieldError, SandboxError, ValidationFailed, field_errors
from sandbox.core.money import grams, money
from sandbox.core.pagination import last_page
from sandbox.runtime import Sandbox
from sandbox.runtime.tenants import Tenants

PREFIX = "/_sandbox/ui"
# Statuses in the order a flow's story is told: starts, the steps on the way, Completed and what can
# follow it, Cancelled last (the catalogue numbers them in the order the partner docs named them).
STATUS_ORDER = (
    "Created",
    "Pending",
    "Payment Confirmed",
    "Processing",
    "Preparing",
    "Packed",
    "Shipped",
    "Transferring",
    "Completed",
    "Refunding",
    "Refunded",
    "Cancelled",
)
HERE = Path(__file__).resolve().parent
LOCALE = "en"
PER_PAGE = 25
# Nothing loads from elsewhere and forms only post back here (no CDN can sneak in).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _amount(value: Decimal | None, asset: str) -> str:
    """Cash to 2 dp, metal grams to 4 dp: Decimal text, never a float."""
    if value is None:
        return "—"
    return str(money(value) if asset in CURRENCIES else grams(value))


def _slug(text: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def when(value: datetime | str | None) -> str:
    """Every instant the dashboard shows, in one form: Istanbul wall time to the second."""
    if value is None:
        return "—"
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M:%S")


def _pretty(text: str) -> str:
    """A JSON body indented for reading (anything else, a cut-off body included, as it is)."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _http_class(status: int | None) -> str:
    if status is None:
        return "bad"
    return "good" if status < 300 else "warn" if status < 500 else "bad"


ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(
    money=lambda value: "—" if value is None else str(money(value)),
    grams=lambda value: "—" if value is None else str(grams(value)),
    amount=_amount,
    slug=_slug,
    when=when,
    pretty=_pretty,
    http_class=_http_class,
    status_name=STATUS_NAMES.get,
)


def sandbox_of(request: Request) -> Sandbox:
    return tenancy.sandbox_of(request.scope)


def tenant_ids(request: Request) -> list[str]:
    """Every tenant, oldest first (blocking: it may read the registry)."""
    tenants: Tenants = request.app.state.tenants
    return [tenant.id for tenant in tenants.all()]


def _here(request: Request) -> str:
    """The page's own path and query, without its one-off message: where the world selector comes back to."""
    kept = [
        (name, value) for name, value in request.query_params.multi_items() if name not in ("flash", "error")
    ]
    path: str = request.scope["path"]
    return f"{path}?{urlencode(kept)}" if kept else path


def html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=SECURITY_HEADERS)


def fragment(template: str, **context: Any) -> HTMLResponse:
    """A piece of a page the script polls for (no layout)."""
    return html(ENV.get_template(template).render(**context))


def render(
    request: Request, template: str, section: str, http_status: int = 200, /, **context: Any
) -> HTMLResponse:
    """A whole page: the layout's nav, world selector, sandbox clock and flash message around `template`."""
    query = request.query_params
    gone = tenancy.gone_tenant_of(request.scope)
    page = ENV.get_template(template).render(
        section=section,
        clock=clock_view(sandbox_of(request).clock),
        tenants=tenant_ids(request),
        tenant=tenancy.tenant_of(request.scope),
        gone=gone,
        here=_here(request),
        flash=query.get("flash"),
        error=context.pop("error", None) or query.get("error"),
        **context,
    )
    response = html(page, http_status)
    if gone:
        response.delete_cookie(tenancy.TENANT_COOKIE, path=PREFIX)
    return response


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", "", status, title=title, message=message)


def describe(error: SandboxError) -> str:
    """The error's English message, with its field messages: what the page shows."""
    body = fail_body(error, LOCALE)
    fields = body["data"].get("errors") or {}
    details = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
    return f"{body['message']} ({details})" if details else body["message"]


def invalid(error: ValidationError) -> ValidationFailed:
    """A pydantic refusal of a control-API model, as the API itself would report it."""
    return ValidationFailed(errors=field_errors(error.errors()))


def bad_field(field: str, key: str, **params: object) -> ValidationFailed:
    problem: FieldError = (key, params)
    return ValidationFailed(errors={field: [problem]})


def with_query(base: str, /, **params: object) -> str:
    """`base` with `params` added to its query (None and "" left out)."""
    kept = {name: value for name, value in params.items() if value not in (None, "")}
    if not kept:
        return base
    return f"{base}{'&' if '?' in base else '?'}{urlencode(kept)}"


def redirect(base: str, /, **params: object) -> RedirectResponse:
    return RedirectResponse(with_query(base, **params), status_code=303)


ENV.globals.update(ui=PREFIX, with_query=with_query)


# -- paging ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paging:
    page: int
    last: int
    total: int
    first_item: int
    last_item: int


def paging(page: int, total: int, shown: int, per_page: int = PER_PAGE) -> Paging:
    first = (page - 1) * per_page + 1 if shown else 0
    return Paging(page, last_page(total, per_page), total, first, first + shown - 1 if shown else 0)


def page_number(text: str | None) -> int:
    """The `page` query parameter: a whole number from 1 (absent: 1)."""
    if text is None or text == "":
        return 1
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise bad_field("page", "int_parsing")
    return int(text)


# -- form posts --------------------------------------------------------------------------------------


class Missing(Exception):
    """What a form acts on does not exist (an unknown order): a 404 page, not a redirect back to it."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title, self.message = title, message


Action = Callable[[Sandbox, dict[str, str]], str]


def parse_form(body: bytes) -> dict[str, str]:
    """A browser's form body: field → its first value, trimmed."""
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0].strip() for name, values in fields.items()}


async def submit(request: Request, back: str, action: Action) -> Response:
    """Run a form's action, then redirect to `back` with its message or the error it raised. A post
    from another site's page never gets here: ControlGate refuses it (403 `foreign_origin`)."""
    gone = tenancy.gone_tenant_of(request.scope)
    if gone:
        return redirect(back, error=f"Tenant {gone} no longer exists: nothing was done.")
    form = parse_form(await request.body())
    return await run_in_threadpool(_attempt, request, back, action, form)


def _attempt(request: Request, back: str, action: Action, form: dict[str, str]) -> Response:
    try:
        message = action(sandbox_of(request), form)
    except Missing as missing:
        return error_page(request, 404, missing.title, missing.message)
    except ValidationError as error:
        return redirect(back, error=describe(invalid(error)))
    except SandboxError as error:
        return redirect(back, error=describe(error))
    return redirect(back, flash=message)
