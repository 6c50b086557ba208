"""A sandbox started beside its PostgreSQL server (compose's team profile starts both at once) waits for
the server to accept connections, up to DATABASE_WAIT seconds, instead of exiting on the first refusal;
a server that answers with a refusal for good (no such database) is not waited for."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from sandbox.store.db import shown
from tests.support import postgres


@pytest.fixture
def late_server() -> Iterator[postgres.Cluster]:
    """A server whose socket directory exists but which is not started yet."""
    cluster = postgres.Cluster("late")
    yield cluster
    cluster.stop()


def _migrate(url: str, wait: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", "migrate", "--db", url, "--database-wait", wait],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_command_waits_for_a_server_that_starts_after_it(late_server: postgres.Cluster) -> None:
    url = late_server.url("postgres")
    command = _migrate(url, "60")
    where = shown(url)  # as messages show it
    assert command.stderr is not None
    waiting = command.stderr.readline()  # said once, before the server is started

    late_server.start()
    out, err = command.communicate(timeout=120)

    assert waiting.startswith(f"waiting up to 60 s for the database server of {where}: ")
    assert waiting.endswith(f'socket "{late_server.root}/.s.PGSQL.5432" failed: No such file or directory\n')
    assert command.returncode == 0, err
    assert err.startswith(f"the database server of {where} answered after ")
    assert out.startswith(f"migrated '{where}' from schema none to ")


def test_a_server_that_refuses_for_good_is_not_waited_for(late_server: postgres.Cluster) -> None:
    late_server.start()
    where = shown(late_server.url("no_such_database"))
    started = time.monotonic()

    command = _migrate(late_server.url("no_such_database"), "60")
    out, err = command.communicate(timeout=120)

    assert time.monotonic() - started < 30  # refused at once, not after the 60 s wait
    assert (command.returncode, out) == (2, "")
    assert err == (
        f"minted-sandbox: error: cannot connect to the database server of {where}: connection failed: "
        f'connection to server on socket "{late_server.root}/.s.PGSQL.5432" failed: FATAL:  database '
        '"no_such_database" does not exist\n'
    )


def test_a_server_that_never_starts_fails_after_the_wait(late_server: postgres.Cluster) -> None:
    url = late_server.url("postgres")
    where = shown(url)

    command = _migrate(url, "1")
    out, err = command.communicate(timeout=120)

    assert (command.returncode, out) == (2, "")
    lines = err.splitlines()
    assert lines[0].startswith(f"waiting up to 1 s for the database server of {where}: ")
    assert lines[-1].startswith(
        f"minted-sandbox: error: cannot connect to the database server of {where} within 1 s: "
    )
