"""Real `minted-sandbox serve` processes for the reliability tests: start, wait, inspect, kill -9.

Each server runs in its own session (process group), so `kill()` takes the uvicorn master and every
worker it spawned down at once, as a crash or an OOM killer would. Waits are bounded polls.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.servers import free_port
from tests.support.waiting import wait_for

DIGEST_SECRET = "reliability-shared-digest-secret-0123456789abcdef"
DEMO = ("demo", "demo-secret")
PARTNER_HEADERS = {"x-client-id": "web", "Accept-Language": "en"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class ServerProcess:
    db: Path  # the SQLite file (its log goes beside it)
    workers: int = 1
    flags: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    store: str | None = None  # another store's URL (PostgreSQL): `db` then only places the log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return self.store or f"sqlite:///{self.db}"

    def start(self, timeout: float = 90) -> ServerProcess:
        log = open(self.db.with_suffix(f".{self.port}.log"), "wb")  # noqa: SIM115 (closed with the process)
        command = [
            sys.executable, "-m", "sandbox", "serve", "--workers", str(self.workers),
            "--db", self.database_url, "--port", str(self.port), "--digest-secret", DIGEST_SECRET,
            "--log-level", "warning", *self.flags,
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        try:
            wait_for(self._ready, timeout, f"{self.url}/openapi.json (log: {self.log_path})")
            if self.workers > 1:
                wait_for(lambda: len(self.worker_pids()) == self.workers, 30, f"{self.workers} workers")
        except BaseException:
            self.kill()  # never leave a half-started server behind
            raise
        return self

    @property
    def log_path(self) -> Path:
        return self.db.with_suffix(f".{self.port}.log")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"server exited with {self.process.returncode}:\n{self.log_text()}")
        try:
            return httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes: children of the master started by multiprocessing's spawn."""
        assert self.process is not None
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.process.pid and b"spawn_main" in cmdline:
                children.append(int(entry.name))
        return sorted(children)

    def worker_serving(self, response: httpx.Response) -> int:
        """The worker process holding the connection `response` came over (from /proc: the server-side
        socket whose peer is the client's port, and the worker holding that socket)."""
        client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
        inode = None
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local_port, remote_port = (int(address.split(":")[1], 16) for address in fields[1:3])
            if local_port == self.port and remote_port == client_port:
                inode = fields[9]
        assert inode is not None, f"no server socket for client port {client_port}"
        for pid in self.worker_pids():
            for descriptor in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(descriptor) == f"socket:[{inode}]":
                        return pid
        raise AssertionError(f"no worker holds socket {inode}")

    @contextmanager
    def client_per_worker(self, **options: Any) -> Iterator[dict[int, httpx.Client]]:
        """One single-connection client per worker (worker pid → client; `options` go to each client).
        Connections are opened eight at once until both workers hold one (a worker still starting, or
        one idle worker, may take all of a round)."""
        by_worker: dict[int, httpx.Client] = {}
        spare: list[httpx.Client] = []

        def connect() -> tuple[int, httpx.Client]:
            client = httpx.Client(
                base_url=self.url,
                timeout=60,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                **options,
            )
            return self.worker_serving(client.get("/_sandbox/clock")), client

        def every_worker() -> bool:
            with ThreadPoolExecutor(8) as pool:
                for worker, client in pool.map(lambda _: connect(), range(8)):
                    if worker in by_worker:
                        spare.append(client)
                    else:
                        by_worker[worker] = client
            return len(by_worker) == self.workers

        try:
            wait_for(every_worker, 60, "a connection to each worker", interval=0.2)
            yield by_worker
        finally:
            for client in [*by_worker.values(), *spare]:
                client.close()

    @staticmethod
    def cpu_seconds(pid: int) -> float:
        """User + system CPU time the process has used (from /proc, no psutil)."""
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers), then reap the master."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def wait_group_gone(self, pids: list[int], timeout: float = 10) -> None:
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in pids), timeout, "workers to die")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def client(self, timeout: float = 60) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=timeout
        )

    def control(self, timeout: float = 60) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    @contextmanager
    def sqlite(self) -> Iterator[sqlite3.Connection]:
        """The database file itself, as any other process would open it (closed on exit)."""
        connection = sqlite3.connect(self.db, timeout=30)
        try:
            yield connection
        finally:
            connection.close()


def buy_body(token: str, customer: str, external_id: str, grams: float = 0.01) -> dict[str, Any]:
    """A Digital Buy of `grams` GAU from the customer's TRY cash, at the price `token` fixed."""
    return {
        "price_token": token,
        "currency_code": "TRY",
        "external_id": external_id,
        "customer": {"external_id": customer},
        "items": [{"sku": "GAU", "amount": grams}],
    }


def pricefix(http: httpx.Client, customer: str, total: int | None = None) -> str:
    body: dict[str, Any] = {"type": "digital", "customer_external_id": customer, "currency": "TRY"}
    if total is not None:
        body["total"] = total
    response = http.post("/partner/pricefix", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]["token"]


def make_customer(http: httpx.Client, external_id: str, cash: int) -> None:
    """A customer with approved KYC and `cash` TRY in its wallet."""
    created = http.post(
        "/partner/customer",
        json={
            "external_id": external_id, "firstname": "Deniz", "lastname": "Kaya",
            "email": f"{external_id}@example.com", "phone": "+905321112233", "gender": "F",
            "identity_number": "46714948610", "birthdate": "1990-05-01",
        },
    )  # fmt: skip
    assert created.status_code == 200, created.text
    kyc = http.post(
        "/partner/customer/kyc", json={"customer_external_id": external_id, "identity_number": "46714948610"}
    )
    assert kyc.status_code == 200, kyc.text
    if cash:
        topped = http.patch(
            f"/partner/balance/customer/{external_id}", json={"amount": cash, "currency_code": "TRY"}
        )
        assert topped.status_code == 200, topped.text
