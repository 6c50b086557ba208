"""The write lock: one write transaction at a time, taken in arrival order, so no writer ever waits on
SQLite's busy handler (it sleeps 1 to 100 ms between tries and serves whoever retries first).

In this process, writers queue (first come, first served) and each hands its turn to the next one
directly. A session takes its turn at its transaction's first statement, in the thread that runs it
(for a route, the worker thread running it, which opens and closes its session too): so the writer
holding the turn never needs another worker thread, however many writers wait behind it.
Across processes sharing a database file, the writer whose turn it is takes flock(LOCK_EX) on
`<database>.writer.lock` for the whole transaction: at most one writer per process waits there, and
the kernel wakes it the moment the lock is released. A reset takes the same lock (`exclusive`), so
its read of the kept configuration and its copy of the template are one step for every writer in
every process (issue 13). A store on PostgreSQL would keep the queue and take `pg_advisory_xact_lock`
inside the transaction instead of the file.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from sandbox.store.errors import unavailable

log = logging.getLogger("sandbox.store")


class WriteLock:
    """Write sessions and resets, one at a time, in the order they asked.

    A turn is not owned by a thread: whichever thread leaves the session passes the turn on. Only
    `exclusive` (a reset, entered and left on one thread) lets that thread's own write sessions through
    while it holds the lock."""

    def __init__(self, file: Path | None) -> None:
        self._file = file  # None: this process is the database's only user (an in-memory database)
        self._descriptor: int | None = None
        self._state = threading.Lock()
        self._busy = False
        self._queue: deque[threading.Lock] = deque()  # one locked Lock per waiting writer, oldest first
        self._owner = threading.local()

    @property
    def waiting(self) -> int:
        """Writers of this process waiting for their turn."""
        return len(self._queue)

    def turn(self) -> Turn:
        """A write session's turn, not taken yet."""
        return Turn(self)

    @contextmanager
    def held(self) -> Iterator[None]:
        with self.turn() as turn:
            turn.take()
            yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """`held`, and this thread's write sessions run inside it."""
        if self.reentered():
            yield
            return
        with self.held():
            self._owner.exclusive = True
            try:
                yield
            finally:
                self._owner.exclusive = False

    def reentered(self) -> bool:
        """This thread holds the lock exclusively: its write sessions are the reset's own."""
        return getattr(self._owner, "exclusive", False)

    def _take_turn(self) -> None:
        with self._state:
            if not self._busy:
                self._busy = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._queue.append(turn)
        turn.acquire()  # released by the writer before us, which leaves `_busy` set for us

    def _pass_turn(self) -> None:
        with self._state:
            if self._queue:
                self._queue.popleft().release()
            else:
                self._busy = False

    def _lock_file(self) -> None:
        """Only the writer whose turn it is gets here."""
        if self._file is None:
            return
        if self._descriptor is None:
            try:
                self._descriptor = os.open(self._file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as error:  # the database's directory is gone
                log.warning("store unavailable: %s", error)
                raise unavailable() from error
        fcntl.flock(self._descriptor, fcntl.LOCK_EX)

    def _unlock_file(self) -> None:
        if self._descriptor is not None:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._state:
            descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            os.close(descriptor)


class Turn:
    """One write session's turn: `take` waits for it (again: no-op), and leaving the `with` block gives
    it back, whichever thread that runs on."""

    def __init__(self, lock: WriteLock) -> None:
        self._lock = lock
        self._queued = False  # ours in this process
        self._locked = False  # and the file's

    def take(self) -> None:
        if self._locked or self._lock.reentered():
            return
        if not self._queued:
            self._lock._take_turn()
            self._queued = True
        self._lock._lock_file()
        self._locked = True

    def __enter__(self) -> Turn:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._locked:
            self._locked = False
            self._lock._unlock_file()
        if self._queued:
            self._queued = False
            self._lock._pass_turn()
