"""The background ticker: lets timed order progression follow the sandbox clock while it runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("sandbox.lifecycle")


class Ticker:
    def __init__(self, tick: Callable[[], object], interval: float = 0.5) -> None:
        self.tick = tick
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-ticker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # a failed tick must not end the ticker; the next one retries
                log.exception("timed progression failed")
