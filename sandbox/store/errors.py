"""When the store itself is failing (not just one request): the `store_unavailable` error and how to
tell it from an error of one statement, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError

from sandbox.core.errors import SandboxError

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
# PostgreSQL's SQLSTATE classes (the first two characters) and codes that mean the same.
PG_FAILURES = {
    "08": "the database server cannot be reached",  # connection exceptions
    "53": "the database server is out of resources (disk, memory or connections)",
    "57": "the database server is shutting down or starting",  # operator intervention
    "58": "the database server has an I/O error",  # system error
    "XX": "the database server reports an internal error",
    "25006": "the database is read-only",
    "42P01": "the database has lost its tables",
}


def failure_of(error: BaseException) -> str | None:
    """Why `error` means the store itself is failing (not just this request), or None."""
    cause = error.orig if isinstance(error, DBAPIError) else error
    if cause is not None and _is_psycopg(cause):
        state: str | None = getattr(cause, "sqlstate", None)
        if state is None:  # no answer at all: refused, reset, or the server went away mid-statement
            return PG_FAILURES["08"] if type(cause).__name__ == "OperationalError" else None
        return PG_FAILURES.get(state) or PG_FAILURES.get(state[:2])
    if not isinstance(cause, sqlite3.Error):
        return None
    code = getattr(cause, "sqlite_errorcode", None) or 0
    if code == READONLY_DBMOVED:
        return "the database file was deleted or moved"
    if code & 0xFF in FAILURES:
        return FAILURES[code & 0xFF]
    if NO_TABLE in str(cause):
        return "the database has lost its tables"
    return None


def _is_psycopg(error: BaseException) -> bool:
    return type(error).__module__.startswith("psycopg")


def unavailable() -> SandboxError:
    return SandboxError("store_unavailable", headers=[("Retry-After", RETRY_AFTER)])
