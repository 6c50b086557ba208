"""Play a flow: the form that starts a scripted flow (sandbox/ui/player.py) and the plays with every step
they sent, each linked to its journal entry and to the webhook events its order raised."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandbox.auth import tenancy
from sandbox.core.errors import SandboxError
from sandbox.domain.journal import JournalEntry
from sandbox.runtime import Sandbox
from sandbox.runtime.tenants import Tenants
from sandbox.ui import player, views
from sandbox.ui.common import PREFIX, bad_field, render, sandbox_of, submit
from sandbox.ui.orders_pages import TIMELINE_REQUESTS

router = APIRouter(include_in_schema=False)  # mounted under PREFIX by sandbox/ui/router.py
SHOWN = 10  # plays on the page, newest first


@router.get("/plays")
def plays(request: Request) -> Response:
    sandbox = sandbox_of(request)
    with sandbox.store.session() as session:
        partners = [partner.username for partner in views.partners(session)]
    return render(
        request,
        "plays.html",
        "plays",
        plays=_plays(sandbox),
        partners=partners,
        scripts=player.SCRIPTS,
        speeds=player.SPEEDS_MS,
    )


@router.post("/plays")
async def start(request: Request) -> Response:
    """Start a play on a fresh customer; it runs on in this process while the page follows it."""
    loop = asyncio.get_running_loop()
    tenants: Tenants = request.app.state.tenants
    tenant = tenancy.tenant_of(request.scope)
    base_url = str(request.base_url)

    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        speed = form.get("speed", "normal")
        if speed not in player.SPEEDS_MS:
            raise bad_field("speed", "literal_error", expected=", ".join(player.SPEEDS_MS))
        asked = player.PlayRequest.model_validate(
            {
                "script": form.get("script", ""),
                "partner": form.get("partner", ""),
                "pause_ms": player.SPEEDS_MS[speed],
            }
        )
        with sandbox.store.session() as session:
            views.partner_named(session, asked.partner)
        username = tenants.username_of(tenant, asked.partner)
        password = tenants.password(username) if username else None
        if username is None or password is None:
            raise bad_field("partner", "partner_not_found")
        play_id = player.start(request.app, loop, sandbox, tenant, base_url, asked, (username, password))
        return f"Play {play_id} started: {player.SCRIPTS[asked.script]}."

    return await submit(request, f"{PREFIX}/plays", act)


def _plays(sandbox: Sandbox) -> list[dict[str, Any]]:
    """The newest plays; beside each step, its journal entry (partner calls) and the webhook events of the
    statuses its order entered then."""
    shown = player.plays(sandbox, SHOWN)
    try:
        journal: list[JournalEntry] = sandbox.journal.query(limit=TIMELINE_REQUESTS)
    except SandboxError:  # the journal's file failed: the steps still show, unlinked
        journal = []
    tagged = {
        value: entry
        for entry in journal
        for name, value in entry.request_headers.items()
        if name.lower() == player.PLAY_HEADER.lower()
    }
    with sandbox.store.session() as session:
        for play in shown:
            events = (
                views.webhook_events(session, order=play["order_guid"], limit=50)
                if play["order_guid"]
                else []
            )
            for step in play["steps"]:
                step["journal"] = tagged.get(step["tag"])
                step["events"] = [
                    event for event in reversed(events) if event["status_name"] in step["entered"]
                ]
    return shown
