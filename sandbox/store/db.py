"""Engine and sessions on SQLite (a file, or in memory) or PostgreSQL: the only module that knows
which (pragmas, locks, the generation of cached reads); sandbox/store/postgres.py has what only
PostgreSQL needs (copying a template in).

It also notices when the store itself fails rather than a request: the database file deleted or
replaced under the running server (its connections would go on writing into a file nobody will ever
open again, and new ones into an empty one), the disk full, I/O errors, a read-only or corrupt file,
tables gone. Each is `store_unavailable` (503, Retry-After) instead of a crash or, worse, a 200 for a
write that is not in the database; `Store.problem()` says why, for the health check.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import sqlite3
import threading
import zlib
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import PoolProxiedConnection, StaticPool
from sqlmodel import Session, SQLModel, create_engine

from sandbox.core.errors import SandboxError
from sandbox.store import (
    models,  # noqa: F401  (registers every table on SQLModel.metadata)
    postgres,
)
from sandbox.store.cache import AnswerCache
from sandbox.store.errors import failure_of, unavailable
from sandbox.store.gate import WriteLock
from sandbox.store.location import check_writable

log = logging.getLogger("sandbox.store")
T = TypeVar("T")
# Seconds SQLite's busy handler waits for a lock. The sandbox's own writers never reach it (they take
# turns at the `WriteLock` first); it serves readers in the rare moments WAL needs a lock (a checkpoint
# resetting the log, recovery after a crash) and writers from outside the sandbox (a sqlite3 shell).
BUSY_TIMEOUT = 30


def shown(url: str) -> str:
    """The URL for a message or a log line: its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def parsed_safe(url: str) -> str:
    """The URL quoted for a message: its password hidden."""
    return repr(shown(url))


def _sqlite(raw: PoolProxiedConnection) -> sqlite3.Connection:
    """The sqlite3 connection under a pooled one (SQLAlchemy types it optional: None once invalidated)."""
    connection = raw.driver_connection
    if connection is None:
        raise RuntimeError("the pooled connection was invalidated")
    return connection


def _changes(connection: Connection) -> int | None:
    """Rows the connection's SQLite handle has changed since it was opened (None: not SQLite)."""
    return getattr(connection.connection.driver_connection, "total_changes", None)


