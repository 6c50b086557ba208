"""Stateless HMAC nonces and the nc sliding window (docs/design/digest.md §4). Every window test runs
on the in-process window and on the shared one (tests/unit/test_nonces_shared.py: what only it does)."""

from __future__ import annotations

import itertools
import re
import threading
from pathlib import Path

import pytest

from sandbox.auth.nonces import WINDOW, NcWindow, NonceManager, SharedNcWindow
from sandbox.core.clock import Clock
from sandbox.core.ids import SystemRandom

T0 = 1_700_000_000
SECRET = b"unit-test-secret"
REALM = "sandbox"


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def counting_hex():
    counter = itertools.count(1)
    return lambda n: f"{next(counter):0{n}x}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def manager(clock: FakeClock) -> NonceManager:
    return NonceManager(SECRET, REALM, ttl=300, clock=clock, random_hex=counting_hex())


Window = NcWindow | SharedNcWindow


@pytest.fixture(params=["in-process", "shared"])
def window(request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path) -> Window:
    if request.param == "shared":
        return SharedNcWindow(tmp_path / "s.db.nonces", ttl=300, clock=clock)
    return NcWindow(ttl=300, clock=clock)


def flip(text: str, index: int) -> str:
    return text[:index] + ("0" if text[index] != "0" else "1") + text[index + 1 :]


# NonceManager.mint / opaque


def test_mint_fresh_nonce_is_56_lowercase_hex(manager: NonceManager) -> None:
    assert re.fullmatch(r"[0-9a-f]{56}", manager.mint())


def test_mint_fresh_nonce_starts_with_hex_issue_time(manager: NonceManager) -> None:
    assert manager.mint()[:8] == f"{T0:08x}"


def test_mint_random_part_comes_from_injected_source(manager: NonceManager) -> None:
    assert manager.mint()[8:24] == "0000000000000001"


def test_mint_twice_same_second_gives_different_nonces(manager: NonceManager) -> None:
    assert manager.mint() != manager.mint()


def test_opaque_same_secret_and_realm_is_constant_32_hex(manager: NonceManager) -> None:
    other = NonceManager(SECRET, REALM, ttl=1, clock=FakeClock(0), random_hex=counting_hex())
    assert re.fullmatch(r"[0-9a-f]{32}", manager.opaque)
    assert manager.opaque == other.opaque


@pytest.mark.parametrize(("secret", "realm"), [(b"other-secret", REALM), (SECRET, "other-realm")])
def test_opaque_other_secret_or_realm_differs(manager: NonceManager, secret: bytes, realm: str) -> None:
    other = NonceManager(secret, realm, ttl=300, clock=FakeClock(), random_hex=counting_hex())
    assert other.opaque != manager.opaque


# NonceManager.check


def test_check_fresh_nonce_is_valid_with_issue_time(manager: NonceManager) -> None:
    check = manager.check(manager.mint())
    assert (check.valid, check.expired, check.issued_at) == (True, False, T0)


def test_check_nonce_at_exactly_ttl_is_not_expired(manager: NonceManager, clock: FakeClock) -> None:
    nonce = manager.mint()
    clock.now += 300
    assert not manager.check(nonce).expired


def test_check_nonce_older_than_ttl_is_valid_but_expired(manager: NonceManager, clock: FakeClock) -> None:
    nonce = manager.mint()
    clock.now += 301
    check = manager.check(nonce)
    assert (check.valid, check.expired) == (True, True)


@pytest.mark.parametrize("index", [0, 10, 30, 55], ids=["time", "random", "mac", "last"])
def test_check_tampered_nonce_is_invalid(manager: NonceManager, index: int) -> None:
    assert not manager.check(flip(manager.mint(), index)).valid


@pytest.mark.parametrize(
    "nonce",
    ["2", "", "0" * 56, "a" * 57, "g" * 56],
    ids=["doc-example", "empty", "zeros", "too-long", "not-hex"],
)
def test_check_malformed_nonce_is_invalid(manager: NonceManager, nonce: str) -> None:
    assert not manager.check(nonce).valid


def test_check_upper_case_nonce_is_invalid(manager: NonceManager) -> None:
    assert not manager.check(manager.mint().upper()).valid


@pytest.mark.parametrize(("secret", "realm"), [(b"other-secret", REALM), (SECRET, "other-realm")])
def test_check_nonce_from_other_secret_or_realm_is_invalid(
    manager: NonceManager, clock: FakeClock, secret: bytes, realm: str
) -> None:
    foreign = NonceManager(secret, realm, ttl=300, clock=clock, random_hex=counting_hex())
    assert not manager.check(foreign.mint()).valid


