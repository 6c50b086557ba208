"""When the store itself is failing (not just one request): the `store_unavailable` error and how to
tell it from a SQLite error."""

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


def failure_of(error: BaseException) -> str | None:
    """Why `error` means the store itself is failing (not just this request), or None."""
    cause = error.orig if isinstance(error, DBAPIError) else error
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


def unavailable() -> SandboxError:
    return SandboxError("store_unavailable", headers=[("Retry-After", RETRY_AFTER)])
