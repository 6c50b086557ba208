"""A reset keeps every configuration write it races with (issue 13, finding 2).

A reset reads what the user configured (fault rules, lifecycle modes, each partner's webhook URL and
secret and profile), copies the seeded world over the database and writes the configuration back. If
those were separate steps, a configuration write committing in between was answered 200 and then
lost (the issue measured 380 fault rules acknowledged, 239 gone; this test, before the fix, 117 to 128
of its 300 writes). Here writer threads change every kind of kept configuration while another
thread loops resets; each writer owns its keys, so whatever it reads back right after its own
acknowledged write must be that write (no read may see the reset world without it either), and
every acknowledged fault rule must exist at the end. Run against one server process, and against
`serve --workers 2`, whose two processes share the SQLite file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.reliability.procs_server import ServerProcess
from tests.support.servers import small_world

WRITES_PER_THREAD = 60
FAULT_THREADS = 2
MIN_RESETS = 20
FLOWS = ("buy-cash", "sell")


@dataclass
class Tally:
    acknowledged: int = 0
    lost: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # paths of acknowledged fault rules
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, lost: str | None = None) -> None:
        with self.lock:
            self.acknowledged += 1
            if lost is not None:
                self.lost.append(lost)


def _guarded(tally: Tally, work: Callable[[httpx.Client], None], url: str) -> Callable[[], None]:
    def run() -> None:
        try:
            with httpx.Client(base_url=url, timeout=60) as http:
                work(http)
        except Exception as error:  # threads cannot fail the test themselves
            tally.failures.append(repr(error))

    return run


def _ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()["data"]


def _fault_writer(number: int, tally: Tally) -> Callable[[httpx.Client], None]:
    def work(http: httpx.Client) -> None:
        for sequence in range(WRITES_PER_THREAD):
            path = f"/partner/race-{number}-{sequence}"
            rule = {"match": {"path": path}, "effect": {"type": "error", "status": 503}, "enabled": False}
            _ok(http.post("/_sandbox/faults", json=rule))
            with tally.lock:
                tally.rules.append(path)
            tally.ack()

    return work


def _webhook_writer(tally: Tally) -> Callable[[httpx.Client], None]:
    def work(http: httpx.Client) -> None:
        for sequence in range(WRITES_PER_THREAD):
            wanted = {
                "partner": "demo",
                "url": f"http://127.0.0.1:9/hook-{sequence}",
                "secret": f"whsec_race{sequence:04}",
            }
            _ok(http.put("/_sandbox/webhooks", json=wanted))
            seen = next(c for c in _ok(http.get("/_sandbox/webhooks")) if c["partner"] == "demo")
            same = seen["url"] == wanted["url"] and seen["secret"] == wanted["secret"]
            tally.ack(None if same else f"webhook {wanted['url']}: read back {seen['url']}")

    return work


def _profile_writer(tally: Tally) -> Callable[[httpx.Client], None]:
    def work(http: httpx.Client) -> None:
        for sequence in range(WRITES_PER_THREAD):
            wanted = ("strict", "lenient")[sequence % 2]
            _ok(http.put("/_sandbox/profile", json={"partner": "acme", "profile": wanted}))
            seen = next(p for p in _ok(http.get("/_sandbox/profile"))["partners"] if p["partner"] == "acme")
            same = seen["own"] and seen["profile"] == wanted
            tally.ack(None if same else f"profile {wanted}: read back {seen}")

    return work


def _mode_writer(tally: Tally) -> Callable[[httpx.Client], None]:
    def work(http: httpx.Client) -> None:
        for sequence in range(WRITES_PER_THREAD):
            flow = FLOWS[sequence % len(FLOWS)]
            # Timed, steps about a day long (nothing moves meanwhile), each write its own length.
            body = {"mode": "timed", "step_seconds": 86_400 - sequence}
            _ok(http.put(f"/_sandbox/lifecycles/{flow}/mode", json=body))
            seen = next(f for f in _ok(http.get("/_sandbox/lifecycles")) if f["flow"] == flow)["mode"]
            same = seen["mode"] == "timed" and seen["step_seconds"] == body["step_seconds"]
            tally.ack(None if same else f"{flow} mode {body}: read back {seen}")

    return work


def _race(url: str) -> tuple[Tally, int]:
    """Every writer against a reset loop; returns the tally and how many resets ran meanwhile."""
    tally = Tally()
    writers = [
        *(_fault_writer(number, tally) for number in range(FAULT_THREADS)),
        _webhook_writer(tally),
        _profile_writer(tally),
        _mode_writer(tally),
    ]
    threads = [threading.Thread(target=_guarded(tally, work, url)) for work in writers]
    resets = 0

    def reset_loop(http: httpx.Client) -> None:
        nonlocal resets
        while any(thread.is_alive() for thread in threads) or resets < MIN_RESETS:
            _ok(http.post("/_sandbox/reset"))
            resets += 1

    resetter = threading.Thread(target=_guarded(tally, reset_loop, url))
    for thread in threads:
        thread.start()
    resetter.start()
    for thread in [*threads, resetter]:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in [*threads, resetter]), "a thread hung"
    with httpx.Client(base_url=url, timeout=60) as http:
        kept = {rule["match"]["path"] for rule in _ok(http.get("/_sandbox/faults"))["faults"]}
    tally.lost.extend(f"fault rule {path}" for path in tally.rules if path not in kept)
    return tally, resets


def _report(tally: Tally, resets: int, where: str) -> None:
    print(f"\n{where}: {tally.acknowledged} acknowledged writes, {resets} resets, {len(tally.lost)} lost")
    assert tally.failures == []
    assert resets >= MIN_RESETS
    assert tally.acknowledged == (FAULT_THREADS + 3) * WRITES_PER_THREAD
    assert tally.lost == [], "\n".join(tally.lost)


def test_a_reset_loses_no_configuration_write_in_one_process(tmp_path: Path) -> None:
    with small_world(tmp_path) as server:
        tally, resets = _race(server.url)
    _report(tally, resets, "one process")


def test_a_reset_loses_no_configuration_write_across_two_workers(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "race.db", workers=2, flags=("--orders", "40", "--customers", "5"))
    try:
        server.start()
        tally, resets = _race(server.url)
    finally:
        server.kill()
    _report(tally, resets, "two workers")
