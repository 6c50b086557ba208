"""The request journal of a file database: one journal file for every process serving it.

Each `Journal` below stands for one worker process: two on one database share its journal file."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.core.errors import SandboxError
from sandbox.domain import journal_rings
from sandbox.domain.journal import REDACTED, Journal
from sandbox.store.db import Store
from tests.support.waiting import wait_for

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CARD = "4048090000007528"  # Luhn-valid
DIGEST = b'Digest username="demo", response="5ca1ab1e"'

Opener = Callable[..., Journal]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.db"


@pytest.fixture
def journal_of(database: Path) -> Iterator[Opener]:
    """Journals on `database`'s journal file (one per simulated process), closed after the test."""
    opened: list[tuple[Journal, Store]] = []

    def open_journal(capacity: int = 100) -> Journal:
        store = Store(f"sqlite:///{database}")
        opened.append((Journal(store, capacity), store))
        return opened[-1][0]

    yield open_journal
    for journal, store in opened:
        journal.close()
        store.dispose()


def record(journal: Journal, path: str, *, status: int = 200, body: bytes | None = None) -> None:
    journal.record_raw(
        AT,
        method="POST" if body else "GET",
        path=path,
        query=b"",
        partner="demo",
        status=status,
        seconds=0.002,
        request_headers=[(b"authorization", DIGEST), (b"x-client-id", b"web")],
        request_body=[body] if body else None,
        response_headers=[(b"content-type", b"application/json")],
        response_body=[body or b'{"data":{}}'],
    )


@pytest.fixture
def unflushed(monkeypatch: pytest.MonkeyPatch) -> None:
    """No background write: a process's entries reach the file only when it reads, clears or closes."""
    monkeypatch.setattr(journal_rings, "FLUSH_SECONDS", 3600)


def paths(journal: Journal) -> list[str]:
    return [entry.path for entry in journal.query()]


# -- one journal for every process -------------------------------------------------------------------


def test_a_file_database_keeps_its_journal_in_a_file_beside_it(journal_of: Opener, database: Path) -> None:
    journal = journal_of()
    record(journal, "/partner/a")

    journal.query()

    assert (database.parent / "sandbox.journal.db").is_file()
    assert not database.exists()  # never in the database itself: its commits would empty every cache


@pytest.mark.usefixtures("unflushed")
def test_two_journals_on_one_file_see_each_others_entries_after_a_flush(journal_of: Opener) -> None:
    first, second = journal_of(), journal_of()
    record(first, "/partner/first")
    record(second, "/partner/second")

    assert paths(second) == ["/partner/second"]  # a read writes its own process's entries first
    assert paths(first) == ["/partner/second", "/partner/first"]
    assert [entry.as_dict() for entry in second.query()] == [entry.as_dict() for entry in first.query()]


def test_another_processs_entries_are_written_without_a_read_there(journal_of: Opener) -> None:
    first, second = journal_of(), journal_of()

    record(second, "/partner/second")

    wait_for(lambda: paths(first) == ["/partner/second"], 10, "the second journal's background write")


@pytest.mark.usefixtures("unflushed")
def test_ids_increase_across_processes_and_after_a_clear(journal_of: Opener) -> None:
    first, second = journal_of(), journal_of()
    for n in range(3):
        record(first, f"/partner/first/{n}")
        first.query()
        record(second, f"/partner/second/{n}")
        second.query()
    before = [entry.id for entry in first.query()]
    first.clear()
    record(second, "/partner/after")

    after = [entry.id for entry in second.query()]

    assert before == list(range(1, 7))
    assert after == [7]  # never reused after a clear


@pytest.mark.usefixtures("unflushed")
@pytest.mark.usefixtures("unflushed")
def test_entries_pushed_out_before_their_write_still_count_in_the_ids(journal_of: Opener) -> None:
    """A writer that falls behind (a busy machine): the buffer keeps the newest `capacity` entries, and
    the ids of those it let go stay taken, so the last id still counts every request recorded."""
    journal = journal_of(5)
    for n in range(12):
        record(journal, f"/partner/{n}")

    entries = journal.query()

    assert [(entry.id, entry.path) for entry in entries] == [(n, f"/partner/{n - 1}") for n in range(8, 13)]


def test_the_ring_keeps_the_newest_capacity_entries_of_all_processes(journal_of: Opener) -> None:
    first, second = journal_of(capacity=5), journal_of(capacity=5)
    for n in range(4):
        record(first, f"/partner/first/{n}")
    first.query()
    for n in range(4):
        record(second, f"/partner/second/{n}")

    kept = second.query()

    assert [entry.path for entry in kept] == ["/partner/first/3"] + [f"/partner/second/{n}" for n in range(4)]
    assert [entry.id for entry in kept] == list(range(4, 9))


@pytest.mark.usefixtures("unflushed")
@pytest.mark.parametrize("kept_in", ["file", "memory"])
def test_filters_and_limit_select_alike_in_the_file_and_in_memory(journal_of: Opener, kept_in: str) -> None:
    journal = journal_of() if kept_in == "file" else Journal(Store("sqlite://"), 100)
    for n, status in enumerate((200, 404, 200, 422)):
        record(journal, f"/partner/order/{n}", status=status)
    record(journal, "/partner/orders", status=201, body=b"{}")

    assert [e.path for e in journal.query(status=200)] == ["/partner/order/0", "/partner/order/2"]
    assert [e.path for e in journal.query(path="/partner/order/", limit=2)] == [
        "/partner/order/2",
        "/partner/order/3",
    ]
    assert [e.path for e in journal.query(since=1, limit=2)] == ["/partner/order/1", "/partner/order/2"]
    assert [e.path for e in journal.query(method="post")] == ["/partner/orders"]
    assert journal.query(partner="acme") == []
    assert journal.query(path="/partner/order%") == []  # a prefix, not a pattern


