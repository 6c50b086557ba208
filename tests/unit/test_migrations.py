"""Schema migrations (sandbox/store/migrate.py): a database is brought to this version's schema in place,
its data kept. On the suites' store (a SQLite file, or a PostgreSQL database with --store postgresql)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlmodel import SQLModel

from sandbox.config import Settings
from sandbox.runtime import Sandbox
from sandbox.store import migrate
from sandbox.store.db import Store, parsed_safe
from sandbox.store.models import SCHEMA_VERSION, Wallet
from tests.support.servers import make_settings

NUMERIC_MONEY = importlib.import_module("sandbox.store.migrations.versions.0013_numeric_money")
SINCE_12 = ("play", "customer_mode")  # tables schema 14 added

# A later schema, as the next version of the sandbox would ship it: one column more, and its number.
LATER = SCHEMA_VERSION + 1
LATER_REVISION = f"""
import sqlalchemy as sa
from alembic import op

from sandbox.store.migrate import mark

revision = "{LATER:04d}"
down_revision = "{SCHEMA_VERSION:04d}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customer", sa.Column("nickname", sa.String(), nullable=True))
    mark(op.get_bind(), revision)
"""


def settings(folder: Path) -> Settings:
    return make_settings(folder, orders=20, customers=3)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    made = Store(settings(tmp_path / "db").database_url)
    yield made
    made.dispose()


def schema(store: Store) -> dict[str, Any]:
    """What the inspector sees of every table of the sandbox's."""
    seen = inspect(store.engine)
    return {
        table: {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in seen.get_columns(table)],
            "key": seen.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), i["unique"]) for i in seen.get_indexes(table)
            ),
            "unique": sorted(tuple(u["column_names"]) for u in seen.get_unique_constraints(table)),
        }
        for table in sorted(SQLModel.metadata.tables)
    }


def test_the_head_revision_is_the_schema_version_the_models_declare(store: Store) -> None:
    with store.engine.connect() as connection:
        heads = ScriptDirectory.from_config(migrate.config(connection)).get_heads()

    assert heads == [f"{SCHEMA_VERSION:04d}"] == [migrate.HEAD]


def test_an_empty_database_is_brought_to_the_schema_the_models_create(tmp_path: Path, store: Store) -> None:
    made = Store(settings(tmp_path / "made").database_url)
    SQLModel.metadata.create_all(made.engine)

    assert migrate.upgrade(store) == (None, migrate.HEAD)
    assert schema(store) == schema(made)
    made.dispose()


def test_a_database_from_before_migrations_is_stamped_with_its_data_kept(tmp_path: Path) -> None:
    sandbox = Sandbox(settings(tmp_path / "db"))
    sandbox.ensure_world()
    with sandbox.store.engine.connect() as connection:  # as the sandbox left it before migrations
        balances = connection.execute(select(Wallet.id, Wallet.balance).order_by(Wallet.id)).all()
        as_schema_12(connection)
        connection.execute(text("DROP TABLE alembic_version"))
        connection.commit()
        orders = connection.execute(text("SELECT count(*) FROM orders")).scalar_one()

    assert migrate.upgrade(sandbox.store) == (None, migrate.HEAD)
    assert sandbox.ensure_world() is False  # the same world: not rebuilt
    with sandbox.store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM orders")).scalar_one() == orders
        assert connection.execute(select(Wallet.id, Wallet.balance).order_by(Wallet.id)).all() == balances
    sandbox.close()


def test_schema_12s_money_in_millionths_becomes_this_schemas_columns_values_kept(tmp_path: Path) -> None:
    """PostgreSQL: numeric(28, 6), read by psql as 1250.500000; SQLite has no exact decimal type and
    keeps the millionths."""
    sandbox = Sandbox(settings(tmp_path / "db"))
    sandbox.ensure_world()
    read = text("SELECT balance FROM wallet ORDER BY id")
    with sandbox.store.engine.connect() as connection:
        made = connection.execute(read).scalars().all()
        as_schema_12(connection)
        connection.commit()
        millionths = connection.execute(read).scalars().all()

    migrate.upgrade(sandbox.store)
    with sandbox.store.engine.connect() as connection:
        converted = connection.execute(read).scalars().all()
    numeric = sandbox.store.dialect == "postgresql"
    sandbox.close()

    assert all(type(m) is int for m in millionths) and any(m % 10**6 for m in millionths)
    assert converted == made == ([Decimal(m).scaleb(-6) for m in millionths] if numeric else millionths)
    if numeric:
        assert {str(balance)[-7] for balance in made} == {"."}  # six decimal places


