"""The Digest replay window of a PostgreSQL store (`ServerNcWindow`): one table for every replica. On
the session's PostgreSQL server under `--store postgresql`, else on one this module starts."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from sandbox.auth.nonces import WINDOW, ServerNcWindow
from sandbox.store.db import Store
from tests.support import postgres

T0 = 1_700_000_000
TTL = 300


class FakeClock:
    def __init__(self) -> None:
        self.now = float(T0)

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def cluster() -> Iterator[postgres.Cluster]:
    own = None if postgres.active() else postgres.Cluster("nonces")
    if own is not None:
        own.start()
    found = postgres.active() or own
    assert found is not None
    yield found
    if own is not None:
        own.stop()


@pytest.fixture
def store(cluster: postgres.Cluster, request: pytest.FixtureRequest) -> Iterator[Store]:
    made = Store(cluster.database(request.node.name))
    yield made
    made.dispose()


@pytest.fixture
def windows(store: Store) -> Iterator[Callable[..., list[ServerNcWindow]]]:
    """`windows(clock, count)`: that many replicas' windows on one database, closed after the test."""
    made: list[ServerNcWindow] = []

    def make(clock: FakeClock, count: int = 2) -> list[ServerNcWindow]:
        made.extend(ServerNcWindow(store.conninfo, TTL, clock) for _ in range(count))
        return made[-count:]

    yield make
    for window in made:
        window.close()


Windows = Callable[..., list[ServerNcWindow]]


def test_a_nonce_count_accepted_through_one_replica_is_refused_through_the_other(windows: Windows) -> None:
    first, second = windows(FakeClock())

    assert [first.accept("n", 1, T0), second.accept("n", 1, T0), second.accept("n", 2, T0)] == [
        True,
        False,
        True,
    ]
    assert not first.accept("n", 2, T0)


def test_counts_far_below_the_highest_are_refused_as_the_window_moved_past_them(windows: Windows) -> None:
    (window,) = windows(FakeClock(), 1)

    assert window.accept("n", WINDOW + 5, T0)
    assert not window.accept("n", 5, T0)  # WINDOW below the highest seen
    assert window.accept("n", 6, T0)  # just inside, never seen


def test_expired_nonces_are_refused_and_their_rows_purged(
    store: Store, windows: Windows, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    (window,) = windows(clock, 1)
    monkeypatch.setattr(ServerNcWindow, "PURGE_EVERY", 3)
    assert window.accept("old", 1, T0) and window.accept("old", 2, T0)

    clock.now += TTL + 60
    refused = window.accept("old", 3, T0)  # past its TTL: refused before any row is written
    fresh = [window.accept("new", 1, int(clock.now)), window.accept("new", 2, int(clock.now))]  # 3rd: purge
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT nc FROM sandbox_digest_nc ORDER BY nc")).scalars().all()

    assert (refused, fresh, len(window)) == (False, [True, True], 1)
    assert rows == [1, 2]  # the new nonce's; the old one's rows are gone


def test_concurrent_checks_through_two_replicas_pass_once_per_count_batched_on_one_thread_each(
    windows: Windows,
) -> None:
    """140 checks awaited at once on one event loop, every count sent twice (once through each replica)
    and some twice through the same one: each count passes exactly once, in batches, not a trip each."""
    first, second = windows(FakeClock())
    checks = [(window, f"n{n % 7}", n // 7 + 1) for n in range(70) for window in (first, second)]
    checks += [(first, "n0", 1), (second, "n6", 10)]

    async def all_at_once() -> list[bool]:
        return await asyncio.gather(*(window.admit(nonce, nc, T0) for window, nonce, nc in checks))

    with count_statements(first) as first_trips, count_statements(second) as second_trips:
        answers = asyncio.run(all_at_once())
    passed = Counter((nonce, nc) for (_, nonce, nc), ok in zip(checks, answers, strict=True) if ok)

    assert passed == Counter({(f"n{n % 7}", n // 7 + 1): 1 for n in range(70)})
    assert 1 <= len(first_trips) < 36 and 1 <= len(second_trips) < 36  # 72 checks a replica


def test_a_server_gone_answers_every_waiting_check_store_unavailable_and_its_return_reconnects(
    store: Store, windows: Windows, tmp_path: Path
) -> None:
    (window,) = windows(FakeClock(), 1)
    assert window.accept("n", 1, T0)
    reachable = window._conninfo
    window._conninfo = f"host={tmp_path} dbname=gone"  # no server listens there
    with store.engine.connect() as connection:  # as a server going down ends its connections
        backend = window._connection.info.backend_pid  # type: ignore[union-attr]
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})

    async def three() -> list[object]:
        return await asyncio.gather(*(window.admit("n", nc, T0) for nc in (2, 3, 4)), return_exceptions=True)

    answers = asyncio.run(three())
    window._conninfo = reachable
    after = [window.accept("n", 2, T0), window.accept("n", 1, T0)]

    assert [getattr(answer, "key", answer) for answer in answers] == ["store_unavailable"] * 3
    assert after == [True, False]  # reconnected; the count accepted before the failure stays used


@contextmanager
def count_statements(window: ServerNcWindow) -> Iterator[list[str]]:
    """The statements a window sends while the block runs."""
    sent: list[str] = []
    run = window._run

    def counted(sql: str, *parameters: object) -> list[tuple[object, ...]]:
        sent.append(sql)
        return run(sql, *parameters)

    window._run = counted  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        window._run = run  # type: ignore[method-assign]


def test_a_check_whose_request_went_away_gets_no_answer_and_uses_nothing(windows: Windows) -> None:
    (window,) = windows(FakeClock(), 1)

    async def scenario() -> tuple[bool, bool, bool]:
        with window._lock:  # the thread's statement waits: the next checks queue behind it
            first = asyncio.ensure_future(window.admit("n", 1, T0))
            await asyncio.sleep(0)  # it is submitted
            while window._pending:
                await asyncio.sleep(0.001)  # until the thread has taken it
            gone = asyncio.ensure_future(window.admit("n", 2, T0))
            await asyncio.sleep(0.01)
            gone.cancel()  # its client went away
            await asyncio.sleep(0.01)  # the cancel reaches the window's own future
        later = await asyncio.wait_for(window.admit("n", 3, T0), 5)  # the window still answers
        return await first, later, gone.cancelled()

    assert asyncio.run(scenario()) == (True, True, True)
    assert window.accept("n", 2, T0)  # never used by the request that went away
