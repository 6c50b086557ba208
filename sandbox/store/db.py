"""Engine and sessions. The only module that knows the store is SQLite (pragmas, in-memory mode).

It also notices when the store itself fails rather than a request: the database file deleted or
replaced under the running server (its connections would go on writing into a file nobody will ever
open again, and new ones into an empty one), the disk full, I/O errors, a read-only or corrupt file,
tables gone. Each is `store_unavailable` (503, Retry-After) instead of a crash or, worse, a 200 for a
write that is not in the database; `Store.problem()` says why, for the health check.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from sandbox.core.errors import SandboxError
from sandbox.store import models  # noqa: F401  (registers every table on SQLModel.metadata)
from sandbox.store.gate import WriteGate
from sandbox.store.location import check_writable

log = logging.getLogger("sandbox.store")

RETRY_AFTER = "5"  # seconds, on every `store_unavailable`
# SQLite's primary result codes that mean the store is failing, whatever the request was.
FAILURES = {
    8: "the database is read-only",  # SQLITE_READONLY
    10: "disk I/O error",  # SQLITE_IOERR
    11: "the database file is corrupt",  # SQLITE_CORRUPT
    13: "the disk is full",  # SQLITE_FULL
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN
    26: "the file is not a database",  # SQLITE_NOTADB
}
READONLY_DBMOVED = 8 | (4 << 8)  # SQLite noticed that the file it has open was deleted or moved
NO_TABLE = "no such table"  # SQLITE_ERROR: a new connection found an empty file where the world was


def failure_of(error: BaseException) -> str | None:
    """Why `error` means the store itself is failing (not just this request), or None."""
    if isinstance(error, DBAPIError):
        error = error.orig
    if not isinstance(error, sqlite3.Error):
        return None
    code = getattr(error, "sqlite_errorcode", None) or 0
    if code == READONLY_DBMOVED:
        return "the database file was deleted or moved"
    if code & 0xFF in FAILURES:
        return FAILURES[code & 0xFF]
    if NO_TABLE in str(error):
        return "the database has lost its tables"
    return None


def unavailable() -> SandboxError:
    return SandboxError("store_unavailable", headers=[("Retry-After", RETRY_AFTER)])


def _changes(connection: Connection) -> int | None:
    """Rows the connection's SQLite handle has changed since it was opened (None: not SQLite)."""
    return getattr(connection.connection.driver_connection, "total_changes", None)


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
    (a lock); a file database runs in WAL mode and lets SQLite arbitrate, and its write sessions and
    resets meet at a `WriteGate`.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = make_url(url)
            sqlite = parsed.get_backend_name() == "sqlite"
            self.in_memory = sqlite and parsed.database in (None, "", ":memory:")
            if sqlite:
                self.engine = self._sqlite_engine(url, parsed.database)
            else:
                self.engine = create_engine(url, pool_pre_ping=True)
        except (ArgumentError, ImportError) as error:  # a malformed URL, an unknown or missing driver
            raise ValueError(f"database URL {url!r}: {error}") from None
        self._lock = threading.RLock() if self.in_memory else None
        file_database = not self.in_memory and parsed.get_backend_name() == "sqlite" and parsed.database
        self.path = Path(parsed.database).expanduser().resolve() if file_database else None
        self._gate = WriteGate(self.path) if self.path else None
        # (device, inode) of the file the first connection opened: connections keep that file open, so
        # a different one at the path (or none) means the database is no longer where it is looked for.
        self._identity: tuple[int, int] | None = None
        self.lost: str | None = None  # why the database file is gone for good (until a restart)
        self.write_failure: str | None = None  # why the last write failed, until one succeeds
        self._readers = threading.local()  # read_snapshot's connection per thread (file databases)
        self._reader_lock = threading.Lock()
        self._reader_connections: list[sqlite3.Connection] = []

    def _sqlite_engine(self, url: str, database: str | None) -> Engine:
        if self.in_memory:
            engine = create_engine(
                "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            path = Path(database or "").expanduser().resolve()
            check_writable(path)
            path.parent.mkdir(parents=True, exist_ok=True)
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
            self._note_identity()

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
        A failing store raises `store_unavailable`, also when a commit went into a database file that
        was deleted or replaced meanwhile: such a write is never acknowledged.
        """
        self.check()
        gate = self._gate.shared() if write and self._gate else nullcontext()
        with self._failures(write), gate, self._lock or nullcontext(), self.engine.connect() as connection:
            written = _changes(connection)
            if write and self.engine.dialect.name == "sqlite":
                connection = connection.execution_options(sqlite_begin="IMMEDIATE")
            with Session(bind=connection, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    self._roll_back(session)
                    raise
            written = _changes(connection) != written
        if write:
            self.check()
            if written:  # a write reached the disk: whatever kept writes from it is over
                self.write_failure = None

    @contextmanager
    def read_connection(self, *, blocking: bool = True) -> Iterator[sqlite3.Connection | None]:
        """A DBAPI connection for hot read paths in raw SQL (SQLite only), in autocommit: each statement
        reads one consistent snapshot; wrap several in BEGIN ... ROLLBACK to share one.

        A file database keeps one connection per thread for this, out of the pool (no checkout per
        read). With `blocking=False` an in-memory store yields None instead of waiting for its lock, so
        a caller on the event loop can fall back to a thread rather than stall the loop."""
        self.check()
        lock = self._lock
        if lock is None:
            with self._failures(False):
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
                with self._failures(False):
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
        self.check()
        with self._failures(True), self._lock or nullcontext():
            raw = self.engine.raw_connection()
            try:
                template.backup(raw.driver_connection)
                if not self.in_memory:
                    # The copy lands in the WAL, which no commit checkpoints: without this every restore
                    # would leave a WAL the size of the whole database behind.
                    raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
        self.check()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """No write session runs meanwhile, in this process or any other sharing the database file;
        this thread's own write sessions do run."""
        self.check()
        if self._lock is not None:
            with self._lock:
                yield
        elif self._gate is not None:
            with self._failures(True), self._gate.exclusive():
                yield
        else:
            yield

    def check(self) -> None:
        """Raise `store_unavailable` when the database file is no longer the one the store opened."""
        if self.lost is not None:
            raise unavailable()
        if self.path is None or self._identity is None:
            return
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            self._lose("the database file was deleted")
        except OSError as error:
            log.warning("store unavailable: cannot look at %s: %s", self.path, error)
            raise unavailable() from error
        else:
            if (found.st_dev, found.st_ino) != self._identity:
                self._lose("the database file was replaced")

    def problem(self) -> str | None:
        """None when the store reads and its last write went through; else why not (the health check).

        A read is tried; a write is not (it would bump every reader's cache), so a full disk shows
        here once a write failed on it, and clears with the next write that succeeds."""
        try:
            with self.session() as session:
                session.connection().execute(text("SELECT count(*) FROM world_meta")).one()
        except SandboxError as error:
            cause = error.__cause__
            return self.lost or (failure_of(cause) if cause else None) or "the store does not answer"
        return self.write_failure

    def _note_identity(self) -> None:
        if self.path is None:
            return
        try:
            found = os.stat(self.path)
        except OSError:
            return
        if self._identity is None:
            self._identity = (found.st_dev, found.st_ino)
        elif (found.st_dev, found.st_ino) != self._identity and self.lost is None:
            # A new connection opened another file at the path: nothing it writes is the world's.
            self.lost = "the database file was replaced"
            log.error("store lost: %s (%s); restart the sandbox", self.lost, self.path)

    def _lose(self, reason: str) -> None:
        if self.lost is None:
            self.lost = reason
            log.error("store lost: %s (%s); restart the sandbox", reason, self.path)
        raise unavailable()

    @contextmanager
    def _failures(self, write: bool) -> Iterator[None]:
        """A database error that means the store is failing becomes `store_unavailable`."""
        try:
            yield
        except (DBAPIError, sqlite3.Error) as error:
            reason = failure_of(error)
            if reason is None:
                raise
            if write:
                self.write_failure = reason
            # The driver's message only: SQLAlchemy's would add the statement and its parameters.
            log.warning("store unavailable: %s (%s)", reason, getattr(error, "orig", error))
            raise unavailable() from error

    @staticmethod
    def _roll_back(session: Session) -> None:
        try:
            session.rollback()
        except (DBAPIError, sqlite3.Error) as error:  # a failing store: the error that led here counts
            log.warning("rollback failed: %s", error)

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
        if self._gate is not None:
            self._gate.close()
