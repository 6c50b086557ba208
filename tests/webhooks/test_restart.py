"""Restart safety: the outbox is in the database, so a stopped sandbox loses and duplicates nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx

from sandbox.core.clock import Clock
from sandbox.domain.webhooks import sender
from sandbox.testing.server import SandboxServer
from tests.support.trading import FROZEN_AT
from tests.support.webhooks import (
    StartServer,
    attempt_rows,
    configure,
    events,
    flush,
    partner,
    seeded_order,
    without_worker,
)
from tests.webhooks.receiver import Receiver


def pushed(server: SandboxServer) -> int:
    with partner(server) as http:
        response = http.post("/partner/order", json={"guid": seeded_order(server).guid, "push_hook": True})
    assert response.status_code == 200, response.text
    return events(server)[-1].id


def test_restart_while_retrying_delivers_the_event_exactly_once(
    start_server: StartServer, receiver: Receiver
) -> None:
    first = start_server()
    receiver.answers = [500]
    configure(first, receiver.url)
    event_id = pushed(first)
    flush(first)
    first.stop()

    second = start_server(clock=Clock(frozen_at=FROZEN_AT))
    flush(second)
    assert len(receiver.calls()) == 1  # not due yet: the schedule survived the restart
    second.sandbox.clock.advance(30)
    flush(second)
    flush(second, everything="true")

    assert receiver.successes() == {str(event_id): 1}
    assert [c.answered for c in receiver.calls()] == [500, 200]
    assert [row.attempt for row in attempt_rows(second, event_id)] == [1, 2]
    assert [e.state for e in events(second)] == ["delivered"]


def test_restart_keeps_events_created_before_any_attempt(
    start_server: StartServer, receiver: Receiver
) -> None:
    first = without_worker(start_server())
    configure(first, receiver.url)
    event_id = pushed(first)
    first.stop()

    second = start_server()
    flush(second)

    assert receiver.successes() == {str(event_id): 1}


def test_attempt_in_flight_is_not_sent_twice_while_its_lease_holds(
    server: SandboxServer, receiver: Receiver
) -> None:
    without_worker(server)
    configure(server, receiver.url)
    pushed(server)
    claim = sender.claim_next(
        server.sandbox, after=0, everything=False, base_url=server.url, lease_clock=Clock()
    )

    counts = flush(server, everything="true")

    assert claim is not None
    assert receiver.calls() == []
    assert counts["pending"] == 1


def test_crash_after_the_receiver_got_it_resends_once_with_the_same_delivery_id(
    server: SandboxServer, receiver: Receiver
) -> None:
    """The documented at-least-once edge: sent, then the sender died before recording the answer."""
    without_worker(server)
    configure(server, receiver.url)
    event_id = pushed(server)
    claim = sender.claim_next(
        server.sandbox, after=0, everything=False, base_url=server.url, lease_clock=Clock()
    )
    with httpx.Client() as http:
        sender.post(http, claim, 5)  # the receiver has it; the outcome is never recorded

    after_lease = Clock(frozen_at=claim.lease + timedelta(seconds=1))
    counts = sender.deliver_due(server.sandbox, lease_clock=after_lease)

    assert [c.delivery for c in receiver.calls()] == [str(event_id), str(event_id)]
    assert counts == {"delivered": 1, "failed": 0, "retrying": 0, "pending": 0}
    rows = attempt_rows(server, event_id)
    assert [(r.attempt, r.status_code, r.error) for r in rows] == [
        (1, None, sender.INTERRUPTED),
        (2, 200, None),
    ]


def test_late_answer_of_a_superseded_attempt_does_not_change_the_event(
    server: SandboxServer, receiver: Receiver
) -> None:
    without_worker(server)
    configure(server, receiver.url)
    event_id = pushed(server)
    stale = sender.claim_next(
        server.sandbox, after=0, everything=False, base_url=server.url, lease_clock=Clock()
    )
    after_lease = Clock(frozen_at=stale.lease + timedelta(seconds=1))
    sender.deliver_due(server.sandbox, lease_clock=after_lease)

    outcome = sender.Outcome(status_code=500, error=None, duration_ms=7, response_body="late")
    result = sender.record(server.sandbox, stale, outcome)

    assert result == "superseded"
    [event] = events(server)
    assert (event.state, event.id) == ("delivered", event_id)
    assert [(r.attempt, r.status_code) for r in attempt_rows(server, event_id)] == [(1, 500), (2, 200)]
