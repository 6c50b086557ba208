"""Sandbox control: Webhook configuration and deliveries (under /_sandbox, no Digest)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from sandbox.control.router import control
from sandbox.control.webhook_schemas import (
    EventState,
    FlushResult,
    WebhookConfig,
    WebhookConfigRequest,
    WebhookEventView,
)
from sandbox.domain.webhooks import config, log
from sandbox.partner.deps import SandboxDep
from sandbox.responses import ok
from sandbox.wire.base import Envelope

router = APIRouter(prefix="/_sandbox", tags=["Sandbox control"])


@router.get("/webhooks", **control(Envelope[list[WebhookConfig]]))
def list_webhooks(sandbox: SandboxDep) -> Response:
    """Every partner's webhook URL and signing secret (null when it has none)."""
    with sandbox.store.session() as session:
        return ok(config.configs(session))


@router.put("/webhooks", **control(Envelope[WebhookConfig], 404, 422))
def configure_webhook(body: WebhookConfigRequest, sandbox: SandboxDep) -> Response:
    """Set a partner's webhook URL (and secret; generated when none is given or stored)."""
    with sandbox.store.session(write=True) as session:
        return ok(config.configure(session, body.partner, body.url, body.secret))


@router.delete("/webhooks/{partner}", **control(Envelope[WebhookConfig], 404))
def clear_webhook(partner: str, sandbox: SandboxDep) -> Response:
    """Remove a partner's webhook URL and secret; its events then wait in the outbox."""
    with sandbox.store.session(write=True) as session:
        return ok(config.clear(session, partner))


@router.get("/webhooks/deliveries", **control(Envelope[list[WebhookEventView]], 404, 422))
def list_deliveries(
    sandbox: SandboxDep,
    partner: Annotated[str | None, Query(description="A partner's Digest username")] = None,
    state: Annotated[EventState | None, Query(description="pending, delivered or failed")] = None,
    order: Annotated[str | None, Query(description="The order's guid or order_code")] = None,
    limit: Annotated[int, Query(ge=1, le=log.LIST_LIMIT)] = log.LIST_LIMIT,
) -> Response:
    """Outbox events with every delivery attempt, newest first (at most 500)."""
    with sandbox.store.session() as session:
        return ok(log.list_events(session, partner=partner, state=state, order=order, limit=limit))


@router.post("/webhooks/deliveries/{event_id}/redeliver", **control(Envelope[WebhookEventView], 404, 422))
def redeliver(event_id: int, sandbox: SandboxDep) -> Response:
    """Queue a delivered or failed event again, due now, with a fresh budget of attempts."""
    with sandbox.store.session(write=True) as session:
        return ok(log.redeliver(session, event_id, sandbox.clock.now()))


@router.post("/webhooks/flush", **control(Envelope[FlushResult], 422))
def flush(
    sandbox: SandboxDep,
    everything: Annotated[
        bool, Query(description="Also send events whose next retry is not due yet")
    ] = False,
) -> Response:
    """Deliver every event due now, synchronously (for tests); answers what happened."""
    return ok(sandbox.webhooks.flush(everything=everything))
