"""Engine and sessions. The only module that knows the store is SQLite (pragmas, in-memory mode)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from sandbox.store import models  # noqa: F401  (registers every table on SQLModel.metadata)


def _data_version(
    local: threading.local, connection: sqlite3.Connection, loop: asyncio.AbstractEventLoop | None
) -> int:
    """`PRAGMA data_version`; for a caller running on `loop`, read at most once per loop iteration.

    The PRAGMA takes SQLite's shared-memory locks (two fcntl calls): about 15 µs under load, a tenth of
    a cached Get Order. Reusing the value until the loop's next iteration loses nothing. The callback
    that expires it is queued right after the read, and the loop runs its queue in order, so whatever
    runs before the expiry was queued before the read: the bytes of its request had arrived before the
    read, and so had every commit its client saw acknowledged."""
    if loop is None:
        return connection.execute("PRAGMA data_version").fetchone()[0]
    if getattr(local, "version_fresh", False):
        return local.cache_version
    version = connection.execute("PRAGMA data_version").fetchone()[0]
    local.version_fresh = True
    loop.call_soon(setattr, local, "version_fresh", False)
    return version


class Store:
    """One database: an engine plus sessions.

    An in-memory SQLite database lives on a single shared connection, so its sessions take turns
    (a lock); a file database runs in WAL mode and lets SQLite arbitrate.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.in_memory = parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")
        if parsed.get_backend_name() == "sqlite":
            self.engine = self._sqlite_engine(url, parsed.database)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        self._lock = threading.RLock() if self.in_memory else None
        self._readers = threading.local()  # read_snapshot's connection per thread (file databases)
        self._reader_lock = threading.Lock()
        self._reader_connections: list[sqlite3.Connection] = []

    def _sqlite_engine(self, url: str, database: str | None) -> Engine:
        if self.in_memory:
            engine = create_engine(
                "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            Path(database or "").expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            # We emit BEGIN ourselves (below): pysqlite's own implicit BEGIN comes only before the first
            # write, so a read-check-write would read outside the transaction that writes.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not self.in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:
            # A write transaction takes SQLite's write lock up front (BEGIN IMMEDIATE), so two requests
            # that check a balance and then debit it run one after the other, never interleaved.
            mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
            connection.exec_driver_sql(f"BEGIN {mode}")

        return engine

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error.

        `write=True` serializes the transaction against every other writer from its first statement:
        use it for anything that reads state and then changes it (balances, idempotency checks).
        """
        with self._lock or nullcontext(), self.engine.connect() as connection:
            if write and self.engine.dialect.name == "sqlite":
                connection = connection.execution_options(sqlite_begin="IMMEDIATE")
            with Session(bind=connection, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise

    @contextmanager
    def read_connection(self, *, blocking: bool = True) -> Iterator[sqlite3.Connection | None]:
        """A DBAPI connection for hot read paths in raw SQL (SQLite only), in autocommit: each statement
        reads one consistent snapshot; wrap several in BEGIN ... ROLLBACK to share one.

        A file database keeps one connection per thread for this, out of the pool (no checkout per
        read). With `blocking=False` an in-memory store yields None instead of waiting for its lock, so
        a caller on the event loop can fall back to a thread rather than stall the loop."""
        lock = self._lock
        if lock is None:
            connection = getattr(self._readers, "connection", None)
            if connection is None:
                connection = self._readers.connection = self._open_reader()
            yield connection
            return
        if not lock.acquire(blocking=blocking):
            yield None
            return
        try:
            raw = self.engine.raw_connection()
            try:
                yield raw.driver_connection
            finally:
                raw.close()
        finally:
            lock.release()

    def read_cache(
        self, connection: sqlite3.Connection, loop: asyncio.AbstractEventLoop | None = None
    ) -> dict[Any, Any] | None:
        """A per-thread cache of results read through `connection` (this thread's `read_connection` of a
        file database), emptied as soon as any other connection, in this process or another, has
        committed since it was filled. None for in-memory stores (their one connection also writes).

        SQLite's `PRAGMA data_version` changes on a connection whenever a different connection commits
        to the database (writes, a `restore`'s backup, schema changes). The reader connection itself
        never writes, so an unchanged value means the database is as it was when the entries were read.
        The value is read before the caller's read: a commit in between makes the entry newer than its
        version, and the next call (seeing the new version) drops it anyway. `loop`: the event loop
        the caller is running on, if it is (see `_data_version`)."""
        if self._lock is not None:
            return None
        local = self._readers
        if getattr(local, "connection", None) is not connection:
            return None
        version = _data_version(local, connection, loop)
        cache = getattr(local, "cache", None)
        if cache is None or local.cache_version != version:
            cache = local.cache = {}
            local.cache_version = version
        return cache

    def _open_reader(self) -> sqlite3.Connection:
        raw = self.engine.raw_connection()  # through the pool, so the connect pragmas apply
        connection = raw.driver_connection
        raw.detach()  # ours until dispose(): the pool opens another in its place
        with self._reader_lock:
            self._reader_connections.append(connection)
        return connection

    def snapshot(self) -> sqlite3.Connection:
        """A copy of the whole database in memory (SQLite's backup API): the template a reset restores."""
        template = sqlite3.connect(":memory:", check_same_thread=False)
        with self._lock or nullcontext():
            raw = self.engine.raw_connection()
            try:
                raw.driver_connection.backup(template)
            finally:
                raw.close()
        return template

    def restore(self, template: sqlite3.Connection) -> None:
        """Overwrite the database with `template`, page by page, in one step (no rebuild, no Faker)."""
        with self._lock or nullcontext():
            raw = self.engine.raw_connection()
            try:
                template.backup(raw.driver_connection)
                if not self.in_memory:
                    # The copy lands in the WAL, which no commit checkpoints: without this every restore
                    # would leave a WAL the size of the whole database behind.
                    raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()

    def create_schema(self) -> None:
        SQLModel.metadata.create_all(self.engine)

    def drop_schema(self) -> None:
        SQLModel.metadata.drop_all(self.engine)

    def dispose(self) -> None:
        with self._reader_lock:
            readers, self._reader_connections = self._reader_connections, []
        self._readers = threading.local()
        for connection in readers:
            connection.close()
        self.engine.dispose()
