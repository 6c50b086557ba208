"""The store failing under a running server: 503 `store_unavailable`, never a 500, never a 200 for a
write that is not in the database, and an unhealthy health check (issue 13, finding 8).

Before the fix, with the database file deleted while serving, buys were answered 200 into a file no
one would open again, new connections found an empty file (500 `no such table`) and
`/_sandbox/invariants` said clean; with the disk full every write was a 500. Here a real
`minted-sandbox serve` process has its file deleted in the middle of a buy load, and another has
its disk fill up: a file size limit (RLIMIT_FSIZE, set on the running process) makes every write
that would grow a file fail, as a full disk does; lifting it is freeing space.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.procs_server import ServerProcess, buy_body, make_customer, pricefix, wait_for
from tests.support.constants import CONTROL_TOKEN

FLAGS = ("--orders", "40", "--customers", "5")
BUYERS = 4
CUSTOMER = "store-failure"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    running = ServerProcess(tmp_path / "s.db", flags=FLAGS).start()
    try:
        with running.client() as http:
            make_customer(http, CUSTOMER, 100_000)
        yield running
    finally:
        running.kill()


def healthcheck(server: ServerProcess, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sandbox", "healthcheck", "--url", server.url, "--timeout", "10"]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, env={**os.environ, **env}, check=False
    )


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, f"{response.request.method} {response.request.url}: {response.text}"
    assert response.json()["data"] == {"error": "store_unavailable"}
    assert response.json()["success"] is False
    assert response.headers["retry-after"] == "5"


NEW_CUSTOMER = {
    "external_id": "after-failure", "firstname": "Deniz", "lastname": "Kaya", "email": "d@example.com",
    "phone": "+905321112233", "gender": "F", "identity_number": "46714948610", "birthdate": "1990-05-01",
}  # fmt: skip
# Every kind of call that needs the store: partner reads (Get Order, a list, a balance; cached or not)
# and writes, control reads and writes, the dashboard. (method, path, JSON body, as a partner?)
STORE_CALLS: list[tuple[str, str, Any, bool]] = [
    ("GET", "/partner/orders?total=5", None, True),
    ("GET", f"/partner/balance/customer/{CUSTOMER}", None, True),
    (
        "POST",
        "/partner/pricefix",
        {"type": "digital", "customer_external_id": CUSTOMER, "currency": "TRY"},
        True,
    ),
    ("POST", "/partner/customer", NEW_CUSTOMER, True),
    ("GET", "/_sandbox/invariants", None, False),
    ("GET", "/_sandbox/state", None, False),
    ("GET", "/_sandbox/faults", None, False),
    ("POST", "/_sandbox/faults", {"match": {"path": "/partner/x"}, "effect": {"type": "drop"}}, False),
    ("GET", "/_sandbox/webhooks", None, False),
    ("PUT", "/_sandbox/webhooks", {"partner": "demo", "url": "http://127.0.0.1:9/h"}, False),
    ("PUT", "/_sandbox/profile", {"partner": "demo", "profile": "strict"}, False),
    ("PUT", "/_sandbox/lifecycles/sell/mode", {"mode": "manual"}, False),
    ("POST", "/_sandbox/reset", None, False),
    ("GET", "/_sandbox/ui", None, False),
    ("GET", "/_sandbox/health", None, False),
]


def call(server: ServerProcess, method: str, path: str, body: Any, partner: bool) -> httpx.Response:
    with server.client() if partner else server.control() as http:
        return http.request(method, path, json=body)


def test_deleting_the_database_file_under_load_acknowledges_nothing_more(server: ServerProcess) -> None:
    with server.client() as http:
        before = http.post(
            "/partner/order/digital/buy", json=buy_body(pricefix(http, CUSTOMER), CUSTOMER, "before")
        )
        guid = before.json()["data"]["guid"][0]
    # A second name for the file, so that what the server wrote into it can be read afterwards.
    kept = server.db.with_name("kept.db")
    os.link(server.db, kept)
    deleted_at: list[float] = []
    buys: list[tuple[str, float, int]] = []  # external_id, when the buy started, its status
    refusals: list[httpx.Response] = []

    def buyer(number: int) -> None:
        failures = 0
        with server.client(timeout=30) as http:
            for sequence in range(500):
                external_id = f"load-{number}-{sequence}"
                body = {"type": "digital", "customer_external_id": CUSTOMER, "currency": "TRY"}
                response = http.post("/partner/pricefix", json=body)
                if response.status_code == 200:
                    started = time.monotonic()
                    token = response.json()["data"]["token"]
                    response = http.post(
                        "/partner/order/digital/buy", json=buy_body(token, CUSTOMER, external_id)
                    )
                    buys.append((external_id, started, response.status_code))
                if response.status_code != 200:
                    refusals.append(response)
                failures = failures + 1 if response.status_code != 200 else 0
                if failures >= 5:
                    return

    threads = [threading.Thread(target=buyer, args=(number,)) for number in range(BUYERS)]
    for thread in threads:
        thread.start()
    wait_for(lambda: sum(status == 200 for _, _, status in buys) >= 20, 60, "20 acknowledged buys")
    server.db.unlink()
    deleted_at.append(time.monotonic())
    for thread in threads:
        thread.join(timeout=120)

    acknowledged = [external_id for external_id, _, status in buys if status == 200]
    late = [external_id for external_id, started, status in buys if status == 200 and started > deleted_at[0]]
    print(
        f"\ndeleted file: {len(acknowledged)} buys acknowledged, {len(late)} of them started after the "
        f"deletion, {len(refusals)} calls answered {sorted({r.status_code for r in refusals})}"
    )
    assert len(refusals) >= BUYERS * 5
    for response in refusals:
        assert_unavailable(response)
    assert late == []

    for method, path, body, partner in [("GET", f"/partner/order/{guid}", None, True), *STORE_CALLS]:
        assert_unavailable(call(server, method, path, body, partner))
    assert not server.db.exists(), "no empty database was opened in its place"
    checked = healthcheck(server)
    assert checked.returncode == 1
    assert "HTTP 503 store_unavailable" in checked.stderr

    server.kill()
    wal = Path(f"{server.db}-wal")
    if wal.exists():
        (kept.parent / "kept.db-wal").write_bytes(wal.read_bytes())
    database = sqlite3.connect(kept)
    try:
        stored = {row[0] for row in database.execute("SELECT external_id FROM orders")}
    finally:
        database.close()
    assert set(acknowledged) <= stored, "an acknowledged buy is missing from the file"


def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(Path(fd).resolve() == path.resolve() for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # a descriptor closed while looking
        return False


def test_a_database_file_replaced_under_two_workers_is_503_in_both(tmp_path: Path) -> None:
    """A restored backup moved over the file while serving: neither worker writes into the old one."""
    server = ServerProcess(tmp_path / "r.db", workers=2, flags=FLAGS).start()
    try:
        # A worker that first opens the path after the move serves the new file, rightly: wait until
        # both have the original open (a live process's worker may start after another answers).
        wait_for(lambda: all(_has_open(pid, server.db) for pid in server.worker_pids()), 30, "both workers")
        copy = tmp_path / "copy.db"
        with server.sqlite() as database, closing(sqlite3.connect(copy)) as target:
            database.backup(target)
        os.replace(copy, server.db)
        # Each worker finds out on its own: enough calls that both answer (connections spread).
        for _ in range(4):
            for spec in STORE_CALLS:
                assert_unavailable(call(server, *spec))
        assert healthcheck(server).returncode == 1
    finally:
        server.kill()


def test_a_full_disk_refuses_writes_with_503_keeps_reads_and_recovers(server: ServerProcess) -> None:
    acknowledged = []
    with server.client() as http:
        for number in range(3):
            response = http.post(
                "/partner/order/digital/buy", json=buy_body(pricefix(http, CUSTOMER), CUSTOMER, f"b{number}")
            )
            assert response.status_code == 200, response.text
            acknowledged.append(response.json()["data"]["guid"][0])
        tokens = [pricefix(http, CUSTOMER) for _ in range(5)]
        # Any write that would grow a file now fails (EFBIG), as on a full disk.
        wal = Path(f"{server.db}-wal").stat().st_size
        assert server.process is not None
        resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (wal, resource.RLIM_INFINITY))
        try:
            refused = [
                http.post("/partner/order/digital/buy", json=buy_body(token, CUSTOMER, f"full-{number}"))
                for number, token in enumerate(tokens)
            ]
            refused += [call(server, *spec) for spec in STORE_CALLS if spec[0] != "GET"]
            for response in refused:
                assert_unavailable(response)
            for guid in acknowledged:  # reads go on
                assert http.get(f"/partner/order/{guid}").status_code == 200
            for spec in STORE_CALLS:
                if spec[0] == "GET" and spec[1] != "/_sandbox/health":
                    response = call(server, *spec)
                    assert response.status_code == 200, f"{spec[1]}: {response.text}"
            assert_unavailable(call(server, "GET", "/_sandbox/health", None, False))
            assert healthcheck(server).returncode == 1
        finally:
            resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)

        # Space again: writes go through, and with the first one the store is healthy again.
        response = http.post(
            "/partner/order/digital/buy", json=buy_body(pricefix(http, CUSTOMER), CUSTOMER, "after")
        )
        assert response.status_code == 200, response.text
        acknowledged.append(response.json()["data"]["guid"][0])
        assert call(server, "GET", "/_sandbox/health", None, False).json()["data"] == {"status": "ok"}
        assert healthcheck(server).returncode == 0
        for guid in acknowledged:
            assert http.get(f"/partner/order/{guid}").status_code == 200
        for number in range(len(tokens)):  # nothing refused went in
            assert http.get(f"/partner/order/full-{number}").status_code == 404
        assert call(server, "GET", "/_sandbox/invariants", None, False).json()["data"]["violations"] == []
    print(f"\ndisk full: {len(refused)} writes refused with 503, {len(acknowledged)} acknowledged, 0 lost")


def test_healthcheck_sends_the_control_token_from_the_environment(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "t.db", flags=(*FLAGS, "--control-token", CONTROL_TOKEN)).start()
    try:
        assert healthcheck(server, SANDBOX_CONTROL_TOKEN=CONTROL_TOKEN).returncode == 0
        refused = healthcheck(server, SANDBOX_CONTROL_TOKEN="")
        assert refused.returncode == 1
        assert "HTTP 401 control_token_required" in refused.stderr
    finally:
        server.kill()
