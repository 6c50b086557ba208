"""The background sender: delivers without a flush, survives a failing sweep, stops when asked."""

from __future__ import annotations

import time

import pytest

from sandbox.testing.server import SandboxServer
from sandbox.webhooks import sender
from sandbox.webhooks.worker import WebhookWorker
from tests.webhooks.conftest import configure, events, partner, seeded_order, without_worker
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
    worker = WebhookWorker(server.sandbox)
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
    worker = server.app.state.webhook_worker
    assert worker.running

    worker.stop()
    configure(server, receiver.url)
    push(server)
    time.sleep(0.6)  # longer than two polls: a stopped worker sends nothing

    assert not worker.running
    assert receiver.calls() == []
    assert [e.state for e in events(server)] == ["pending"]


def test_flush_delivers_synchronously(server: SandboxServer, receiver: Receiver) -> None:
    worker = without_worker(server).app.state.webhook_worker
    configure(server, receiver.url)
    push(server)

    counts = worker.flush()

    assert counts == {"delivered": 1, "failed": 0, "retrying": 0, "pending": 0}
    assert len(receiver.calls()) == 1
