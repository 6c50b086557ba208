"""The template a reset restores, and the user configuration a reset keeps.

The seeded world is built once (Faker) into a template database; a reset copies the template over
the live database with SQLite's backup API, page by page, in one step. A file database keeps its
template next to it (`sandbox.db` → `sandbox.template.db`), so a restarted server resets to the
pristine seeded world, not to whatever the database held when it started, and holds no second copy
of the world in memory; an in-memory database keeps its template in memory. A reset that keeps the
configuration copies it into `sandbox.staging.db` first (`staging`).

What a user configured survives a reset (`PRESERVED`): whole tables (fault rules, lifecycle modes)
and some columns of others (each partner's webhook URL and secret, and its profile). A table that
does not exist (yet) is skipped, and only columns present both before and after are written back.
No write session runs between reading it and writing it back (`restore`), so none is lost.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from sandbox.store import postgres
from sandbox.store.db import Store
from sandbox.world import build_world
from sandbox.world.context import WorldSpec

# Staging files this process has copied from its template. One left by an earlier run is copied again
# before its first use: written without syncing, a power loss may have left it torn.
_COPIED: set[Path] = set()

# table → the columns kept (None = every row of the table, as it is)
PRESERVED: dict[str, list[str] | None] = {
    "fault_rule": None,
    "lifecycle_mode": None,
    "partner": ["webhook_url", "webhook_secret", "profile"],
    # The clock and the counters `restore` moves on; `draws` restarts with the template's (ids start over).
    "sandbox_state": ["epoch", "version", "clock_frozen_at", "clock_offset_us"],
}


def template_path(store: Store, kind: str = "template") -> Path | None:
    """Where a file database keeps its template, or its `staging` copy (None: an in-memory store keeps
    it in memory)."""
    url = make_url(store.url)
    if store.in_memory or url.get_backend_name() != "sqlite" or not url.database:
        return None
    database = Path(url.database).expanduser().resolve()
    return database.with_name(f"{database.stem}.{kind}{database.suffix}")


def build(
    spec: WorldSpec, fixtures_dir: Path, progress: Callable[[int], None] | None = None
) -> sqlite3.Connection:
    """Build the world `spec` describes (Faker) into a scratch in-memory database and return its copy."""
    scratch = Store("sqlite://")
    try:
        build_world(scratch, spec, fixtures_dir, progress)
        return scratch.snapshot()
    finally:
        scratch.dispose()


def open_saved(path: Path | None, spec: WorldSpec) -> sqlite3.Connection | None:
    """The saved template at `path`, read-only, if it holds exactly the world `spec` describes."""
    if path is None or not path.is_file():
        return None
    template = _read_only(path)
    if _signature(template) != spec.signature():
        template.close()
        return None
    return template


def save(template: sqlite3.Connection, path: Path | None) -> sqlite3.Connection:
    """Write `template` to `path` (atomically) and return the read-only saved copy; in memory: itself."""
    if path is None:
        return template
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    target = sqlite3.connect(partial)
    try:
        template.backup(target)
    finally:
        target.close()
    os.replace(partial, path)
    template.close()
    return _read_only(path)


def _read_only(path: Path) -> sqlite3.Connection:
    """A saved template, opened to be copied from. A copy reads each page once, so the connection
    keeps next to no page cache: a server holding 100 tenants kept ~1 MB for each template otherwise."""
    template = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    template.execute("PRAGMA cache_size=-64")
    return template


class WorldMoved(Exception):
    """The database holds another world than the template (reseeded through another process)."""


def restore(store: Store, template: sqlite3.Connection, *, keep: bool = True, moved_ok: bool = False) -> int:
    """Overwrite the live database with `template`; with `keep`, what the user configured survives
    (else the template's pristine configuration goes in). Either way the epoch moves on: every
    process serving the database starts over with it (sandbox/runtime/shared.py).

    One step for every writer, in every process sharing the database (`Store.exclusive`): a
    configuration write acknowledged meanwhile committed before the configuration was read (and is
    kept), or waits until the copy is in. And one step for every reader: the configuration is written
    into a copy of the template (`staging`), which goes over the database in one piece.

    A reset (not `moved_ok`) raises `WorldMoved`, changing nothing, when the database holds another
    world than the template: the resetting process holds an old template. Returns the new epoch.
    On PostgreSQL the copy and the configuration are one transaction (sandbox/store/postgres.py)."""
    if store.dialect == "postgresql":
        expected = _signature(template)

        def check_live(live: dict[str, str] | None) -> None:
            if not moved_ok and live is not None and live != expected:
                raise WorldMoved()

        return postgres.restore(store, template, PRESERVED if keep else {}, check_live)
    with store.exclusive():
        with store.raw_connection() as connection:
            live = _signature(connection)
            if not moved_ok and live is not None and live != _signature(template):
                raise WorldMoved()
            epoch = _epoch(connection) + 1
            kept = read_preserved(connection) if keep else []
        if not keep:
            store.restore(template)
            with store.raw_connection() as connection:  # the template's epoch is 0; any process that
                # looks meanwhile starts over twice, which is harmless
                connection.execute("UPDATE sandbox_state SET epoch = ?", (epoch,))
            store.invalidate_reads()
            return epoch
        for item in kept:
            if item.table == "sandbox_state":
                item.rows[:] = [{**row, "epoch": epoch} for row in item.rows]
        with staging(store, template) as staged:
            write_preserved(staged, kept)
            store.restore(staged)
    return epoch


def _epoch(database: sqlite3.Connection) -> int:
    """The live database's epoch (0 for a database from before there was one)."""
    try:
        found = database.execute("SELECT epoch FROM sandbox_state").fetchone()
    except sqlite3.Error:
        return 0
    return found[0] if found else 0


@contextmanager
def staging(store: Store, template: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """The template with room for the configuration: a scratch copy in memory for an in-memory store;
    for a file database a file beside its template, kept from one reset to the next and copied again
    only when the template holds another world (a large world costs one copy per reseed and server
    start, not per reset). Only a reset uses it, and only under `Store.exclusive`: one at a time in
    every process. Whatever configuration it holds, the next `write_preserved` overwrites."""
    path = template_path(store, "staging")
    if path is None:
        staged = sqlite3.connect(":memory:", isolation_level=None)
        try:
            template.backup(staged)
            yield staged
        finally:
            staged.close()
        return
    staged = sqlite3.connect(path, isolation_level=None)
    try:
        staged.execute("PRAGMA synchronous=OFF")  # the template can always rebuild it: see _COPIED
        if path not in _COPIED or _signature(staged) != _signature(template):
            template.backup(staged)
            _COPIED.add(path)
        yield staged
    finally:
        staged.close()


def _signature(database: sqlite3.Connection) -> dict[str, str] | None:
    """The spec of the world `database` holds (`WorldSpec.signature`), None if it holds none."""
    try:
        return dict(database.execute("SELECT key, value FROM world_meta").fetchall())
    except sqlite3.Error:
        return None


@dataclass(frozen=True)
class Kept:
    table: str
    key: list[str]  # primary key columns ([] when the whole table is kept)
    rows: list[dict[str, Any]]


def read_preserved(
    connection: sqlite3.Connection, preserved: dict[str, list[str] | None] = PRESERVED
) -> list[Kept]:
    """Raw rows (no type conversion: they go back byte for byte) of what a reset keeps."""
    kept: list[Kept] = []
    for table, wanted in preserved.items():
        columns, key = _columns(connection, table)
        if not columns:
            continue
        chosen = columns if wanted is None else [*key, *(c for c in wanted if c in columns)]
        cursor = connection.execute(f"SELECT {_names(chosen)} FROM {_quote(table)}")
        rows = [dict(zip(chosen, row, strict=True)) for row in cursor]
        kept.append(Kept(table, [] if wanted is None else key, rows))
    return kept


def write_preserved(connection: sqlite3.Connection, kept: list[Kept]) -> None:
    """Write `kept` into the database `connection` (autocommit) holds, in one transaction."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for item in kept:
            columns, _ = _columns(connection, item.table)
            if not columns:
                continue
            table = _quote(item.table)
            if not item.key:
                connection.execute(f"DELETE FROM {table}")
            rows = [{k: v for k, v in row.items() if k in columns} for row in item.rows]
            if not rows or not rows[0]:
                continue
            names = list(rows[0])
            if item.key:
                assignments = ", ".join(f"{_quote(c)} = :{c}" for c in names if c not in item.key)
                match = " AND ".join(f"{_quote(c)} = :{c}" for c in item.key)
                if assignments:
                    connection.executemany(f"UPDATE {table} SET {assignments} WHERE {match}", rows)
            else:
                values = ", ".join(f":{c}" for c in names)
                connection.executemany(f"INSERT INTO {table} ({_names(names)}) VALUES ({values})", rows)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _columns(connection: sqlite3.Connection, table: str) -> tuple[list[str], list[str]]:
    """The table's columns and its primary key columns (both empty when there is no such table)."""
    info = connection.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    key = [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5]]
    return [row[1] for row in info], key


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _names(names: list[str]) -> str:
    return ", ".join(_quote(name) for name in names)


def close(template: sqlite3.Connection | None) -> None:
    if template is not None:
        with contextlib.suppress(sqlite3.Error):
            template.close()
