"""Wire models of the webhook controls and of the payload the sandbox POSTs (sandbox decisions)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sandbox.wire.base import WireModel

EventName = Literal["order.status_changed", "order.pushed"]
EventState = Literal["pending", "delivered", "failed"]


class WebhookConfigRequest(WireModel):
    partner: str = Field(min_length=1, max_length=64, description="The partner's Digest username")
    url: str = Field(
        max_length=2048,
        pattern=r"^https?://[^\s/?#]+[^\s]*$",
        description="http or https endpoint the partner's events are POSTed to",
    )
    secret: str | None = Field(
        None,
        min_length=8,
        max_length=256,
        pattern=r"^[!-~]+$",
        description='Signing secret; omitted: keep the current one, or generate "whsec_" + 32 alphanumerics',
    )


class WebhookConfig(WireModel):
    partner: str = Field(description="The partner's Digest username")
    url: str | None = Field(description="null: the partner's events wait in the outbox")
    secret: str | None


class DeliveryAttempt(WireModel):
    attempt: int = Field(description="1, 2, ... over the event's life (a redelivery continues the count)")
    url: str
    started_at: str = Field(description="ISO 8601 +03:00, sandbox clock")
    status_code: int | None = Field(description="null: no HTTP answer (timeout, connection error)")
    error: str | None
    duration_ms: int | None
    response_body: str | None = Field(description="The receiver's answer, first 2 KiB")


class WebhookEventView(WireModel):
    id: int = Field(description="The event id, sent as X-Minted-Delivery")
    partner: str
    event: EventName
    order_guid: str | None
    order_code: str | None
    status_id: int | None = Field(description="The status the event announces (null on order.pushed)")
    status_name: str | None
    state: EventState
    attempts: int = Field(description="Attempts since the event was (re)queued")
    created_at: str
    next_attempt_at: str | None = Field(description="When the next attempt is due (sandbox clock)")
    delivered_at: str | None
    deliveries: list[DeliveryAttempt] = Field(description="Every attempt, oldest first")


class FlushResult(WireModel):
    delivered: int = Field(description="Events delivered by this flush")
    failed: int = Field(description="Events that used their last attempt in this flush")
    retrying: int = Field(description="Events whose attempt failed and that are scheduled again")
    pending: int = Field(description="Events still pending in the outbox afterwards (retrying included)")


class WebhookPayload(WireModel):
    """The body POSTed to a partner's endpoint."""

    event: EventName
    data: dict[str, Any] | None = Field(
        description="The order as Get Order renders it, in the event's status"
    )
    sent_at: str = Field(description="ISO 8601 +03:00, sandbox clock")
