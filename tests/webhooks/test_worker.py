"""The background sender: delivers without a flush, survives a failing sweep, stops when asked."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event

from sandbox.core.clock import Clock
from sandbox.domain.webhooks import sender
from sandbox.runtime.worker import WebhookWorker
from sandbox.store.models import WebhookEvent
from sandbox.testing.server import SandboxServer
from tests.support.webhooks import configure, events, partner, seeded_order, without_worker
from tests.webhooks.receiver import Receiver


def push(server: SandboxServer) -> None:
    with partner(server) as http:
        response = http.post("/partner/order", json={"guid": seeded_order(server).guid, "push_hook": True})
    assert response.status_code == 200, response.text


def wait_for(condition, seconds: float = 10.0) -> bool:
    """Real-time wait for the background thread (the business clock stays frozen)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_background_worker_delivers_due_events_without_a_flush(
    server: SandboxServer, receiver: Receiver
) -> None:
    configure(server, receiver.url)

    push(server)

    assert wait_for(lambda: len(receiver.calls()) == 1)
    assert wait_for(lambda: [e.state for e in events(server)] == ["delivered"])


def test_worker_keeps_running_after_a_failing_sweep(
    server: SandboxServer, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_worker(server)
    real = sender.deliver_due
    failures = []

    def flaky(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("store went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(sender, "deliver_due", flaky)
    worker = WebhookWorker(server.sandbox, server.sandbox.tick, server.sandbox.sync)
    configure(server, receiver.url)
    push(server)

    worker.start()
    try:
        assert wait_for(lambda: len(receiver.calls()) == 1)
        assert failures == [1]
        assert worker.running
    finally:
        worker.stop()


def test_stop_joins_the_thread_and_leaves_pending_events_in_the_outbox(
    server: SandboxServer, receiver: Receiver
) -> None:
    worker = server.sandbox.webhooks
    assert worker.running

    worker.stop()
    configure(server, receiver.url)
    push(server)
    time.sleep(0.6)  # longer than two polls: a stopped worker sends nothing

    assert not worker.running
    assert receiver.calls() == []
    assert [e.state for e in events(server)] == ["pending"]


def test_flush_delivers_synchronously(server: SandboxServer, receiver: Receiver) -> None:
    worker = without_worker(server).sandbox.webhooks
    configure(server, receiver.url)
    push(server)

    counts = worker.flush()

    assert counts == {"delivered": 1, "failed": 0, "retrying": 0, "pending": 0}
    assert len(receiver.calls()) == 1


@pytest.mark.sqlite  # counted in SQLite VM steps
def test_a_sweep_does_not_walk_events_waiting_for_a_partner_without_an_endpoint(
    server: SandboxServer,
) -> None:
    """Without an endpoint (the default) events wait in the outbox; a sweep must not read them all.
    It used to: ~100 ms a sweep, four sweeps a second, at 1,500 waiting events. Counted here in SQLite
    VM steps, so the figure does not depend on the machine's speed."""
    without_worker(server)
    order_id = seeded_order(server).id

    def steps_of_a_sweep() -> int:
        """SQLite VM steps (in hundreds) of one sweep's look for work, on whichever connections it uses."""
        count = [0]

        def tick() -> int:
            count[0] += 1
            return 0

        def counted(connection, *_: object) -> None:
            connection.connection.driver_connection.set_progress_handler(tick, 100)

        engine = server.sandbox.store.engine
        event.listen(engine, "before_cursor_execute", counted)
        try:
            sender.claim_next(
                server.sandbox, after=0, everything=False, base_url=server.url, lease_clock=Clock()
            )
        finally:
            event.remove(engine, "before_cursor_execute", counted)
        return count[0]

    few = steps_of_a_sweep()
    with server.sandbox.store.session(write=True) as session:
        at = server.sandbox.clock.now()
        session.add_all(
            WebhookEvent(partner_id=1, order_id=order_id, event="order.pushed", created_at=at)
            for _ in range(2_000)
        )

    assert steps_of_a_sweep() <= few + 5
