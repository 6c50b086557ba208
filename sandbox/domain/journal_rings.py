"""Where the request journal keeps its entries: a ring in memory, or a file shared by every process.

An in-memory store is served by one process (tests, the pytest plugin): its journal is a ring in that
process. A file database may be served by several (`serve --workers N`), and they keep one journal: a
SQLite file of its own beside the database (`sandbox.db` → `sandbox.journal.db`, WAL). Not the database
itself: every commit there moves its data_version, and with it empties every worker's cache of rendered
answers (sandbox/store/db.py `generation`).

Recording into the file only appends to this process's buffer (bounded by the capacity: what does not
fit would be the oldest beyond it anyway). One background thread writes the buffer in one transaction
every FLUSH_SECONDS; SQLite gives each entry its id there (AUTOINCREMENT: increasing across every
process, never reused), and the oldest beyond the capacity go. A read or a clear writes this process's
buffer first, so the worker that answered a request lists it at once, another one within a flush.

A clear empties the file and writes when it happened (real time, in the file): a flush drops what was
recorded before that, so a request another process answered before the clear but had not written yet
never shows up after it. A file that fails never fails a partner request: recording goes on, a batch
that cannot be written is dropped, counted and logged, and reads and clears answer `store_unavailable`.
A journal file deleted or replaced under the running server is lost until a restart, as the store's
database is (sandbox/store/db.py `lost`): a new file at the path would share the old one's WAL with the
processes still writing to it.
"""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import psycopg

from sandbox.core.errors import SandboxError
from sandbox.store import postgres
from sandbox.store.errors import failure_of, unavailable

log = logging.getLogger("sandbox.journal")
T = TypeVar("T")

# What is kept of a request until it is read: (real time it was recorded in ns, when it arrived on the
# sandbox clock, method, path, partner, status, query, seconds, request headers, request body, response
# headers, response body): the ASGI bytes as they passed (sandbox/domain/journal.py says why), a body
# holding card data as its redacted text.
Kept = tuple[
    int,
    datetime,
    str,
    str,
    str | None,
    int,
    bytes | str,
    float,
    bytes,
    bytes | str | None,
    bytes,
    bytes | str | None,
]
# One entry as a read gives it: the same with the entry's id and `at` as ISO text in front.
Row = tuple[
    int,
    str,
    str,
    str,
    str | None,
    int,
    bytes | str,
    float,
    bytes,
    bytes | str | None,
    bytes,
    bytes | str | None,
]

FLUSH_SECONDS = 0.05
# Seconds a flush, read or clear waits while another process writes the file (each write is one short
# transaction; a clear in another process, or its checkpoint, can hold it a little longer).
BUSY_TIMEOUT = 10
# 16 KiB pages: a third of the CPU a flush took with 4 KiB ones (fewer, larger writes); larger ones
# rewrite more of a page each flush when batches are small.
PAGE_SIZE = 16384
VERSION = 1  # of the file's tables (`PRAGMA user_version`); a file of another version starts over
_TABLES = (
    "CREATE TABLE entry (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, method TEXT NOT NULL,"
    " path TEXT NOT NULL, partner TEXT, status INTEGER NOT NULL, query NOT NULL, seconds REAL NOT NULL,"
    " request_headers BLOB NOT NULL, request_body, response_headers BLOB NOT NULL, response_body)",
    "CREATE TABLE cleared (before_ns INTEGER NOT NULL)",  # one row: when the last clear happened
    "INSERT INTO cleared VALUES (0)",
    f"PRAGMA user_version = {VERSION}",
)
_COLUMNS = (
    "at, method, path, partner, status, query, seconds, request_headers, request_body, response_headers,"
    " response_body"
)
_INSERT = f"INSERT INTO entry ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
# PostgreSQL: bodies and queries are bytea (a redacted body's text goes in as UTF-8).
_PG_TABLES = (
    "CREATE TABLE IF NOT EXISTS sandbox_journal (id bigserial PRIMARY KEY, at text NOT NULL,"
    " method text NOT NULL, path text NOT NULL, partner text, status integer NOT NULL, query bytea NOT NULL,"
    " seconds double precision NOT NULL, request_headers bytea NOT NULL, request_body bytea,"
    " response_headers bytea NOT NULL, response_body bytea)",
    "CREATE TABLE IF NOT EXISTS sandbox_journal_cleared (id int PRIMARY KEY, before_ns bigint NOT NULL)",
    "INSERT INTO sandbox_journal_cleared VALUES (1, 0) ON CONFLICT DO NOTHING",
)
_PG_INSERT = f"INSERT INTO sandbox_journal ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"


