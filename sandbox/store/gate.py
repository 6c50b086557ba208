"""The write gate of a file database: a reset's read of the kept configuration and its copy of the
template are one step for every write session, in every process sharing the file (issue 13)."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("sandbox.store")


class WriteGate:
    """Lets a reset run while no write session is open in any process sharing the database file.

    Write sessions hold the gate shared, a reset holds it exclusive: the reset's read of the kept
    configuration and its copy of the template are one step for every writer (a configuration write
    lands before the read, and is kept, or after the copy). In this process, a waiting reset holds
    back new write sessions (a stream of overlapping ones would starve it otherwise). Across
    processes, two flock(2) files beside the database: the gate itself, and a turnstile every write
    session passes through and a reset holds, for the same reason. Each session takes its own pair of
    open files from a pool: flock belongs to an open file, not to a thread, and a session entered on
    one thread and left on another (FastAPI does that with dependencies) releases what it took."""

    def __init__(self, database: Path) -> None:
        self._paths = (database.with_name(f"{database.name}.turnstile.lock"),)
        self._paths += (database.with_name(f"{database.name}.gate.lock"),)
        self._free: list[tuple[int, int]] = []
        self._pool_lock = threading.Lock()
        self._state = threading.Condition()
        self._writers = 0  # write sessions of this process inside the gate
        self._resets = 0  # resets of this process waiting for the gate or holding it
        self._held = False
        self._owner = threading.local()  # `exclusive` in the thread holding the gate exclusively

    @contextmanager
    def shared(self) -> Iterator[None]:
        if getattr(self._owner, "exclusive", False):  # the reset's own writes
            yield
            return
        with self._state:
            self._state.wait_for(lambda: not self._resets)
            self._writers += 1
        try:
            with self._files() as (turnstile, gate):
                fcntl.flock(turnstile, fcntl.LOCK_EX)
                try:
                    fcntl.flock(gate, fcntl.LOCK_SH)
                finally:
                    fcntl.flock(turnstile, fcntl.LOCK_UN)
                try:
                    yield
                finally:
                    fcntl.flock(gate, fcntl.LOCK_UN)
        finally:
            with self._state:
                self._writers -= 1
                if not self._writers and self._resets:
                    self._state.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        if getattr(self._owner, "exclusive", False):
            yield
            return
        with self._state:
            self._resets += 1
            self._state.wait_for(lambda: not self._writers and not self._held)
            self._held = True
        try:
            with self._files() as (turnstile, gate):
                fcntl.flock(turnstile, fcntl.LOCK_EX)
                try:
                    fcntl.flock(gate, fcntl.LOCK_EX)
                    self._owner.exclusive = True
                    try:
                        yield
                    finally:
                        self._owner.exclusive = False
                        fcntl.flock(gate, fcntl.LOCK_UN)
                finally:
                    fcntl.flock(turnstile, fcntl.LOCK_UN)
        finally:
            with self._state:
                self._resets -= 1
                self._held = False
                self._state.notify_all()

    @contextmanager
    def _files(self) -> Iterator[tuple[int, int]]:
        with self._pool_lock:
            files = self._free.pop() if self._free else None
        if files is None:
            try:
                opened = [os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644) for path in self._paths]
            except OSError as error:  # the database's directory is gone
                from sandbox.store.db import unavailable

                log.warning("store unavailable: %s", error)
                raise unavailable() from error
            files = (opened[0], opened[1])
        try:
            yield files
        finally:
            with self._pool_lock:
                self._free.append(files)

    def close(self) -> None:
        with self._pool_lock:
            files, self._free = self._free, []
        for descriptor in (d for pair in files for d in pair):
            os.close(descriptor)
