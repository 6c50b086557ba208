"""The template a reset restores, and the user configuration a reset keeps.

The seeded world is built once (Faker) into a template database; a reset copies the template over
the live database with SQLite's backup API, page by page, in one step. A file database keeps its
template next to it (`sandbox.db` → `sandbox.template.db`), so a restarted server resets to the
pristine seeded world, not to whatever the database held when it started, and holds no second copy
of the world in memory; an in-memory database keeps its template in memory.

What a user configured survives a reset (`PRESERVED`): whole tables (fault rules, lifecycle modes)
and some columns of others (each partner's webhook URL and secret, and its profile). A table that
does not exist (yet) is skipped, and only columns present both before and after are written back.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from sandbox.store.db import Store
from sandbox.store.seed.context import WorldSpec

# table → the columns kept (None = every row of the table, as it is)
PRESERVED: dict[str, list[str] | None] = {
    "fault_rule": None,
    "lifecycle_mode": None,
    "partner": ["webhook_url", "webhook_secret", "profile"],
}


def template_path(store: Store) -> Path | None:
    """Where a file database keeps its template (None: an in-memory store keeps it in memory)."""
    url = make_url(store.url)
    if store.in_memory or url.get_backend_name() != "sqlite" or not url.database:
        return None
    database = Path(url.database).expanduser().resolve()
    return database.with_name(f"{database.stem}.template{database.suffix}")


def build(
    spec: WorldSpec, fixtures_dir: Path, progress: Callable[[int], None] | None = None
) -> sqlite3.Connection:
    """Build the world `spec` describes (Faker) into a scratch in-memory database and return its copy."""
    from sandbox.store.seed import build_world

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
    template = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    try:
        signature = dict(template.execute("SELECT key, value FROM world_meta").fetchall())
    except sqlite3.Error:
        signature = None
    if signature != spec.signature():
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
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)


def restore(store: Store, template: sqlite3.Connection, *, keep: bool = True) -> None:
    """Overwrite the live database with `template`; with `keep`, what the user configured survives."""
    kept = read_preserved(store) if keep else []
    store.restore(template)
    if kept:
        write_preserved(store, kept)


@dataclass(frozen=True)
class Kept:
    table: str
    key: list[str]  # primary key columns ([] when the whole table is kept)
    rows: list[dict[str, Any]]


def read_preserved(store: Store, preserved: dict[str, list[str] | None] = PRESERVED) -> list[Kept]:
    """Raw rows (no type conversion: they go back byte for byte) of what a reset keeps."""
    kept: list[Kept] = []
    with store.session() as session:
        connection = session.connection()
        for table, wanted in preserved.items():
            columns = _columns(connection, table)
            if not columns:
                continue
            key = [] if wanted is None else _primary_key(connection, table)
            chosen = columns if wanted is None else [*key, *(c for c in wanted if c in columns)]
            query = f"SELECT {_names(connection, chosen)} FROM {_quote(connection, table)}"
            rows = [dict(row) for row in connection.execute(text(query)).mappings()]
            kept.append(Kept(table, key, rows))
    return kept


def write_preserved(store: Store, kept: list[Kept]) -> None:
    with store.session(write=True) as session:
        connection = session.connection()
        for item in kept:
            columns = _columns(connection, item.table)
            if not columns:
                continue
            table = _quote(connection, item.table)
            if not item.key:
                connection.execute(text(f"DELETE FROM {table}"))
            rows = [{k: v for k, v in row.items() if k in columns} for row in item.rows]
            if not rows or not rows[0]:
                continue
            names = list(rows[0])
            if item.key:
                assignments = ", ".join(f"{_quote(connection, c)} = :{c}" for c in names if c not in item.key)
                match = " AND ".join(f"{_quote(connection, c)} = :{c}" for c in item.key)
                if assignments:
                    connection.execute(text(f"UPDATE {table} SET {assignments} WHERE {match}"), rows)
            else:
                values = ", ".join(f":{c}" for c in names)
                insert = f"INSERT INTO {table} ({_names(connection, names)}) VALUES ({values})"
                connection.execute(text(insert), rows)


def _columns(connection: Connection, table: str) -> list[str]:
    inspector = inspect(connection)
    if not inspector.has_table(table):
        return []
    return [column["name"] for column in inspector.get_columns(table)]


def _primary_key(connection: Connection, table: str) -> list[str]:
    return inspect(connection).get_pk_constraint(table)["constrained_columns"]


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def _names(connection: Connection, names: list[str]) -> str:
    return ", ".join(_quote(connection, name) for name in names)


def close(template: sqlite3.Connection | None) -> None:
    if template is not None:
        with contextlib.suppress(sqlite3.Error):
            template.close()
