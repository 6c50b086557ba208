"""What only a PostgreSQL store needs: its engine (write turns by advisory lock, and the count of the
writes that move the generation row on), the schemas of tenants, the connections of the tables beside
the world's, and copying a world's template in (a reset, a reseed, a new tenant).

The template is what it is on SQLite, a SQLite database built once from the seed (every replica
builds the same one). The first reset of a world copies it with COPY into a schema of the database
(`sandbox_template_<hash of the world's signature>`, shared by every replica and every tenant holding
that world); each reset then copies from there on the server, in one transaction with everything else
it does: it reads what the user configured, empties the world's tables, copies the template's rows,
writes the configuration back, moves the epoch and the sequences on. Readers in any process see the old
world or the new one, never a half-copied one; writers wait at the advisory lock (`Store.exclusive`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from typing import Any, Protocol

import psycopg
from sqlalchemy import Connection, Engine, Table, create_engine, event, make_url
from sqlmodel import SQLModel

from sandbox.store.gate import WriteLock
from sandbox.store.models import Amount


class Store(Protocol):
    """What this module uses of a `sandbox.store.db.Store` (which imports this module)."""

    url: str
    schema: str | None
    pool_size: int
    lock_key: int
    engine: Engine

    @property
    def writes(self) -> WriteLock: ...

    def exclusive(self) -> AbstractContextManager[None]: ...

    def failures(self, write: bool) -> AbstractContextManager[None]: ...

    def invalidate_reads(self) -> None: ...


# The advisory lock under which one process makes a template's schema; the others wait, then use it.
_TEMPLATES_LOCK = 0x53425452
# The advisory lock under which a process makes the tables kept beside the world's (the journal's, the
# Digest replay window's): two replicas starting at once would otherwise both create them, one failing.
_SIDE_TABLES_LOCK = 0x53425854


# PostgreSQL: a one-row table every transaction that changed rows moves on (`generation`); outside the
# world's tables, so copying a template in never sets it back.
GENERATION_TABLE = "sandbox_generation"
NUL_REFUSED = "cannot contain NUL (0x00) bytes"  # psycopg's words for a text value holding one
WROTE = "sandbox_wrote"  # connection.info key: a statement of this transaction changed rows


def make_generation_row(execute: Callable[[str], object], key: int, schema: str | None) -> None:
    """The generation table of a PostgreSQL database (and the schema holding it), made once by whichever
    process comes first (in a transaction: the advisory lock is the transaction's; not the write turns'
    own, which a reset making it may hold already)."""
    execute(f"SELECT pg_advisory_xact_lock({key + 1})")
    if schema:
        execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
    execute(f"CREATE TABLE IF NOT EXISTS {GENERATION_TABLE} (id int PRIMARY KEY, n bigint NOT NULL)")
    execute(f"INSERT INTO {GENERATION_TABLE} VALUES (1, 0) ON CONFLICT DO NOTHING")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def drop_schema(store: Store, schema: str) -> None:
    """PostgreSQL: remove `schema` of `store`'s database, and everything in it (a tenant's world)."""
    with store.failures(write=True), store.engine.connect() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {_quote(schema)} CASCADE")
        connection.commit()


def search_path(schema: str) -> str:
    """libpq's `options` that put a store's connections in its schema."""
    return f"-csearch_path={_quote(schema)}"


def engine(store: Store, url: str) -> Engine:
    """The engine of a PostgreSQL store: its write turns and the count of its writes (`Store.session`)."""
    # No pre-ping (a round trip per checkout): a connection the server dropped fails its statement,
    # which answers store_unavailable once, and the pool replaces it.
    options = {"options": search_path(store.schema)} if store.schema else {}
    made = create_engine(url, pool_size=store.pool_size, max_overflow=-1, connect_args=options)

    @event.listens_for(made, "begin")
    def _begin(connection: Connection) -> None:
        # The turn in this process, then the one among every process on the database: READ
        # COMMITTED reads each later statement's data after the lock, so a read-check-write
        # transaction runs alone among writers, as SQLite's BEGIN IMMEDIATE makes it.
        take_turn = connection.get_execution_options().get("write_turn")
        if take_turn is not None:
            take_turn()
            if not store.writes.reentered():  # a reset's own writes: it holds the lock already
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({store.lock_key})")

    @event.listens_for(made, "after_cursor_execute")
    def _count_writes(
        connection: Connection,
        cursor: Any,
        statement: str,
        _params: object,
        _context: object,
        _many: bool,
    ) -> None:
        if cursor.rowcount and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            connection.info[WROTE] = True

    return made


@contextmanager
def advisory_lock(store: Store) -> Iterator[None]:
    """Every write transaction's advisory lock, held on a connection of its own (a reset's writes
    run on others: they skip it, `engine`)."""
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"SELECT pg_advisory_lock({store.lock_key})")
        raw.commit()
        try:
            yield
        finally:
            cursor.execute(f"SELECT pg_advisory_unlock({store.lock_key})")
            raw.commit()
    finally:
        raw.close()


def conninfo(url: str, schema: str | None = None) -> str:
    """A store's SQLAlchemy URL as libpq takes it, searching `schema` first."""
    parsed = make_url(url).set(drivername="postgresql")
    if schema:
        parsed = parsed.update_query_dict({"options": search_path(schema)})
    return parsed.render_as_string(hide_password=False)


