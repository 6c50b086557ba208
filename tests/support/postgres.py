"""A real PostgreSQL server for the suites run with `--store postgresql` (make test-postgres).

Debian's server binaries (package postgresql; `.ci/run` installs it), started by the test session in a
throwaway data directory on a free port, and stopped at its end: no container, nothing left behind.
Every server a test starts gets a database of its own (`new_database`), as each gets a SQLite file of
its own otherwise. Run as root (CI), the server runs as the `postgres` user, since PostgreSQL refuses
root.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from sandbox.store.db import Store

USER = "sandbox"


def binaries() -> Path:
    """Where Debian installs the server (the newest version there)."""
    root = Path(os.environ.get("POSTGRESQL_ROOT", "/usr/lib/postgresql"))  # as scripts/ensure-test-tools
    found = sorted(root.glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError(
            "PostgreSQL's server is not installed: `apt-get install postgresql` (Debian), or run "
            "`make test-postgres`, which installs it"
        )
    return found[-1].parent


class Cluster:
    """One throwaway server: `start`, `new_database` for each sandbox, `stop`."""

    def __init__(self, label: str) -> None:
        # Under /tmp, not pytest's folders (readable by their owner alone): the server's user must reach
        # its data. Its Unix socket's directory, too: no TCP port to pick or clash on.
        self.root = Path(tempfile.mkdtemp(prefix=f"sandbox-postgres-{label}-"))
        self.data = self.root / "data"
        self._names = itertools.count(1)
        self._databases: dict[str, str] = {}
        self._as_postgres = os.geteuid() == 0

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
        bin_dir = binaries()
        self._run(
            str(bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            USER,
            "--no-sync",
            "-E",
            "UTF8",
        )
        # Durability off: a throwaway server whose data dies with the test session.
        options = (
            f"-k {self.root} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
        )
        self._run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@/{database}?host={self.root}"

    def database(self, folder: str) -> str:
        """The URL of the database of a test's `folder` (where its SQLite file would be): empty when
        first asked for, the same one again for a server restarted on the same folder."""
        if folder not in self._databases:
            self._databases[folder] = self._new_database()
        return self._databases[folder]

    def _new_database(self) -> str:
        name = f"sandbox_{next(self._names)}"
        with psycopg.connect(f"host={self.root} user={USER} dbname=postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            self._run(str(binaries() / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


_cluster: Cluster | None = None


def start(label: str) -> Cluster:
    """The session's server (`label`: which session, for xdist workers)."""
    global _cluster
    _cluster = Cluster(label)
    _cluster.start()
    return _cluster


def stop() -> None:
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        _cluster = None


def active() -> Cluster | None:
    """The session's server when the suites run on PostgreSQL."""
    return _cluster


def refuses(text: str) -> bool:
    """Whether the suites' servers refuse `text` as a value (422 `text_with_nul`): PostgreSQL cannot hold
    a NUL character, where SQLite holds it and simply finds nothing."""
    return _cluster is not None and "\x00" in text


def database_text(store: Store) -> str:
    """Every row of every table of `store`'s database as text: SQLite's dump, or on PostgreSQL each row
    of each table of its schema (the world's, the journal's, the replay window's) cast to text."""
    with store.engine.connect() as connection:
        if store.dialect == "sqlite":
            return "\n".join(connection.connection.driver_connection.iterdump())
        tables = connection.exec_driver_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).scalars()
        quoted = ['"' + name.replace('"', '""') + '"' for name in tables]
        return "\n".join(
            str(row)
            for name in quoted
            for row in connection.exec_driver_sql(f"SELECT t::text FROM {name} t").scalars()
        )
