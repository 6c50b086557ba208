"""The webhook rows' label for an event not yet attempted, rendered from the dashboard's template: what
it says depends on whether the event's partner has an endpoint (the issue saw events delivered within a
second labelled "waiting for an endpoint")."""

from __future__ import annotations

import pytest

from sandbox.ui.common import ENV

EVENT = {
    "id": 7, "created_at": "2026-12-05T09:00:00+00:00", "partner": "demo", "event": "order.status_change",
    "order_code": None, "status_name": "Created", "state": "pending", "attempts": 0, "deliveries": [],
}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "label"),
    [
        ({"has_endpoint": True, "next_attempt_at": None}, "due now: sending"),
        ({"has_endpoint": False, "next_attempt_at": None}, "waiting for an endpoint"),
        (
            {"has_endpoint": True, "next_attempt_at": "2026-12-05T09:00:30+00:00"},
            "retry due 2026-12-05 12:00:30",
        ),
    ],
)
def test_a_pending_event_says_what_it_waits_for(changes: dict[str, object], label: str) -> None:
    html = ENV.get_template("_webhook_rows.html").render(events=[EVENT | changes], ui="/_sandbox/ui")

    assert f'data-testid="webhook-pending">{label}</span>' in html