# Positions, in a kept entry after `at`, of the columns holding bytes or text (query and bodies).
_TEXT_OR_BYTES = (4, 7, 9)


def _at(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")


class MemoryRing:
    """The journal of an in-memory store: this process's requests, ids counted here."""

    def __init__(self, capacity: int) -> None:
        self._entries: deque[tuple[int, Kept]] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def keep(self, kept: Kept) -> None:
        with self._lock:  # ids in the order of the ring
            self._entries.append((next(self._ids), kept))

    def select(
        self,
        *,
        path: str | None,
        method: str | None,
        status: int | None,
        since: int | None,
        partner: str | None,
        limit: int | None,
    ) -> list[Row]:
        with self._lock:
            entries = list(self._entries)
        found = [
            (id, kept)
            for id, kept in entries
            if (path is None or kept[3].startswith(path))
            and (method is None or kept[2] == method)
            and (status is None or kept[5] == status)
            and (since is None or id > since)
            and (partner is None or kept[4] == partner)
        ]
        if limit is not None:
            found = found[:limit] if since is not None else found[-limit:]
        return [(id, _at(kept[1]), *kept[2:]) for id, kept in found]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
        return count

    def close(self) -> None:
        """Nothing to write: the ring is the journal."""


class SharedRing:
    """The journal of a database several processes may serve: entries buffered here, written by one
    background thread per process into a table every process reads. `FileRing` keeps the table in a
    SQLite file, `ServerRing` in the PostgreSQL database."""

    # What the store's driver raises when the journal's table fails.
    failures: tuple[type[Exception], ...] = (OSError,)

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._dropped_on: tuple[type[Exception], ...] = (SandboxError, *self.failures)
        # Entries not written yet; when the writer falls behind, the oldest go (they would leave the
        # ring anyway) and are counted, so that ids still count every request recorded.
        self._buffer: deque[Kept] = deque()
        self._pushed_out = 0
        self._buffer_lock = threading.Lock()
        # The connection, and one flush at a time, so batches reach the table in the order recorded.
        self._lock = threading.Lock()
        self.lost: str | None = None  # why the table is gone for good (until a restart)
        self.failure: str | None = None  # why the last flush failed, until one succeeds
        self.dropped = 0  # entries recorded that could not be written
        self._due = threading.Event()  # something waits in the buffer
        self._closing = threading.Event()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()

    def keep(self, kept: Kept) -> None:
        """Hot path: an append, and a wake-up for the writer when it has nothing to do."""
        with self._buffer_lock:
            if len(self._buffer) >= self._capacity:
                self._buffer.popleft()
                self._pushed_out += 1
            self._buffer.append(kept)
        if not self._due.is_set():
            self._due.set()
            if self._writer is None:
                self._start_writer()

    def _start_writer(self) -> None:
        with self._writer_lock:
            if self._writer is None and not self._closing.is_set():
                self._writer = threading.Thread(target=self._write, name="journal-writer", daemon=True)
                self._writer.start()

    def _write(self) -> None:
        # `close` sets `_closing`, then `_due`. Its `_due` can come between this loop's batch wait and
        # its `_due.clear()`, and be cleared: the loop's own check of `_closing` then ends it, where
        # waiting for `_due` again would wait for ever (and `close`, joining, with it).
        while not self._closing.is_set():
            self._due.wait()
            if self._closing.wait(FLUSH_SECONDS):  # gathers a batch; `close` writes the last one
                return
            self._due.clear()  # before the flush takes the buffer: whatever comes after it wakes us again
            self.flush()

    def flush(self) -> None:
        """Write this process's buffer to the table (or drop it, counted, when the table fails)."""
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        with self._buffer_lock:
            batch, self._buffer = list(self._buffer), deque()
            skipped, self._pushed_out = self._pushed_out, 0
        if not batch:
            return
        try:
            self._append(batch, skipped)
        except self._dropped_on as error:
            self.dropped += len(batch)
            reason = self.lost or failure_of(error) or str(error)
            if reason != self.failure:
                log.warning(
                    "request journal: %s (%s); entries are dropped until it is written again",
                    reason,
                    self.where,
                )
            self.failure = reason
            return
        if self.failure is not None:
            log.warning(
                "request journal: written again (%s); %d entries were dropped", self.where, self.dropped
            )
            self.failure = None

    def select(
        self,
        *,
        path: str | None,
        method: str | None,
        status: int | None,
        since: int | None,
        partner: str | None,
        limit: int | None,
    ) -> list[Row]:
        conditions, parameters = [], []
        for condition, value in (
            ("substr(path, 1, length(?)) = ?", path),
            ("method = ?", method),
            ("status = ?", status),
            ("id > ?", since),
            ("partner = ?", partner),
        ):
            if value is not None:
                conditions.append(condition)
                parameters += [value] * condition.count("?")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        # With `since` the oldest after it (polling never skips one), else the newest; oldest first.
        order = "ASC" if since is not None else "DESC"
        with self._lock:
            self._flush()
            rows = self._run(lambda: self._select(where, parameters, order, limit))
        return rows if since is not None else rows[::-1]

    def clear(self) -> int:
        """Empty the journal for every process; the entries removed (this process's buffer included)."""
        with self._lock:
            self._flush()
            return self._run(self._clear)

    def _run(self, work: Callable[[], T]) -> T:
        """`work` on the table; a failing one raises `store_unavailable` (the log says why)."""
        try:
            return work()
        except self.failures as error:
            log.warning("request journal unavailable: %s (%s)", failure_of(error) or error, self.where)
            raise unavailable() from error

    def close(self) -> None:
        """Stop the writer and write what is left (shutdown)."""
        self._closing.set()
        self._due.set()
        with self._writer_lock:
            writer = self._writer
        if writer is not None:
            writer.join()
        with self._lock:
            self._flush()
            self._disconnect()

    # What each store does: under `_lock`.
    where: str

    def _append(self, batch: list[Kept], skipped: int) -> None:
        raise NotImplementedError

    def _select(self, where: str, parameters: Sequence[object], order: str, limit: int | None) -> list[Row]:
        raise NotImplementedError

    def _clear(self) -> int:
        raise NotImplementedError

    def _disconnect(self) -> None:
        raise NotImplementedError


class FileRing(SharedRing):
    """The journal of a file database, in `path`, shared by every process serving the database."""

    failures = (sqlite3.Error, OSError)

    def __init__(self, path: Path, capacity: int) -> None:
        super().__init__(capacity)
        self.path = path
        self.where = str(path)
        self._connection: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file opened

    def _append(self, batch: list[Kept], skipped: int) -> None:
        connection = self._open()
        with connection:
            connection.execute("BEGIN IMMEDIATE")
            (cleared,) = connection.execute("SELECT before_ns FROM cleared").fetchone()
            if skipped:  # the ids of the entries pushed out unwritten stay taken
                _skip_ids(connection, skipped)
            connection.executemany(
                _INSERT, [(_at(at), *rest) for recorded, at, *rest in batch if recorded >= cleared]
            )
            # Ids are consecutive (AUTOINCREMENT, and only the oldest or all are ever deleted) but for
            # the ids skipped just before a batch that fills the ring by itself.
            connection.execute(
                "DELETE FROM entry WHERE id <= (SELECT max(id) FROM entry) - ?", (self._capacity,)
            )

    def _select(self, where: str, parameters: Sequence[object], order: str, limit: int | None) -> list[Row]:
        sql = f"SELECT id, {_COLUMNS} FROM entry {where} ORDER BY id {order} LIMIT ?"
        every = -1 if limit is None else limit  # SQLite: LIMIT -1 is none
        rows: list[Row] = self._open().execute(sql, [*parameters, every]).fetchall()
        return rows

    def _clear(self) -> int:
        connection = self._open()
        with connection:
            connection.execute("BEGIN IMMEDIATE")
            # Taken inside the transaction: every flush after it sees this mark.
            connection.execute("UPDATE cleared SET before_ns = max(before_ns, ?)", (time.time_ns(),))
            return connection.execute("DELETE FROM entry").rowcount

    def _open(self) -> sqlite3.Connection:
        """The connection, on the file at `path` still (else the journal is lost)."""
        if self.lost is not None:
            raise unavailable()
        if self._connection is None:
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            try:
                _prepare(connection)
                found = os.stat(self.path)
            except BaseException:
                connection.close()
                raise
            self._connection, self._identity = connection, (found.st_dev, found.st_ino)
            return connection
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            self._lose("the journal file was deleted")
        if (found.st_dev, found.st_ino) != self._identity:
            self._lose("the journal file was replaced")
        return self._connection

    def _lose(self, reason: str) -> NoReturn:
        self.lost = reason
        log.error("request journal lost: %s (%s); restart the sandbox to start a new one", reason, self.path)
        raise unavailable()

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class ServerRing(SharedRing):
    """The journal of a PostgreSQL store, in two tables of its database beside the world's (a reset
    leaves them alone; writing them moves no generation, so cached answers stay valid)."""

    failures = (psycopg.Error, OSError)

    def __init__(self, conninfo: str, capacity: int, where: str) -> None:
        super().__init__(capacity)
        self._conninfo = conninfo
        self.where = where
        self._connection: Any = None

    def _open(self) -> Any:
        if self._connection is None or self._connection.closed:
            self._connection = postgres.side_connection(self._conninfo, _PG_TABLES)
        return self._connection

    def _append(self, batch: list[Kept], skipped: int) -> None:
        connection = self._open()
        with connection.transaction():
            # The row lock makes flushes and clears of every process take turns.
            (cleared,) = connection.execute(
                "SELECT before_ns FROM sandbox_journal_cleared FOR UPDATE"
            ).fetchone()
            if skipped:  # the ids of the entries pushed out unwritten stay taken
                connection.execute(
                    "SELECT setval('sandbox_journal_id_seq', nextval('sandbox_journal_id_seq') + %s - 1)",
                    (skipped,),
                )
            with connection.cursor() as cursor:
                cursor.executemany(
                    _PG_INSERT,
                    [(_at(at), *_bytes(rest)) for recorded, at, *rest in batch if recorded >= cleared],
                )
            connection.execute(
                "DELETE FROM sandbox_journal WHERE id <= (SELECT max(id) FROM sandbox_journal) - %s",
                (self._capacity,),
            )

    def _select(self, where: str, parameters: Sequence[object], order: str, limit: int | None) -> list[Row]:
        where = where.replace("?", "%s")
        sql = f"SELECT id, {_COLUMNS} FROM sandbox_journal {where} ORDER BY id {order} LIMIT %s"
        rows: list[Row] = self._open().execute(sql, [*parameters, limit]).fetchall()  # LIMIT NULL: none
        return rows

    def _clear(self) -> int:
        connection = self._open()
        with connection.transaction():
            connection.execute(
                "UPDATE sandbox_journal_cleared SET before_ns = greatest(before_ns, %s)", (time.time_ns(),)
            )
            return int(connection.execute("DELETE FROM sandbox_journal").rowcount)

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _bytes(values: Sequence[object]) -> list[object]:
    """A kept entry's columns for bytea: text (a redacted body, a query) as UTF-8."""
    return [
        value.encode() if isinstance(value, str) and i in _TEXT_OR_BYTES else value
        for i, value in enumerate(values)
    ]


def _skip_ids(connection: sqlite3.Connection, count: int) -> None:
    moved = connection.execute("UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'entry'", (count,))
    if moved.rowcount == 0:  # nothing written to the file yet
        connection.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('entry', ?)", (count,))


def _prepare(connection: sqlite3.Connection) -> None:
    connection.execute(f"PRAGMA page_size={PAGE_SIZE}")  # a new file only; before WAL, which fixes it
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    with connection:
        connection.execute("BEGIN IMMEDIATE")  # two processes opening it at once make the tables once
        if connection.execute("PRAGMA user_version").fetchone()[0] != VERSION:
            for table in ("entry", "cleared"):
                connection.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in _TABLES:
                connection.execute(statement)