def as_schema_12(connection: Connection) -> None:
    """Turn a database of this schema back into what schema 12 wrote: money in integer millionths, and
    none of the tables later schemas added."""
    for table in SINCE_12:
        connection.execute(text(f"DROP TABLE {table}"))
    if connection.dialect.name == "postgresql":
        for table, columns in NUMERIC_MONEY.AMOUNTS.items():
            changes = ", ".join(
                f"ALTER COLUMN {c} TYPE bigint USING ({c} * 1000000)::bigint" for c in columns
            )
            connection.execute(text(f"ALTER TABLE {table} {changes}"))
    connection.execute(text("UPDATE alembic_version SET version_num = '0012'"))
    migrate.mark(connection, "0012")


def test_a_new_schema_is_migrated_in_place_keeping_run_time_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = tmp_path / "later"
    later.mkdir()
    (later / f"{LATER:04d}_nickname.py").write_text(LATER_REVISION)
    sandbox = Sandbox(settings(tmp_path / "db"))
    sandbox.ensure_world()
    with sandbox.store.session(write=True) as session:  # made at run time: not in any template
        session.execute(text("UPDATE customer SET firstname = 'Kept' WHERE id = 1"))

    # The next version of the sandbox: its revisions and its schema number.
    original = migrate.config
    monkeypatch.setattr(migrate, "config", lambda connection, *more: original(connection, later, *more))
    monkeypatch.setattr("sandbox.world.context.SCHEMA_VERSION", LATER)
    rebuilt = sandbox.ensure_world()  # a restart: migrate, then look at the world

    with sandbox.store.engine.connect() as connection:
        kept = connection.execute(text("SELECT firstname FROM customer WHERE id = 1")).scalar_one()
        version = connection.execute(
            text("SELECT value FROM world_meta WHERE key = 'schema_version'")
        ).scalar_one()
        revision = migrate.current(connection)
    columns = [column["name"] for column in inspect(sandbox.store.engine).get_columns("customer")]
    sandbox.close()

    assert (rebuilt, kept, version, revision) == (False, "Kept", str(LATER), f"{LATER:04d}")
    assert "nickname" in columns


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_migrate_command_says_what_it_did_then_that_nothing_is_left(tmp_path: Path) -> None:
    url = settings(tmp_path / "db").database_url
    shown = parsed_safe(url)  # the URL as messages show it: its password hidden

    first, second = run("migrate", "--db", url), run("migrate", "--db", url)

    assert (first.returncode, first.stdout) == (0, f"migrated {shown} from schema none to {migrate.HEAD}\n")
    assert (second.returncode, second.stdout) == (0, f"{shown} is at schema {migrate.HEAD} already\n")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://x/y",
            "database URL 'mysql://x/y': the sandbox runs on SQLite (sqlite://) or PostgreSQL "
            "(postgresql+psycopg://)",
        ),
        (
            "postgresql+psycopg://nobody:secret@127.0.0.1:1/x",
            "cannot connect to the database server of postgresql+psycopg://nobody:***@127.0.0.1:1/x within "
            '0 s: connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused',
        ),
    ],
)
def test_migrate_command_refuses_a_store_it_cannot_use_in_one_line(url: str, message: str) -> None:
    done = run("migrate", "--db", url, "--database-wait", "0")

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1] == f"minted-sandbox: error: {message}"
    assert "secret" not in done.stderr and "Traceback" not in done.stderr


def test_stamps_in_several_threads_at_once_all_succeed(tmp_path: Path) -> None:
    """Two tenants reseeding at once stamp two new worlds at once (CI, stop 26: a reseed answered 500,
    KeyError 'config'): Alembic's commands install module-level proxies, one command at a time."""
    errors: list[BaseException] = []

    def stamp(number: int) -> None:
        engine = create_engine(f"sqlite:///{tmp_path / f'{number}.db'}")
        try:
            for _ in range(10):
                with engine.connect() as connection:
                    migrate.stamp_head(connection)
                    connection.commit()
        except BaseException as error:
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=stamp, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
