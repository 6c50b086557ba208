"""The background webhook sender: one daemon thread that sweeps the outbox about every 0.25 s; the
`Sandbox` owns one (`sandbox.webhooks`).

The outbox lives in the database (sandbox/domain/webhooks/sender.py), so the thread holds nothing that a
restart could lose. `flush()` runs the same sweep synchronously, one sweep at a time per process, so a
flush that returns has seen every event due when it started finish or be rescheduled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sandbox.domain.webhooks import config, sender

log = logging.getLogger("sandbox.webhooks")

POLL_SECONDS = 0.25


class WebhookWorker:
    def __init__(self, outbox: sender.Outbox, tick: Callable[[], object], sync: Callable[[], object]) -> None:
        """`tick`: lets timed order progression catch up with the clock before a flush; `sync`: catches
        up with the clock and configuration other processes changed, before each sweep."""
        self.outbox = outbox
        self.tick = tick
        self.sync = sync
        # The store's generation before the last sweep after which no event was waiting for an
        # endpoint: until something is committed again, a sweep would only read.
        self._idle_since: object = None
        self._sweep = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Apply SANDBOX_WEBHOOK_URL/_SECRET to partners without an endpoint, then start delivering due
        outbox events in the background."""
        if self._thread is not None and self._thread.is_alive():
            return
        try:
            config.apply_defaults(self.outbox.store, self.outbox.settings)
        except Exception:
            log.exception("could not apply the default webhook endpoint")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="minted-sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background sender after the attempt in flight (pending events stay in the outbox)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2 * self.outbox.settings.webhook_timeout_seconds + 5)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def flush(self, *, everything: bool = False) -> dict[str, int]:
        """Deliver every event due now (every pending one with `everything`), synchronously. Timed
        order progression catches up with the clock first, so the statuses due now go out too."""
        self.tick()
        with self._sweep:
            return sender.deliver_due(self.outbox, everything=everything)

    def _run(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            self._once()
            self._stopping.wait(max(0.0, POLL_SECONDS - (time.monotonic() - started)))

    def _once(self) -> None:
        try:
            self.sync()
            generation = self.outbox.store.generation()
            if generation is not None and generation == self._idle_since:
                return
            with self._sweep:
                sender.deliver_due(self.outbox, should_stop=self._stopping.is_set)
            self._idle_since = None if sender.waiting(self.outbox) else generation
        except Exception:  # a failed sweep must not end the sender; the next one retries
            log.exception("webhook sweep failed")
