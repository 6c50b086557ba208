"""`make bench`: the figures the README and closing notes quote, measured the way users run the sandbox.

Measures seeding time (default world and 100k orders), start-to-first-200 of `minted-sandbox serve`
(fresh database and existing one), sequential Get Order latency through a real Digest session, the
server's peak RSS, and `POST /_sandbox/reset` on both worlds. Writes bench/RESULTS.md
(`python bench/run.py reset` re-measures only the reset rows). A full load harness comes later.
"""

from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from requests.auth import HTTPDigestAuth

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "sandbox"]
HEADERS = {"x-client-id": "web"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_seconds(db: Path, orders: int) -> float:
    started = time.perf_counter()
    subprocess.run([*CLI, "seed", "--db", f"sqlite:///{db}", "--orders", str(orders)], check=True,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def start_server(db: Path, orders: int) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = subprocess.Popen(
        [*CLI, "serve", "--db", f"sqlite:///{db}", "--orders", str(orders), "--port", str(port),
         "--log-level", "warning"],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    while True:
        try:
            auth = HTTPDigestAuth("demo", "demo-secret")
            response = requests.get(f"{url}/partner/orders/statuses", auth=auth, headers=HEADERS, timeout=1)
            if response.status_code == 200:
                return process, url, time.perf_counter() - started
        except requests.ConnectionError:
            pass
        if process.poll() is not None:
            raise RuntimeError("server exited during start")
        time.sleep(0.01)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def latency(url: str, count: int = 500) -> tuple[float, float, float]:
    session = requests.Session()
    session.auth = HTTPDigestAuth("demo", "demo-secret")
    session.headers.update(HEADERS)
    page = session.get(f"{url}/partner/orders", params={"total": 30}).json()["data"]["data"]
    ids = [order["guid"] for order in page]
    samples = []
    started = time.perf_counter()
    for n in range(count):
        t = time.perf_counter()
        assert session.get(f"{url}/partner/order/{ids[n % len(ids)]}").status_code == 200
        samples.append((time.perf_counter() - t) * 1000)
    elapsed = time.perf_counter() - started
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1], count / elapsed


def scripted_flow(url: str, orders: int = 1000) -> tuple[float, int]:
    """The trading flow a partner's integration test runs: one customer, then `orders` orders (half
    buys, half sells), each behind its own price fix. Returns (wall seconds, requests sent)."""
    session = requests.Session()
    session.auth = HTTPDigestAuth("demo", "demo-secret")
    session.headers.update(HEADERS)
    customer = {
        "external_id": "bench-customer",
        "firstname": "Deniz",
        "lastname": "Aydın",
        "email": "deniz@example.com",
        "phone": "+905321112233",
        "identity_number": "10000000146",
    }
    started = time.perf_counter()
    sent = 0

    def call(method: str, path: str, body: dict) -> dict:
        nonlocal sent
        sent += 1
        response = session.request(method, url + path, json=body)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    call("POST", "/partner/customer", customer)
    call(
        "POST",
        "/partner/customer/kyc",
        {"customer_external_id": "bench-customer", "identity_number": "10000000146"},
    )
    call("PATCH", "/partner/balance/customer/bench-customer", {"amount": 1_000_000})
    for n in range(orders):
        side = "buy" if n < orders // 2 else "sell"
        token = call(
            "POST", "/partner/pricefix", {"type": "digital", "customer_external_id": "bench-customer"}
        )["token"]
        call("POST", f"/partner/order/digital/{side}", {
            "price_token": token, "external_id": f"bench-{n}", "customer": {"external_id": "bench-customer"},
            "items": [{"sku": "GAU", "amount": 0.01}],
        })  # fmt: skip
    return time.perf_counter() - started, sent


def reset_times(url: str, count: int = 20) -> tuple[float, float]:
    """`count` resets through POST /_sandbox/reset: (median round trip, median server-measured copy), ms."""
    trips, copies = [], []
    for _ in range(count):
        started = time.perf_counter()
        response = requests.post(f"{url}/_sandbox/reset", timeout=60)
        trips.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        copies.append(response.json()["data"]["milliseconds"])
    return statistics.median(trips), statistics.median(copies)


def reset_rows(tmpdir: Path) -> list[tuple[str, str]]:
    """Reset time of the default world and of a 100k-order world (median of 20 each)."""
    rows = []
    for label, name, orders in (("default world (400 orders)", "default.db", 400),
                                ("100,000 orders", "big.db", 100_000)):  # fmt: skip
        if not (tmpdir / name).exists():
            seed_seconds(tmpdir / name, orders)
        process, url, _ = start_server(tmpdir / name, orders)
        try:
            trip, copy = reset_times(url)
        finally:
            process.terminate()
            process.wait()
        rows.append((f"POST /_sandbox/reset, {label}: median of 20, round trip / server copy",
                     f"{trip:.1f} ms / {copy:.1f} ms"))  # fmt: skip
    return rows


def write_results(rows: list[tuple[str, str]], *, merge: bool) -> str:
    """Write bench/RESULTS.md; with `merge`, keep the rows already there and replace those re-measured."""
    path = ROOT / "bench" / "RESULTS.md"
    merged: dict[str, str] = {}
    if merge and path.exists():
        for line in path.read_text().splitlines():
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if line.startswith("| ") and len(cells) == 2 and cells != ["measure", "value"]:
                merged[cells[0]] = cells[1]
    merged.update(rows)
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    table = "\n".join(f"| {name} | {value} |" for name, value in merged.items())
    report = f"# Benchmark results\n\nMachine: {machine}\n\n| measure | value |\n|---|---|\n{table}\n"
    path.write_text(report)
    return report


def main() -> None:
    if sys.argv[1:] == ["reset"]:  # `python bench/run.py reset`: only the reset rows, merged in
        with tempfile.TemporaryDirectory() as tmp:
            print(write_results(reset_rows(Path(tmp)), merge=True))
        return
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        rows.append(("seed default world (400 orders)", f"{seed_seconds(tmpdir / 'default.db', 400):.2f} s"))
        rows.append(("seed 100,000 orders", f"{seed_seconds(tmpdir / 'big.db', 100_000):.1f} s"))
        starts = []
        for _ in range(5):
            process, url, seconds = start_server(tmpdir / "default.db", 400)
            starts.append(seconds)
            process.terminate()
            process.wait()
        median_start = statistics.median(starts)
        rows.append(("serve → first 200, existing database (median of 5)", f"{median_start:.2f} s"))
        process, url, seconds = start_server(tmpdir / "fresh.db", 400)
        rows.append(("serve → first 200, fresh database (seeds first)", f"{seconds:.2f} s"))
        p50, p99, rate = latency(url)
        rows.append(("Get Order, sequential Digest session: p50 / p99", f"{p50:.2f} ms / {p99:.2f} ms"))
        rows.append(("Get Order, sequential requests per second", f"{rate:.0f}"))
        seconds, sent = scripted_flow(url)
        rows.append(("1,000-order scripted flow (price fix + buy/sell each): wall time", f"{seconds:.1f} s"))
        rows.append(("1,000-order scripted flow: requests per second", f"{sent / seconds:.0f}"))
        rows.append(("server peak RSS, default world", f"{peak_rss_mb(process.pid):.0f} MB"))
        process.terminate()
        process.wait()
        process, url, _ = start_server(tmpdir / "big.db", 100_000)
        latency(url, 200)
        rows.append(("server peak RSS, 100k-order world", f"{peak_rss_mb(process.pid):.0f} MB"))
        process.terminate()
        process.wait()
        rows.extend(reset_rows(tmpdir))
    print(write_results(rows, merge=False))


if __name__ == "__main__":
    main()