def side_connection(conninfo: str, tables: Sequence[str]) -> psycopg.Connection[tuple[Any, ...]]:
    """A connection of its own (autocommit) to a PostgreSQL store, its `tables` made if need be."""
    connection = psycopg.connect(conninfo, autocommit=True)
    try:
        with connection.transaction():
            connection.execute(f"SELECT pg_advisory_xact_lock({_SIDE_TABLES_LOCK})")
            for statement in tables:
                connection.execute(statement)
    except BaseException:
        connection.close()
        raise
    return connection


def still_starting(error: psycopg.OperationalError) -> bool:
    """Whether a failed connection is worth trying again: no answer yet (refused, no such host or
    socket: a server or its container still starting) or "the database system is starting up". A
    server that answered with a refusal (no such database, a wrong password) is not. libpq gives no
    SQLSTATE for a connection it could not open: its message tells."""
    text = str(error)
    answered = "FATAL:" in text or "fe_sendauth" in text
    return not answered or "the database system is" in text


def reason(error: psycopg.Error) -> str:
    """The first line of libpq's message (the rest repeats it or hints), for one line on stderr."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def wait_for_server(conninfo: str, seconds: float, waiting: Callable[[str], None]) -> float:
    """Wait up to `seconds` for the server to accept a connection, as a replica started beside its
    database must (compose starts both at once); `waiting(reason)` is told once. Returns the seconds
    waited; raises the server's last error when it does not answer in time or refuses for good."""
    started = time.monotonic()
    told = False
    while True:
        try:
            psycopg.connect(conninfo, connect_timeout=max(1, min(5, round(seconds)))).close()
            return time.monotonic() - started
        except psycopg.OperationalError as error:
            if not still_starting(error) or time.monotonic() - started >= seconds:
                raise
            if not told:
                waiting(reason(error))
                told = True
            time.sleep(0.5)


def _names(names: list[str]) -> str:
    return ", ".join(_quote(name) for name in names)


def restore(
    store: Store,
    template: sqlite3.Connection,
    preserved: dict[str, list[str] | None],
    check_live: Callable[[dict[str, str] | None], None],
) -> int:
    """Replace the world in `store` with `template`'s, keeping `preserved` (table → the columns kept,
    None: every row) and moving the epoch on. `check_live(signature)` may refuse, raising, before
    anything changed. Returns the new epoch."""
    tables = [table for table in SQLModel.metadata.sorted_tables if _in_template(template, table.name)]
    with store.exclusive(), store.engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        with raw.transaction(), raw.cursor() as cursor:
            make_generation_row(cursor.execute, store.lock_key, store.schema)
            if _exists(cursor, "world_meta"):
                cursor.execute("SELECT key, value FROM world_meta")
                check_live(dict(cursor.fetchall()) or None)
                cursor.execute("SELECT epoch FROM sandbox_state")
                found = cursor.fetchone()
                epoch = (found[0] if found else 0) + 1
            else:
                check_live(None)
                SQLModel.metadata.create_all(connection)
                epoch = 1
            models = SQLModel.metadata.tables
            kept = [_read(cursor, models[name], wanted) for name, wanted in preserved.items()]
            source = _server_template(template, cursor, tables)
            cursor.execute(f"TRUNCATE {_names([table.name for table in tables])} RESTART IDENTITY CASCADE")
            for table in tables:
                columns = _names([column.name for column in table.columns])
                name = _quote(table.name)
                cursor.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {source}.{name}")
            for rows in kept:
                rows.write(cursor)
            cursor.execute("UPDATE sandbox_state SET epoch = %s", (epoch,))
            for table in tables:
                _restart_sequence(cursor, table)
            cursor.execute(f"UPDATE {GENERATION_TABLE} SET n = n + 1")
        connection.rollback()  # SQLAlchemy's own (empty) transaction around the raw one
    store.invalidate_reads()
    return epoch