def test_check_nonce_from_within_clock_skew_is_valid(manager: NonceManager, clock: FakeClock) -> None:
    nonce = manager.mint()
    clock.now -= 5
    assert manager.check(nonce).valid


def test_check_nonce_from_beyond_clock_skew_is_invalid(manager: NonceManager, clock: FakeClock) -> None:
    nonce = manager.mint()
    clock.now -= 6
    assert not manager.check(nonce).valid


def test_check_real_clock_and_system_random_wiring_is_valid() -> None:
    manager = NonceManager(SECRET, REALM, ttl=300, clock=Clock().timestamp, random_hex=SystemRandom.hex)
    nonce = manager.mint()
    assert re.fullmatch(r"[0-9a-f]{56}", nonce)
    assert manager.check(nonce).valid


# NcWindow


def test_window_first_nc_is_accepted(window: Window) -> None:
    assert window.accept("n", 1, T0)


def test_window_same_nc_twice_is_rejected(window: Window) -> None:
    window.accept("n", 1, T0)
    assert not window.accept("n", 1, T0)


def test_window_increasing_nc_is_accepted(window: Window) -> None:
    assert all(window.accept("n", nc, T0) for nc in range(1, 200))


def test_window_reordered_nc_is_accepted_then_replay_rejected(window: Window) -> None:
    assert [window.accept("n", nc, T0) for nc in (1, 2, 5, 4, 3, 1)] == [True] * 5 + [False]


def test_window_nc_reordered_far_beyond_in_flight_counts_all_accepted_once(window: Window) -> None:
    """Many connections sharing one nonce (wrk -c32 over httptools, async clients): answers reach the
    check out of send order. Blocks of 1,000 sent in reverse: every nc passes, each exactly once."""
    order = [nc for block in range(10) for nc in range(block * 1000 + 1000, block * 1000, -1)]
    assert all(window.accept("n", nc, T0) for nc in order)
    assert not any(window.accept("n", nc, T0) for nc in order)


def test_window_nc_window_minus_one_above_lowest_unseen_is_accepted(window: Window) -> None:
    window.accept("n", WINDOW, T0)
    assert window.accept("n", 1, T0)


def test_window_nc_left_behind_by_the_window_is_rejected(window: Window) -> None:
    window.accept("n", WINDOW + 1, T0)
    assert not window.accept("n", 1, T0)
    assert window.accept("n", 2, T0)


def test_window_unused_nc_keeps_memory_bounded(clock: FakeClock) -> None:
    """An nc the client never sends (a request that failed before it left) holds the floor; the bits
    above it stop at the window's width, and the gap is given up once the window moves past it."""
    window = NcWindow(ttl=300, clock=clock)
    assert all(window.accept("n", nc, T0) for nc in range(2, 100_000))
    assert window._windows["n"].seen.bit_length() <= WINDOW
    assert not window.accept("n", 1, T0)
    assert not window.accept("n", 99_999, T0)


def test_window_huge_jump_is_accepted_and_forgets_old_bits(window: Window) -> None:
    window.accept("n", 1, T0)
    assert window.accept("n", 0xFFFFFFFF, T0)
    assert not window.accept("n", 2, T0)


def test_window_zero_nc_is_rejected(window: Window) -> None:
    assert not window.accept("n", 0, T0)


def test_window_other_nonce_has_its_own_counts(window: Window) -> None:
    window.accept("a", 1, T0)
    assert window.accept("b", 1, T0)


def test_window_expired_nonce_is_rejected(window: Window, clock: FakeClock) -> None:
    clock.now += 301
    assert not window.accept("n", 1, T0)


def test_window_expired_nonce_is_purged_lazily(window: Window, clock: FakeClock) -> None:
    window.accept("old", 1, T0)
    clock.now += 301
    window.accept("new", 1, T0 + 301)
    assert len(window) == 1


def test_window_over_capacity_evicts_oldest_issued(clock: FakeClock) -> None:
    window = NcWindow(ttl=300, clock=clock, capacity=2)
    window.accept("b", 1, T0 + 1)
    window.accept("a", 1, T0)
    window.accept("c", 1, T0 + 2)
    assert len(window) == 2
    assert not window.accept("b", 1, T0 + 1)  # still tracked: a replay


def test_window_evicted_nonce_stays_rejected(clock: FakeClock) -> None:
    window = NcWindow(ttl=300, clock=clock, capacity=1)
    window.accept("a", 1, T0)
    window.accept("b", 1, T0 + 1)
    assert not window.accept("a", 2, T0)


def test_window_concurrent_same_nc_is_accepted_exactly_once(window: Window) -> None:
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for nc in range(1, 65):
            accepted = window.accept("n", nc, T0)
            with lock:
                results.append(accepted)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 64