# -- clearing ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("unflushed")
def test_a_clear_empties_the_journal_for_every_process_and_counts_what_it_held(journal_of: Opener) -> None:
    first, second = journal_of(), journal_of()
    record(first, "/partner/first")
    record(second, "/partner/second")
    second.query()

    cleared = first.clear()

    assert cleared == 2  # the clearing process's own unwritten entry included
    assert second.query() == first.query() == []


@pytest.mark.usefixtures("unflushed")
def test_entries_recorded_before_a_clear_and_written_after_it_are_dropped(journal_of: Opener) -> None:
    first, second = journal_of(), journal_of()
    record(second, "/partner/before-the-clear")  # still in the second process's buffer

    first.clear()
    record(second, "/partner/after-the-clear")

    assert paths(second) == ["/partner/after-the-clear"]
    assert paths(first) == ["/partner/after-the-clear"]


@pytest.mark.usefixtures("unflushed")
def test_closing_writes_what_the_process_has_not_written(journal_of: Opener) -> None:
    first, second = journal_of(), journal_of()
    record(second, "/partner/at-shutdown")

    second.close()

    assert paths(first) == ["/partner/at-shutdown"]


class Counted(threading.Event):
    """An event that counts its `set` calls."""

    def __init__(self) -> None:
        super().__init__()
        self.sets = 0

    def set(self) -> None:
        self.sets += 1
        super().set()


def test_a_close_that_comes_as_the_writer_gathers_a_batch_returns(journal_of: Opener) -> None:
    """The race that hung a server's tenant removal for good (CI, stop 25): `close` sets `_closing` and
    `_due` just after the writer's batch wait timed out and before the writer clears `_due`. The writer
    must not then wait for `_due` again; `close`, joining it, would wait with it."""
    journal = journal_of()
    ring = journal._ring
    assert isinstance(ring, journal_rings.SharedRing)
    due = ring._due = Counted()
    closers: list[threading.Thread] = []

    class CloseAsTheBatchWaitEnds(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            woken = super().wait(timeout)
            if not woken and not closers:  # the batch wait timed out: `close` runs now, to its join
                sets, closer = due.sets, threading.Thread(target=journal.close, daemon=True)
                closer.start()
                closers.append(closer)
                wait_for(lambda: due.sets > sets, 10, "close() to set `_due`")
            return woken

    ring._closing = CloseAsTheBatchWaitEnds()
    record(journal, "/partner/just-before-the-close")

    wait_for(lambda: bool(closers), 10, "the writer's batch wait")
    closers[0].join(timeout=10)

    assert not closers[0].is_alive(), "close() still waits for the journal writer"
    assert paths(journal_of()) == ["/partner/just-before-the-close"]


# -- what is kept ------------------------------------------------------------------------------------


def test_card_data_is_redacted_before_it_reaches_the_file(journal_of: Opener, database: Path) -> None:
    first, second = journal_of(), journal_of()
    record(second, "/partner/card", body=json.dumps({"card_number": CARD, "cvv": "123"}).encode())

    (entry,) = wait_for(lambda: first.query(), 10, "the entry")

    assert json.loads(entry.request_body or "") == {"card_number": "404809******7528", "cvv": "***"}
    assert entry.request_headers["authorization"] == REDACTED
    first.close()
    second.close()
    kept = b"".join(path.read_bytes() for path in database.parent.glob("sandbox.journal.db*"))
    assert CARD.encode() not in kept and b"5ca1ab1e" not in kept  # nor the Digest answer


def test_an_in_memory_store_keeps_its_journal_in_memory(tmp_path: Path) -> None:
    store = Store("sqlite://")
    journal = Journal(store, 10)
    record(journal, "/partner/a")

    assert [entry.path for entry in journal.query()] == ["/partner/a"]
    assert journal.clear() == 1
    assert list(tmp_path.iterdir()) == []
    journal.close()
    store.dispose()


# -- a failing journal file --------------------------------------------------------------------------


def test_a_deleted_journal_file_keeps_recording_and_reads_answer_store_unavailable(
    journal_of: Opener, database: Path
) -> None:
    journal = journal_of()
    record(journal, "/partner/before")
    journal.query()
    for leftover in database.parent.glob("sandbox.journal.db*"):
        leftover.unlink()

    record(journal, "/partner/after")  # dropped, never raised

    for read in (journal.query, journal.clear):
        with pytest.raises(SandboxError) as refused:
            read()
        assert refused.value.key == "store_unavailable"
    assert not (database.parent / "sandbox.journal.db").exists()  # lost until a restart, not remade


def test_a_corrupt_journal_file_keeps_recording_and_reads_answer_store_unavailable(
    journal_of: Opener, database: Path
) -> None:
    (database.parent / "sandbox.journal.db").write_bytes(b"not a journal " * 1000)
    journal = journal_of()

    record(journal, "/partner/a")

    with pytest.raises(SandboxError) as refused:
        journal.query()
    assert refused.value.key == "store_unavailable"
