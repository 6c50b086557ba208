"""The nc replay window shared by every process serving one database file (docs/design/digest.md §4.2):
two windows on one file are one window; its hard cap and floor; its file made once, replaced or
refused. The window's own semantics run on both kinds in tests/unit/test_nonces.py."""

from __future__ import annotations

import logging
import multiprocessing
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sandbox.auth import nonces
from sandbox.auth.nonces import PROBE, WINDOW, NonceFileError, SharedNcWindow

T0 = 1_700_000_000
TTL = 300
SIZE = 64 + (nonces.SLOTS + PROBE - 1) * (32 + WINDOW // 8)


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "s.db.nonces"


def shared(path: Path, clock: FakeClock, slots: int = nonces.SLOTS) -> SharedNcWindow:
    return SharedNcWindow(path, ttl=TTL, clock=clock, slots=slots)


def header(version: int = nonces._VERSION, slots: int = nonces.SLOTS) -> bytes:
    return nonces._HEADER.pack(b"SBXNONCE", version, slots, PROBE, WINDOW)


# One window for every process


def test_shared_nc_accepted_through_one_window_is_refused_by_the_other(path: Path, clock: FakeClock) -> None:
    first, second = shared(path, clock), shared(path, clock)
    assert first.accept("n", 1, T0)
    assert not second.accept("n", 1, T0)
    assert second.accept("n", 2, T0)
    assert not first.accept("n", 2, T0)


def test_shared_window_waits_for_a_lock_held_in_its_own_process_without_freezing_it(path: Path) -> None:
    """A thread of this process holds the window file's lock (as a second window on the same file does
    mid-check) and needs the interpreter to let it go: the check waits for it, then passes. Run in a
    child process, since a wait that kept the interpreter lock would freeze the whole process."""
    script = f"""
import fcntl, threading, time
from pathlib import Path
from sandbox.auth.nonces import SharedNcWindow
window = SharedNcWindow(Path({str(path)!r}), ttl={TTL}, clock=lambda: {T0})
held = threading.Event()
def hold():
    with open({str(path)!r}, "rb") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        held.set()
        time.sleep(0.3)  # Python code, between taking the lock and letting it go
        fcntl.flock(other, fcntl.LOCK_UN)
holder = threading.Thread(target=hold)
holder.start()
held.wait()
started = time.monotonic()
print(window.accept("n", 1, {T0}), round(time.monotonic() - started, 1))
holder.join()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)

    assert (done.returncode, done.stderr) == (0, "")
    accepted, waited = done.stdout.split()
    assert accepted == "True" and 0.2 <= float(waited) < 5


def test_shared_reordered_nc_through_both_windows_accepted_once_each(path: Path, clock: FakeClock) -> None:
    first, second = shared(path, clock), shared(path, clock)
    answers = [
        window.accept("n", nc, T0) for window, nc in [(first, 5), (second, 4), (first, 1), (second, 3)]
    ]
    assert answers == [True] * 4
    assert [window.accept("n", nc, T0) for window in (first, second) for nc in (1, 3, 4, 5)] == [False] * 8
    assert second.accept("n", WINDOW + 2, T0)  # the window slides past 2, never seen: given up
    assert not first.accept("n", 2, T0)


def _accept_all(path: Path, ncs: int, accepted: multiprocessing.Queue[int]) -> None:
    window = shared(path, FakeClock())
    accepted.put(sum(window.accept("n", nc, T0) for nc in range(1, ncs + 1)))


def test_shared_two_processes_racing_on_every_nc_accept_each_once(path: Path) -> None:
    shared(path, FakeClock())
    fork = multiprocessing.get_context("fork")
    accepted: multiprocessing.Queue[int] = fork.Queue()
    processes = [fork.Process(target=_accept_all, args=(path, 20_000, accepted)) for _ in range(2)]
    for process in processes:
        process.start()
    counts = [accepted.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert sum(counts) == 20_000
    assert [process.exitcode for process in processes] == [0, 0]


def test_shared_windows_made_at_once_on_a_new_file_are_one_window(path: Path, clock: FakeClock) -> None:
    windows: list[SharedNcWindow] = []
    start = threading.Barrier(8)

    def make() -> None:
        start.wait()
        windows.append(shared(path, clock))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert path.stat().st_size == SIZE
    assert [window.accept("n", 1, T0) for window in windows].count(True) == 1


def test_shared_window_survives_its_processes(path: Path, clock: FakeClock) -> None:
    """A restart on the same database: a header captured before it is still refused."""
    shared(path, clock).accept("n", 1, T0)
    assert not shared(path, clock).accept("n", 1, T0)


# The hard cap: per probe run (one run with slots=1)


def test_shared_full_run_evicts_the_oldest_issued(path: Path, clock: FakeClock) -> None:
    clock.now = T0 + 30
    window, other = shared(path, clock, slots=1), shared(path, clock, slots=1)
    order = [3, 0, 6, 1, 7, 2, 5, 4]  # issued T0 + i, first used in this order
    assert all(window.accept(f"n{i}", 1, T0 + i) for i in order)
    assert len(window) == PROBE
    assert window.accept("late", 1, T0 + 20)
    assert len(window) == PROBE
    assert not other.accept("n0", 2, T0)  # evicted: counts as expired, in every process
    assert not other.accept("n1", 1, T0 + 1)  # still tracked: a replay
    assert other.accept("n1", 2, T0 + 1)


def test_shared_eviction_raises_the_floor_for_nonces_issued_before(path: Path, clock: FakeClock) -> None:
    clock.now = T0 + 30
    window = shared(path, clock, slots=1)
    for i in range(PROBE + 1):  # the ninth evicts n0
        window.accept(f"n{i}", 1, T0 + 10 + i)
    assert not window.accept("never-used", 1, T0 + 9)  # issued before n0: as if expired
    assert window.accept("newer", 1, T0 + 30)


def test_shared_expired_nonces_free_their_slots(path: Path, clock: FakeClock) -> None:
    window = shared(path, clock, slots=1)
    assert all(window.accept(f"old{i}", 1, T0) for i in range(PROBE))
    clock.now += TTL + 1
    assert all(window.accept(f"new{i}", 1, T0 + TTL) for i in range(PROBE))
    assert len(window) == PROBE
    assert not any(window.accept(f"new{i}", 1, T0 + TTL) for i in range(PROBE))
    assert all(window.accept(f"new{i}", 2, T0 + TTL) for i in range(PROBE))


# The file


def test_shared_file_has_the_header_and_its_fixed_size(path: Path, clock: FakeClock) -> None:
    shared(path, clock)
    assert path.read_bytes()[: len(header())] == header()
    assert path.stat().st_size == SIZE
    assert path.stat().st_mode & 0o077 == 0


def test_shared_foreign_file_is_refused_naming_it_and_left_alone(path: Path, clock: FakeClock) -> None:
    content = b"SQLite format 3\x00" + bytes(100)
    path.write_bytes(content)
    with pytest.raises(NonceFileError, match="is not a Digest replay window of the sandbox") as refused:
        shared(path, clock)
    assert str(path) in str(refused.value)
    assert path.read_bytes() == content


@pytest.mark.parametrize(
    "content",
    [header(version=1), header(slots=16) + bytes(1000), header()],
    ids=["other-version", "other-size", "cut-short"],
)
def test_shared_file_of_another_sandbox_version_is_replaced(
    path: Path, clock: FakeClock, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, "sandbox.auth"):
        window = shared(path, clock)
    assert f"replacing {path}, made by another version of the sandbox" in caplog.messages
    assert path.stat().st_size == SIZE
    assert window.accept("n", 1, T0)
    assert not shared(path, clock).accept("n", 1, T0)
    assert [entry.name for entry in path.parent.iterdir()] == [path.name]


def test_shared_file_made_half_way_is_made_again(path: Path, clock: FakeClock) -> None:
    """Its maker stopped after sizing it, before the header."""
    path.write_bytes(bytes(SIZE))
    window = shared(path, clock)
    assert path.read_bytes()[: len(header())] == header()
    assert window.accept("n", 1, T0)


def test_shared_damaged_slots_and_floor_never_raise_and_free_up(path: Path, clock: FakeClock) -> None:
    shared(path, clock)
    noise = random.Random(7).randbytes(SIZE - 24)
    with path.open("r+b") as file:
        file.seek(24)  # the header kept: the floor and every slot random
        file.write(noise)
    window = shared(path, clock)
    assert all(window.accept(f"n{i}", 1, T0) for i in range(500))
    assert not any(window.accept(f"n{i}", 1, T0) for i in range(500))


def test_shared_file_is_written_out_whole_so_requests_never_need_disk_space(
    path: Path, clock: FakeClock
) -> None:
    """Not sparse: every block is on disk once the file is made, so a full disk later never refuses an
    authenticated request (tests/reliability/test_store_failure.py fills the disk under a server)."""
    shared(path, clock)
    assert path.stat().st_blocks * 512 >= SIZE


def test_shared_file_whose_maker_stopped_while_writing_it_out_is_made_again(
    path: Path, clock: FakeClock
) -> None:
    path.write_bytes(bytes(SIZE // 3))
    window = shared(path, clock)
    assert (path.stat().st_size, path.read_bytes()[: len(header())]) == (SIZE, header())
    assert window.accept("n", 1, T0)
