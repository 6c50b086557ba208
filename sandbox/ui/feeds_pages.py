"""The live feeds: webhook deliveries (the outbox with every attempt) and the request journal (partner
requests, of every worker). Each page polls its rows every ~2 s; the rows come from the same services
as `GET /_sandbox/webhooks/deliveries` and `GET /_sandbox/requests`."""

from __future__ import annotations

from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from sandbox.control.webhook_schemas import EventState, WebhookConfigRequest
from sandbox.core.errors import SandboxError
from sandbox.domain.webhooks import config, log
from sandbox.runtime import Sandbox
from sandbox.ui import views
from sandbox.ui.common import (
    PREFIX,
    bad_field,
    describe,
    error_page,
    fragment,
    render,
    sandbox_of,
    submit,
    with_query,
)

router = APIRouter(include_in_schema=False)  # mounted under PREFIX by sandbox/ui/router.py
FEED_LIMIT = 100
STATES = get_args(EventState)


# -- webhooks ----------------------------------------------------------------------------------------


def _events(sandbox: Sandbox, query: QueryParams) -> tuple[dict[str, str], list[dict[str, Any]], str | None]:
    filters = {name: query.get(name, "").strip() for name in ("partner", "state")}
    try:
        if filters["partner"] and filters["partner"] not in sandbox.settings.partners:
            raise bad_field("partner", "partner_not_found")
        if filters["state"] and filters["state"] not in STATES:
            raise bad_field("state", "literal_error", expected=", ".join(STATES))
        with sandbox.store.session() as session:
            events = views.webhook_events(
                session, partner=filters["partner"] or None, state=filters["state"] or None, limit=FEED_LIMIT
            )
    except SandboxError as error:
        return filters, [], describe(error)
    return filters, events, None


@router.get("/webhooks")
def webhooks(request: Request) -> Response:
    sandbox = sandbox_of(request)
    filters, events, error = _events(sandbox, request.query_params)
    with sandbox.store.session() as session:
        endpoints = config.configs(session)
    return render(
        request,
        "webhooks.html",
        "webhooks",
        422 if error else 200,
        error=error,
        filters=filters,
        events=events,
        endpoints=endpoints,
        states=STATES,
        rows_url=with_query(f"{PREFIX}/webhooks/rows", **filters),
    )


@router.get("/webhooks/rows")
def webhook_rows(request: Request) -> Response:
    _, events, error = _events(sandbox_of(request), request.query_params)
    return fragment("_webhook_rows.html", events=events, rows_error=error)


@router.post("/webhooks/flush")
async def flush(request: Request) -> Response:
    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        counts = sandbox.webhooks.flush(everything=form.get("everything") == "1")
        return "Flushed: " + ", ".join(f"{count} {name}" for name, count in counts.items()) + "."

    return await submit(request, f"{PREFIX}/webhooks", act)


@router.post("/webhooks/{event_id}/redeliver")
async def redeliver(event_id: str, request: Request) -> Response:
    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        if not event_id.isascii() or not event_id.isdigit():
            raise bad_field("event_id", "int_parsing")
        with sandbox.store.session(write=True) as session:
            event = log.redeliver(session, int(event_id), sandbox.clock.now())
        return f"Event {event['id']} queued again ({event['event']}, {event['state']})."

    return await submit(request, f"{PREFIX}/webhooks", act)


@router.post("/webhooks/endpoint")
async def set_endpoint(request: Request) -> Response:
    """Set (or, with `clear=1`, remove) a partner's webhook URL and secret."""

    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        partner = form.get("partner", "")
        with sandbox.store.session(write=True) as session:
            if form.get("clear") == "1":
                config.clear(session, partner)
                return f"Webhook endpoint of {partner} removed; its events wait in the outbox."
            fields = {name: form[name] for name in ("partner", "url", "secret") if form.get(name)}
            body = WebhookConfigRequest.model_validate(fields)
            saved = config.configure(session, body.partner, body.url, body.secret)
        return f"Webhooks of {saved['partner']} now go to {saved['url']}."

    return await submit(request, f"{PREFIX}/webhooks", act)


# -- the request journal -----------------------------------------------------------------------------


def _entries(sandbox: Sandbox, query: QueryParams) -> tuple[dict[str, str], list[Any], str | None]:
    filters = {name: query.get(name, "").strip() for name in ("partner", "method", "status", "path")}
    status = filters["status"]
    if status and not (status.isascii() and status.isdigit() and 100 <= int(status) <= 599):
        return filters, [], describe(bad_field("status", "less_than_equal", le=599))
    entries = sandbox.journal.query(
        path=filters["path"] or None,
        method=filters["method"] or None,
        status=int(status) if status else None,
        partner=filters["partner"] or None,
        limit=FEED_LIMIT,
    )
    return filters, entries[::-1], None  # newest first


@router.get("/journal")
def journal(request: Request) -> Response:
    sandbox = sandbox_of(request)
    filters, entries, error = _entries(sandbox, request.query_params)
    return render(
        request,
        "journal.html",
        "journal",
        422 if error else 200,
        error=error,
        filters=filters,
        entries=entries,
        capacity=sandbox.settings.journal_size,
        partners=sorted(sandbox.settings.partners),
        rows_url=with_query(f"{PREFIX}/journal/rows", **filters),
    )


@router.get("/journal/rows")
def journal_rows(request: Request) -> Response:
    _, entries, error = _entries(sandbox_of(request), request.query_params)
    return fragment("_journal_rows.html", entries=entries, rows_error=error)


@router.get("/journal/{entry_id}")
def journal_entry(entry_id: str, request: Request) -> Response:
    """One request and its response: headers (secrets redacted) and bodies."""
    sandbox = sandbox_of(request)
    number = int(entry_id) if entry_id.isascii() and entry_id.isdigit() else None
    found = [e for e in sandbox.journal.query(since=number - 1, limit=1) if e.id == number] if number else []
    if not found:
        kept = sandbox.settings.journal_size
        message = f"The journal holds no request {entry_id!r} (it keeps the newest {kept})."
        return error_page(request, 404, "Request not found", message)
    return render(request, "journal_entry.html", "journal", entry=found[0])


@router.post("/journal/clear")
async def clear_journal(request: Request) -> Response:
    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        return f"Journal cleared: {sandbox.journal.clear()} requests removed."

    return await submit(request, f"{PREFIX}/journal", act)
