"""Schema migrations (Alembic, sandbox/store/migrations/): every start and `minted-sandbox migrate`
bring a database to the schema this version of the sandbox writes, in place, its data kept.

Revisions are schema numbers (`SCHEMA_VERSION` is the head). Each revision after the first ends with
`mark`, which writes its number into world_meta's `schema_version`: a database upgraded in place still
holds the world the sandbox describes, so it is not rebuilt (the saved reset template, built by the older
version, is: its signature names the older schema). A database of a schema from before migrations
(below 12) is left to the rebuild that start-up always did for it.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from sandbox.store.db import Store
from sandbox.store.models import SCHEMA_VERSION

log = logging.getLogger("sandbox.store")
logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines say each step; ours say the result
MIGRATIONS = Path(__file__).with_name("migrations")
FIRST = "0012"  # the schema the first revision creates: a database at it is stamped, not migrated
HEAD = f"{SCHEMA_VERSION:04d}"
# Alembic's commands install module-level proxies (`alembic.context`, `alembic.op`) while they run: two at
# once in one process (two tenants reseeding) mix up each other's and remove them (KeyError 'config').
# One command at a time per process: a template's stamp takes milliseconds, an upgrade at start longer.
_COMMANDS = threading.Lock()


def config(connection: Connection, *locations: Path) -> Config:
    """Alembic's configuration on `connection`; more `locations` of revisions (tests) beside ours."""
    made = Config()
    made.set_main_option("script_location", str(MIGRATIONS))
    made.set_main_option("path_separator", "os")
    made.set_main_option(
        "version_locations", os.pathsep.join(str(p) for p in (MIGRATIONS / "versions", *locations))
    )
    made.attributes["connection"] = connection
    return made


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(store: Store, *locations: Path) -> tuple[str | None, str | None]:
    """Bring `store`'s database to the head revision (one process at a time); (from, to) revisions."""
    with store.exclusive(), store.engine.connect() as connection:
        before = current(connection)
        if before is None and inspect(connection).has_table("world_meta"):
            found = connection.execute(
                text("SELECT value FROM world_meta WHERE key = 'schema_version'")
            ).scalar_one_or_none()
            if found != str(int(FIRST)):
                log.info("schema %s predates migrations: the world is rebuilt", found)
                return None, None
            connection.commit()
            with _COMMANDS:
                command.stamp(config(connection, *locations), FIRST)
        connection.commit()
        with _COMMANDS:
            command.upgrade(config(connection, *locations), "heads")
        connection.commit()
        after = current(connection)
    if after != before:
        log.info("database schema: %s -> %s", before or "none", after)
    return before, after


def stamp_head(connection: Connection) -> None:
    """Mark a database whose tables `create_all` just made (a world's template) as at the head."""
    with _COMMANDS:
        command.stamp(config(connection), "heads")


def mark(connection: Connection, revision: str) -> None:
    """End of a revision: the world in the database is described by this schema from now on."""
    connection.execute(
        text("UPDATE world_meta SET value = :version WHERE key = 'schema_version'"),
        {"version": str(int(revision))},
    )