class Store:
    """One database: an engine plus sessions.

    An in-memory SQLite database lives on a single shared connection, so its sessions take turns
    (a lock); a file database runs in WAL mode. Write sessions and resets take turns at a `WriteLock`,
    across processes too for a file database, so SQLite never has to arbitrate between writers. On
    PostgreSQL the turn across processes (replicas, on any machine) is an advisory lock: each write
    transaction's first statement takes it, and a reset holds it for its whole step (`exclusive`).
    """

    def __init__(
        self, url: str, *, cache_kib: int | None = None, schema: str | None = None, pool_size: int = 10
    ) -> None:
        """`cache_kib`: SQLite's page cache per connection (its default: 2 MiB); a server holding many
        small worlds (tenants) gives each less, and leaves the rest to the OS's file cache.
        PostgreSQL: `schema` holds this store's world (a tenant's) instead of the database's default
        one; `pool_size` connections are kept open (a tenant keeps fewer)."""
        self.url = url
        self.schema = schema
        self._cache_kib = cache_kib
        self.pool_size = pool_size
        try:
            parsed = make_url(url)
            sqlite = parsed.get_backend_name() == "sqlite"
            self.in_memory = sqlite and parsed.database in (None, "", ":memory:")
            if sqlite:
                self.engine = self._sqlite_engine(url, parsed.database)
            elif parsed.get_backend_name() == "postgresql":
                self.engine = postgres.engine(self, url)
            else:
                raise ArgumentError(
                    "the sandbox runs on SQLite (sqlite://) or PostgreSQL (postgresql+psycopg://)"
                )
        except (ArgumentError, ImportError) as error:  # a malformed URL, an unknown or missing driver
            raise ValueError(f"database URL {parsed_safe(url)}: {error}") from None
        self.dialect: str = self.engine.dialect.name
        # The advisory lock of this database's write turns (a number, as PostgreSQL wants it).
        self.lock_key = zlib.crc32(f"minted-sandbox:{parsed.database}:{schema}".encode())
        self._lock = threading.RLock() if self.in_memory else None
        database = parsed.database if sqlite and not self.in_memory else None
        self.path = Path(database).expanduser().resolve() if database else None
        self._writes = WriteLock(self.path.with_name(f"{self.path.name}.writer.lock") if self.path else None)
        # (device, inode) of the file the first connection opened: connections keep that file open, so
        # a different one at the path (or none) means the database is no longer where it is looked for.
        self._identity: tuple[int, int] | None = None
        self.lost: str | None = None  # why the database file is gone for good (until a restart)
        self.write_failure: str | None = None  # why the last write failed, until one succeeds
        # Validity of cached reads (`generation`): commits in this process, and for a file database
        # SQLite's data_version as one dedicated connection sees it (commits by any other connection).
        self.answers = AnswerCache()
        self._commit_counter = itertools.count(1)
        self._commits = 0
        self._version_lock = threading.Lock()
        self._version_connection: sqlite3.Connection | None = None
        self._version: int = 0
        self._version_loop: asyncio.AbstractEventLoop | None = None

    def _sqlite_engine(self, url: str, database: str | None) -> Engine:
        if self.in_memory:
            engine = create_engine(
                "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            path = Path(database or "").expanduser().resolve()
            check_writable(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            # No cap on connections (the pool keeps 5): each request in flight holds at most one. A cap
            # (5 + 10) once stalled every request when more than 55 uncached ones came at once: sessions
            # were then opened by FastAPI dependencies on other worker threads than the routes using
            # them, and the waiting ones held all 40 thread tokens (30 s, then 500s).
            engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT}, max_overflow=-1
            )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            # We emit BEGIN ourselves (below): pysqlite's own implicit BEGIN comes only before the first
            # write, so a read-check-write would read outside the transaction that writes.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if self._cache_kib is not None:
                cursor.execute(f"PRAGMA cache_size=-{int(self._cache_kib)}")
            if not self.in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            self._note_identity()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            # A write transaction waits for its turn, then takes SQLite's write lock up front (BEGIN
            # IMMEDIATE), so two requests that check a balance and then debit it run one after the
            # other, never interleaved.
            take_turn = connection.get_execution_options().get("write_turn")
            if take_turn is not None:
                take_turn()
            connection.exec_driver_sql("BEGIN IMMEDIATE" if take_turn else "BEGIN")

        return engine

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error.

        `write=True`: at its first statement the session waits for its turn (`WriteLock`: in arrival
        order, in every process sharing the database), then runs alone among writers until it ends:
        use it for anything that reads state and then changes it (balances, idempotency checks).
        A failing store raises `store_unavailable`, also when a commit went into a database file that
        was deleted or replaced meanwhile: such a write is never acknowledged.
        """
        self.check()
        turn = self._writes.turn() if write else None
        with self.failures(write), turn or nullcontext():
            if turn is not None and self._lock is not None:
                turn.take()  # before an in-memory store's lock, as a reset takes them
            with self._lock or nullcontext(), self.engine.connect() as connection:
                written = _changes(connection)
                connection.info.pop(postgres.WROTE, None)
                if turn is not None:  # taken by `_begin` at the first statement, if not yet
                    connection = connection.execution_options(write_turn=turn.take)
                with Session(bind=connection, expire_on_commit=False) as session:
                    try:
                        yield session
                        session.flush()  # the ORM's pending writes count too
                        if connection.info.pop(postgres.WROTE, False):  # tell every process
                            connection.exec_driver_sql(f"UPDATE {postgres.GENERATION_TABLE} SET n = n + 1")
                            written = True
                        session.commit()
                    except BaseException:
                        self._roll_back(session)
                        raise
                if written is not True:
                    written = _changes(connection) != written
                if written:
                    self.invalidate_reads()
        if write:
            self.check()
            if written:  # a write reached the disk: whatever kept writes from it is over
                self.write_failure = None

    @property
    def conninfo(self) -> str:
        """PostgreSQL: the store's URL as libpq takes it, for the tables kept beside the world's (the
        journal, the Digest replay window) on connections of their own, in its schema."""
        return postgres.conninfo(self.url, self.schema)

    @property
    def writes(self) -> WriteLock:
        """The write turns of this store (sandbox/store/gate.py)."""
        return self._writes

    @property
    def waiting_writers(self) -> int:
        """Write sessions of this process waiting for their turn."""
        return self._writes.waiting

    def generation(self) -> Hashable | None:
        """What cached reads are valid for: it changes whenever the database may have changed, in this
        process or any other sharing it. None: this store cannot tell (nothing may be cached).

        SQLite: `PRAGMA data_version` on a dedicated connection (it moves when any other connection
        commits, a `restore` included) plus a count of this process's own commits (`invalidate_reads`;
        an in-memory store's one connection never sees its own commits in data_version). A store on
        PostgreSQL: the counter row every transaction that changed rows moves on (`GENERATION_TABLE`),
        plus the same count. Raises `store_unavailable` when the database file is gone, as a read
        would (looked at with data_version, so at most once per loop iteration too)."""
        if self.dialect == "postgresql":
            return (self._data_version(), self._commits)
        if self.path is None:  # in memory
            self.check()
            return self._commits
        if self.lost is not None:
            raise unavailable()
        return (self._data_version(), self._commits)

    def cached(self, key: Hashable, produce: Callable[[], T], size: int = 64) -> T:
        """`produce()`, kept in `answers` (about `size` bytes) while `generation()` is unchanged."""
        generation = self.generation()
        if generation is None:
            return produce()
        found = self.answers.get(generation, key)
        if found is None:
            found = produce()
            self.answers.put(generation, key, found, size)
        return found

    def invalidate_reads(self) -> None:
        """A transaction of this process committed changes (or the database was restored): cached
        reads are stale. Called by every committing path before the write is acknowledged."""
        self._commits = next(self._commit_counter)  # atomic, unlike += across threads

    def _data_version(self) -> int:
        """`PRAGMA data_version` (PostgreSQL: the generation row); on an event loop, read at most once
        per loop iteration.

        The PRAGMA takes SQLite's shared-memory locks (two fcntl calls): about 15 µs under load, a tenth
        of a cached answer; PostgreSQL's read is a round trip. Reusing the value until the loop's next
        iteration loses nothing. The callback that expires it is queued right after the read, and the
        loop runs its queue in order, so whatever runs before the expiry was queued before the read: the
        bytes of its request had arrived before the read, and so had every commit its client saw
        acknowledged (through any process)."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None and self._version_loop is loop:
            return self._version
        self.check()
        query = (
            "PRAGMA data_version"
            if self.dialect == "sqlite"
            else f"SELECT n FROM {postgres.GENERATION_TABLE}"
        )
        with self.failures(False), self._version_lock:
            version = self._watcher().execute(query).fetchone()[0]
        if loop is not None:
            self._version, self._version_loop = version, loop
            loop.call_soon(self._expire_version, loop)
        return version

    def _watcher(self) -> Any:
        """The dedicated connection `generation` and `peek` read on (held under `_version_lock`);
        autocommit, so each read sees what is committed now."""
        if self._version_connection is None:
            raw = self.engine.raw_connection()  # through the pool, so the connect pragmas apply
            connection: Any = raw.driver_connection
            raw.detach()  # ours until dispose(): the pool opens another in its place
            if self.dialect == "postgresql":
                connection.autocommit = True
                with connection.transaction():
                    postgres.make_generation_row(connection.execute, self.lock_key, self.schema)
            self._version_connection = connection
        return self._version_connection

    def peek(self, sql: str) -> tuple[Any, ...] | None:
        """The first row of a small read of committed data, without a session (a file database: on the
        connection `generation` reads on, about 10 µs). For state every request may need to look at
        once the database changed (sandbox/runtime/shared.py)."""
        self.check()
        if self.path is None and self.dialect == "sqlite":
            with self.failures(False), self._lock or nullcontext(), self.engine.connect() as connection:
                row = connection.exec_driver_sql(sql).first()
                return None if row is None else tuple(row)
        with self.failures(False), self._version_lock:
            found: tuple[Any, ...] | None = self._watcher().execute(sql).fetchone()
            return found

    def _expire_version(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._version_loop is loop:
            self._version_loop = None

    @contextmanager
    def raw_connection(self) -> Iterator[sqlite3.Connection]:
        """A DBAPI connection (SQLite only) in autocommit, for copying the database in raw SQL."""
        self.check()
        with self._lock or nullcontext():
            raw = self.engine.raw_connection()
            try:
                with self.failures(False):
                    yield _sqlite(raw)
            finally:
                raw.close()

    def snapshot(self) -> sqlite3.Connection:
        """A copy of the whole database in memory (SQLite's backup API): the template a reset restores."""
        template = sqlite3.connect(":memory:", check_same_thread=False)
        with self._lock or nullcontext():
            raw = self.engine.raw_connection()
            try:
                _sqlite(raw).backup(template)
            finally:
                raw.close()
        return template

    def restore(self, template: sqlite3.Connection) -> None:
        """Overwrite the database with `template`, page by page, in one step (no rebuild, no Faker)."""
        self.check()
        with self.failures(True), self._lock or nullcontext():
            raw = self.engine.raw_connection()
            try:
                connection = _sqlite(raw)
                template.backup(connection)
                if not self.in_memory:
                    # The copy lands in the WAL, which no commit checkpoints: without this every restore
                    # would leave a WAL the size of the whole database behind.
                    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
                self.invalidate_reads()
        self.check()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """No write session runs meanwhile, in this process or any other sharing the database file;
        this thread's own write sessions do run."""
        self.check()
        outermost = not self._writes.reentered()
        with self.failures(True), self._writes.exclusive(), self._lock or nullcontext():
            if outermost and self.dialect == "postgresql":
                with postgres.advisory_lock(self):
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
    def failures(self, write: bool) -> Iterator[None]:
        """A database error that means the store is failing becomes `store_unavailable`."""
        try:
            yield
        except (DBAPIError, sqlite3.Error, psycopg.Error) as error:
            if postgres.NUL_REFUSED in str(getattr(error, "orig", error)):
                # PostgreSQL cannot hold NUL in text (SQLite can, and finds no match): a clear 422, not a 500.
                raise SandboxError("text_with_nul") from None
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
        with self._version_lock:
            if self._version_connection is not None:
                self._version_connection.close()
                self._version_connection = None
        self.answers.clear()
        self.engine.dispose()
        self._writes.close()
