"""Start and stop the measured servers, each pinned with taskset: the sandbox as users start it
(`minted-sandbox serve`, default settings), the FastAPI floors (bench/floor.py), Stoplight Prism and
WireMock 3 (its standalone jar from the npm package `wiremock`, on the machine's Java).

Peak RSS is read from /proc/<pid>/status (VmHWM) for the server process and every descendant (the
uvicorn workers of `--workers 2`), just before the server is stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
PRISM = BENCH / ".prism" / "node_modules" / ".bin" / "prism"
WIREMOCK = BENCH / ".wiremock" / "node_modules" / "wiremock" / "build"
JAVA_MISSING = "java is missing: apt-get install -y default-jre-headless (Debian), then rerun"
SERVER_CPUS = {1: "0", 2: "0-1"}  # the load generator always runs on CPU 1
LOAD_CPU = "1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env() -> dict[str, str]:
    """Default settings: no SANDBOX_* variable from the caller's shell leaks in."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str
    start_seconds: float
    log: Path
    extra: dict = field(default_factory=dict)

    def pids(self) -> list[int]:
        """The server process and all its descendants."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's live processes have used so far."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> dict:
        """VmHWM of the server's processes in MB: their sum, the largest, and how many processes."""
        peaks = []
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return {"total": sum(peaks), "largest": max(peaks, default=0.0), "processes": len(peaks)}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def machine_busy_seconds() -> float:
    """CPU time all CPUs spent busy (not idle or iowait) since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _launch(name: str, command: list[str], cpus: str, log: Path, ready, env=None) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [part.replace("{port}", str(port)) for part in command]
    started = time.perf_counter()
    with log.open("ab") as err:
        process = subprocess.Popen(
            ["taskset", "-c", cpus, *command],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env or clean_env(),
            cwd=ROOT,
            start_new_session=True,  # its own process group, so a stuck tree can be killed as a whole
        )
    deadline = started + 120
    while time.perf_counter() < deadline:
        try:
            if ready(url):
                return Server(name, process, url, time.perf_counter() - started, log)
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited during start (exit {process.returncode}); see {log}")
        time.sleep(0.01)
    process.kill()
    raise RuntimeError(f"{name} did not answer within 120 s; see {log}")


def _partner_200(url: str) -> bool:
    auth = httpx.DigestAuth("demo", "demo-secret")
    response = httpx.get(
        f"{url}/partner/orders/statuses", auth=auth, headers={"x-client-id": "web"}, timeout=2
    )
    return response.status_code == 200


def start_sandbox(
    db: Path, orders: int, workers: int, log: Path, cpus: str | None = None, store: str | None = None
) -> Server:
    """`minted-sandbox serve` with default settings but the database (the SQLite file `db`, or the URL
    `store`), its world size and a free port."""
    command = [
        str(BIN / "minted-sandbox"),
        "serve",
        "--db",
        store or f"sqlite:///{db}",
        "--orders",
        str(orders),
        "--port",
        "{port}",
    ]
    if workers > 1:
        command += ["--workers", str(workers)]
    server = _launch(f"sandbox-{workers}w", command, cpus or SERVER_CPUS[workers], log, _partner_200)
    server.extra["workers"] = workers
    return server


def start_floor(body: Path, db: Path, log: Path) -> Server:
    """The read floor (S1's bytes) and the write floor (`POST /write`, one row into `db`) in one app."""
    command = [
        sys.executable,
        str(BENCH / "floor.py"),
        "--port",
        "{port}",
        "--body",
        str(body),
        "--db",
        str(db),
    ]
    return _launch(
        "fastapi-floor", command, SERVER_CPUS[1], log, lambda url: httpx.get(url + "/", timeout=2).is_success
    )


def start_prism(spec: Path, log: Path) -> Server:
    if not PRISM.exists():
        raise RuntimeError(f"{PRISM} is missing: npm install --prefix bench/.prism @stoplight/prism-cli")
    command = [str(PRISM), "mock", str(spec), "-p", "{port}", "-h", "127.0.0.1"]
    # Prism answers something (often 4xx) to any path once it listens.
    return _launch(
        "prism", command, SERVER_CPUS[1], log, lambda url: httpx.get(url + "/", timeout=2) is not None
    )


def start_wiremock(body: Path, root: Path, log: Path) -> Server:
    """WireMock 3 standalone with one stub: any `GET /partner/order/{id}` gets S1's exact bytes. No
    request journal: with it WireMock keeps every request it served, which a load test only fills."""
    jars = sorted(WIREMOCK.glob("wiremock-standalone-*.jar"))
    if not jars:
        raise RuntimeError(f"{WIREMOCK} has no jar: npm install --prefix bench/.wiremock wiremock@3")
    if shutil.which("java") is None:
        raise RuntimeError(JAVA_MISSING)
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    (root / "__files").mkdir(exist_ok=True)
    (root / "__files" / "order.json").write_bytes(body.read_bytes())
    stub = {
        "request": {"method": "GET", "urlPathPattern": "/partner/order/[^/]+"},
        "response": {
            "status": 200,
            "headers": {"content-type": "application/json"},
            "bodyFileName": "order.json",
        },
    }
    (root / "mappings" / "order.json").write_text(json.dumps(stub), encoding="utf-8")
    command = ["java", "-jar", str(jars[-1]), "--port", "{port}", "--bind-address", "127.0.0.1",
               "--root-dir", str(root), "--no-request-journal", "--disable-banner"]  # fmt: skip
    return _launch(
        "wiremock",
        command,
        SERVER_CPUS[1],
        log,
        lambda url: httpx.get(url + "/__admin/health", timeout=2).is_success,
    )


def ensure_wiremock() -> None:
    """npm-installs WireMock's jar into bench/.wiremock when missing; a failure leaves its figures n/a."""
    if not any(WIREMOCK.glob("wiremock-standalone-*.jar")) and shutil.which("npm"):
        print("bench: installing WireMock (npm install --prefix bench/.wiremock wiremock@3)", flush=True)
        command = ["npm", "install", "--prefix", str(BENCH / ".wiremock"), "wiremock@3"]
        subprocess.run(command, stdout=subprocess.DEVNULL, check=False)


def wiremock_version() -> str:
    jars = sorted(WIREMOCK.glob("wiremock-standalone-*.jar"))
    if not jars:
        return "not installed"
    java = "missing (apt-get install -y default-jre-headless)"
    if shutil.which("java"):
        out = subprocess.run(["java", "-version"], capture_output=True, text=True)
        java = (out.stderr or out.stdout).splitlines()[0]
    return f"{jars[-1].stem.removeprefix('wiremock-standalone-')} on {java}"


def ensure_prism() -> None:
    """npm-installs Prism into bench/.prism when it is missing; a failure leaves Prism's figures n/a."""
    if not PRISM.exists() and shutil.which("npm"):
        print(
            "bench: installing Prism (npm install --prefix bench/.prism @stoplight/prism-cli@5)", flush=True
        )
        command = ["npm", "install", "--prefix", str(BENCH / ".prism"), "@stoplight/prism-cli@5"]
        subprocess.run(command, stdout=subprocess.DEVNULL, check=False)


def prism_version() -> str:
    if not PRISM.exists():
        return "not installed"
    return subprocess.run([str(PRISM), "--version"], capture_output=True, text=True).stdout.strip()
