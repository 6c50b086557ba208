"""Retries: non-2xx, timeouts and refused connections are retried with backoff on the sandbox clock."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

import pytest

from sandbox.core import dates
from sandbox.domain.webhooks import sender
from sandbox.testing.server import SandboxServer
from tests.support.trading import FROZEN_AT
from tests.support.webhooks import (
    StartServer,
    attempt_rows,
    configure,
    deliveries,
    events,
    flush,
    partner,
    seeded_order,
    without_worker,
)
from tests.webhooks.receiver import Receiver


def pushed(server: SandboxServer) -> int:
    """Push a seeded order: one `order.pushed` event; returns its id."""
    with partner(server) as http:
        response = http.post("/partner/order", json={"guid": seeded_order(server).guid, "push_hook": True})
    assert response.status_code == 200, response.text
    return events(server)[-1].id


def test_retry_waits_for_the_backoff_on_the_sandbox_clock(server: SandboxServer, receiver: Receiver) -> None:
    receiver.status = 500
    configure(server, receiver.url)
    pushed(server)
    clock = server.sandbox.clock
    seen = []

    for step in (0, 29, 1, 59, 1, 119, 1):
        clock.advance(step)
        flush(server)
        seen.append(len(receiver.calls()))

    assert seen == [1, 1, 2, 2, 3, 3, 4]


def test_retry_schedule_doubles_from_the_backoff_setting(server: SandboxServer, receiver: Receiver) -> None:
    receiver.status = 503
    configure(server, receiver.url)
    pushed(server)
    clock = server.sandbox.clock

    schedule = []
    for _ in range(3):
        flush(server)
        [event] = deliveries(server)
        schedule.append(event["next_attempt_at"])
        clock.advance((datetime.fromisoformat(event["next_attempt_at"]) - clock.now()).total_seconds())

    assert schedule == [
        dates.iso(FROZEN_AT + timedelta(seconds=30)),
        dates.iso(FROZEN_AT + timedelta(seconds=30 + 60)),
        dates.iso(FROZEN_AT + timedelta(seconds=30 + 60 + 120)),
    ]


def test_receiver_down_for_three_attempts_gets_exactly_one_delivery_on_the_fourth(
    server: SandboxServer, receiver: Receiver
) -> None:
    receiver.answers = [500, 500, 500]
    configure(server, receiver.url)
    event_id = pushed(server)

    for wait in (0, 30, 60, 120):
        server.sandbox.clock.advance(wait)
        flush(server)
    server.sandbox.clock.advance(3600)
    flush(server, everything="true")

    assert receiver.successes() == {str(event_id): 1}
    assert [c.answered for c in receiver.calls()] == [500, 500, 500, 200]
    assert [(row.attempt, row.status_code) for row in attempt_rows(server, event_id)] == [
        (1, 500),
        (2, 500),
        (3, 500),
        (4, 200),
    ]
    [event] = events(server)
    assert (event.state, event.attempts) == ("delivered", 4)


def test_event_fails_after_max_attempts_and_is_not_sent_again(
    start_server: StartServer, receiver: Receiver
) -> None:
    server = without_worker(start_server(webhook_max_attempts=3))
    receiver.status = 500
    configure(server, receiver.url)
    pushed(server)

    results = []
    for wait in (0, 30, 60):
        server.sandbox.clock.advance(wait)
        results.append(flush(server))
    server.sandbox.clock.advance(86_400)
    flush(server, everything="true")

    assert len(receiver.calls()) == 3
    assert results[-1] == {"delivered": 0, "failed": 1, "retrying": 0, "pending": 0}
    [event] = deliveries(server)
    assert (event["state"], event["attempts"], event["next_attempt_at"]) == ("failed", 3, None)


@pytest.mark.parametrize("status", [302, 400, 404, 500, 503])
def test_any_non_2xx_answer_is_a_failed_attempt(
    server: SandboxServer, receiver: Receiver, status: int
) -> None:
    receiver.status = status
    configure(server, receiver.url)
    event_id = pushed(server)

    flush(server)

    [row] = attempt_rows(server, event_id)
    assert (row.status_code, row.error) == (status, None)
    [event] = events(server)
    assert (event.state, event.next_attempt_at) == ("pending", FROZEN_AT + timedelta(seconds=30))


def test_timeout_counts_as_a_failed_attempt(start_server: StartServer, receiver: Receiver) -> None:
    server = start_server(webhook_timeout_seconds=0.3)
    receiver.delay = 1.0
    configure(server, receiver.url)
    event_id = pushed(server)

    flush(server)

    [row] = attempt_rows(server, event_id)
    assert row.status_code is None
    assert row.error.startswith("timeout")
    assert row.duration_ms >= 250
    [event] = events(server)
    assert (event.state, event.attempts, event.next_attempt_at) == (
        "pending",
        1,
        FROZEN_AT + timedelta(seconds=30),
    )


def test_refused_connection_counts_as_a_failed_attempt(server: SandboxServer) -> None:
    without_worker(server)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    configure(server, f"http://127.0.0.1:{closed_port}/hooks")
    event_id = pushed(server)

    counts = flush(server)

    [row] = attempt_rows(server, event_id)
    assert (row.status_code, row.error.split(":")[0]) == (None, "ConnectError")
    assert counts == {"delivered": 0, "failed": 0, "retrying": 1, "pending": 1}


def test_receiver_answer_is_kept_up_to_two_kib(server: SandboxServer, receiver: Receiver) -> None:
    receiver.reply = b"x" * 5000
    configure(server, receiver.url)
    event_id = pushed(server)

    flush(server)

    [row] = attempt_rows(server, event_id)
    assert row.response_body == "x" * sender.RESPONSE_BODY_LIMIT
    assert sender.RESPONSE_BODY_LIMIT == 2048