def _server_template(template: sqlite3.Connection, cursor: Any, tables: list[Table]) -> str:
    """The schema holding `template`'s rows on the server (quoted), made from it the first time."""
    signature = dict(template.execute("SELECT key, value FROM world_meta").fetchall())
    digest = hashlib.sha256(json.dumps(signature, sort_keys=True).encode()).hexdigest()[:16]
    schema = _quote(f"sandbox_template_{digest}")
    cursor.execute(f"SELECT pg_advisory_xact_lock({_TEMPLATES_LOCK})")
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{schema}.complete",))
    if cursor.fetchone()[0]:
        return schema
    cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")  # one a failed first reset left behind
    cursor.execute(f"CREATE SCHEMA {schema}")
    for table in tables:
        name = _quote(table.name)
        cursor.execute(f"CREATE TABLE {schema}.{name} AS SELECT * FROM {name} WITH NO DATA")
        _copy(template, cursor, table, f"{schema}.{name}")
    cursor.execute(f"CREATE TABLE {schema}.complete ()")
    return schema


def _in_template(template: sqlite3.Connection, name: str) -> bool:
    found = template.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


def _exists(cursor: Any, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
    return bool(cursor.fetchone()[0])


def _copy(template: sqlite3.Connection, cursor: Any, table: Table, into: str) -> None:
    """The template's rows of `table` into the table `into`, as SQLite holds them: COPY's text form reads
    SQLite's datetimes (ISO text) and booleans (0 and 1) as PostgreSQL's own. Money is SQLite's integer
    millionths, written as the decimal it stands for (numeric on PostgreSQL)."""
    columns = [column.name for column in table.columns]
    amounts = [n for n, column in enumerate(table.columns) if isinstance(column.type, Amount)]
    rows = template.execute(f"SELECT {_names(columns)} FROM {_quote(table.name)}")
    with cursor.copy(f"COPY {into} ({_names(columns)}) FROM STDIN") as copy:
        for row in rows:
            if amounts:
                row = tuple(_decimal(v) if n in amounts else v for n, v in enumerate(row))
            copy.write_row(row)


def _decimal(millionths: int | None) -> Decimal | None:
    return None if millionths is None else Decimal(millionths).scaleb(-Amount.SCALE)


def _restart_sequence(cursor: Any, table: Table) -> None:
    """A table whose id PostgreSQL numbers goes on after the highest id copied in."""
    key = list(table.primary_key.columns)
    if len(key) != 1 or key[0].autoincrement is False or key[0].type.python_type is not int:
        return
    name, column = _quote(table.name), _quote(key[0].name)
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({column}), 0) + 1, false) FROM {name}",
        (table.name, key[0].name),
    )


class _Kept:
    """Rows of one table read before the copy, written back after it."""

    def __init__(self, table: Table, key: list[str], columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.table, self.key, self.columns, self.rows = table, key, columns, rows

    def write(self, cursor: Any) -> None:
        name = _quote(self.table.name)
        if not self.key:  # the whole table
            cursor.execute(f"DELETE FROM {name}")
            if self.rows:
                with cursor.copy(f"COPY {name} ({_names(self.columns)}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            return
        values = [c for c in self.columns if c not in self.key]
        if not values or not self.rows:
            return
        assignments = ", ".join(f"{_quote(c)} = %s" for c in values)
        match = " AND ".join(f"{_quote(c)} = %s" for c in self.key)
        width = len(self.key)
        moved = [(*row[width:], *row[:width]) for row in self.rows]
        cursor.executemany(f"UPDATE {name} SET {assignments} WHERE {match}", moved)


def _read(cursor: Any, table: Table, wanted: list[str] | None) -> _Kept:
    key = [] if wanted is None else [column.name for column in table.primary_key.columns]
    columns = [column.name for column in table.columns] if wanted is None else [*key, *wanted]
    cursor.execute(f"SELECT {_names(columns)} FROM {_quote(table.name)}")
    return _Kept(table, key, columns, cursor.fetchall())
