"""Writers take turns at the store's write lock (issue 15): in arrival order within a process, one at a
time across processes sharing the file, never through SQLite's busy handler.

SQLite's busy handler sleeps 1 to 100 ms between tries and serves whoever retries first: under eight
parallel clients one write in a hundred waited more than a second. Here the busy timeout is 0, so a
writer that ever met another one inside SQLite would fail at once with `database is locked`.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from sandbox.store import db
from sandbox.store.db import Store
from sandbox.store.models import LedgerEntry, Partner, PriceFix, Wallet
from sandbox.testing.server import SandboxServer
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import make_settings
from tests.support.waiting import wait_for

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
WRITERS = 8
ROUNDS = 25
QUEUED_REQUESTS = 60  # more than the 40 worker threads FastAPI runs sync routes and dependencies in
QUEUED_AT_ONCE = 10  # fewer than the store's pooled connections (a waiting writer holds one)

# Another process on the same file: WRITERS threads, ROUNDS read-then-write sessions each.
OTHER_PROCESS = """
import sys, threading
from sandbox.store import db
db.BUSY_TIMEOUT = 0
from tests.concurrency.test_write_turns import count_up
store = db.Store(sys.argv[1])
threads = [threading.Thread(target=count_up, args=(store, "other")) for _ in range(int(sys.argv[2]))]
print("ready", flush=True)
sys.stdin.readline()
for thread in threads: thread.start()
for thread in threads: thread.join()
store.dispose()
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(make_settings(tmp_path_factory.mktemp("turns"), orders=40)) as running:
        yield running


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setattr(db, "BUSY_TIMEOUT", 0)
    store = Store(f"sqlite:///{tmp_path}/store.db")
    store.create_schema()
    with store.session(write=True) as session:
        session.add(Partner(id=1, username="demo", password="pw", name="Demo", created_at=NOW))
        session.add(Wallet(id=1, partner_id=1, asset="TRY", created_at=NOW))
    yield store
    store.dispose()


def count_up(store: Store, kind: str) -> None:
    """ROUNDS sessions that each read how many entries exist and write the next number: two writers
    interleaving inside one transaction would write the same number twice."""
    for _ in range(ROUNDS):
        with store.session(write=True) as session:
            seen = session.exec(select(func.count()).select_from(LedgerEntry)).one()
            session.add(LedgerEntry(wallet_id=1, amount=Decimal(seen), kind=kind, created_at=NOW))


def test_write_sessions_of_one_process_commit_in_the_order_they_arrived(store: Store) -> None:
    def write(number: int) -> None:
        with store.session(write=True) as session:
            session.add(LedgerEntry(wallet_id=1, amount=Decimal(number), kind="x", created_at=NOW))

    threads = [threading.Thread(target=write, args=(number,)) for number in range(WRITERS)]
    with store.session(write=True) as session:
        session.exec(select(Partner)).all()  # the first statement: the turn is this session's
        for number, thread in enumerate(threads):
            thread.start()
            wait_for(lambda: store.waiting_writers == number + 1, 60, f"writer {number} queued")  # noqa: B023
    for thread in threads:
        thread.join()

    with store.session() as session:
        committed = session.exec(select(col(LedgerEntry.amount)).order_by(col(LedgerEntry.id))).all()
    assert committed == [Decimal(number) for number in range(WRITERS)]
    assert store.waiting_writers == 0


def test_parallel_writers_in_two_processes_never_meet_inside_sqlite(store: Store) -> None:
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS, store.url, str(WRITERS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert other.stdout is not None and other.stdout.readline() == "ready\n", other.stderr
    failures: list[str] = []

    def writer() -> None:
        try:
            count_up(store, "here")
        except Exception as error:  # a thread cannot fail the test itself
            failures.append(repr(error))

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    assert other.stdin is not None
    other.stdin.write("go\n")  # both processes start writing together
    other.stdin.flush()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _, errors = other.communicate()

    assert (other.returncode, errors, failures) == (0, "", [])
    with store.session() as session:
        numbers = session.exec(select(col(LedgerEntry.amount)).order_by(col(LedgerEntry.id))).all()
        kinds = set(session.exec(select(LedgerEntry.kind)).all())
    assert numbers == [Decimal(n) for n in range(2 * WRITERS * ROUNDS)]  # each saw every earlier one
    assert kinds == {"here", "other"}


def test_a_writer_waits_while_a_reset_holds_the_store_and_then_runs(store: Store) -> None:
    def write() -> None:
        with store.session(write=True) as session:
            session.add(LedgerEntry(wallet_id=1, amount=Decimal(1), kind="after", created_at=NOW))

    writer = threading.Thread(target=write)
    with store.exclusive():
        writer.start()
        wait_for(lambda: store.waiting_writers == 1, 60, "the writer queued")
        with store.session(write=True) as session:  # the reset's own writes run inside it
            session.add(LedgerEntry(wallet_id=1, amount=Decimal(0), kind="reset", created_at=NOW))
    writer.join()

    with store.session() as session:
        kinds = session.exec(select(LedgerEntry.kind).order_by(col(LedgerEntry.id))).all()
    assert kinds == ["reset", "after"]


def test_more_write_requests_than_worker_threads_all_get_their_turn(server: SandboxServer) -> None:
    """A route takes its turn at its first statement, in the worker thread running it: the writer
    holding the turn never waits for a thread. Taken when the route's session opens (in the thread
    FastAPI opens dependencies in), forty queued writers would hold every thread and the one whose
    turn came could never run its route."""
    store = server.sandbox.store

    def price_fix(_: int) -> int:
        with httpx.Client(
            base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=60
        ) as http:
            return http.post("/partner/pricefix", json={"type": "digital"}).status_code

    with ThreadPoolExecutor(max_workers=QUEUED_REQUESTS) as pool:
        with store.session(write=True) as session:
            before = session.exec(select(func.count()).select_from(PriceFix)).one()  # the turn is ours
            answers = pool.map(price_fix, range(QUEUED_REQUESTS))
            wait_for(lambda: store.waiting_writers >= QUEUED_AT_ONCE, 60, "writers queued")
        statuses = list(answers)

    assert statuses == [200] * QUEUED_REQUESTS
    with store.session() as session:
        assert session.exec(select(func.count()).select_from(PriceFix)).one() == before + QUEUED_REQUESTS
