"""The `minted-sandbox` command as users run it: a real process, real flags, real Digest clients."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
import requests
from requests.auth import HTTPDigestAuth

from sandbox import app as sandbox_app
from sandbox.cli import bind
from sandbox.config import Settings
from sandbox.world.documented import DOCUMENTED_ORDERS
from tests.support.servers import free_port
from tests.support.waiting import run_async

CLI = [sys.executable, "-m", "sandbox"]


def _wait_ready(process: subprocess.Popen, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else "server exited"
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise TimeoutError(url)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    processes: list[subprocess.Popen] = []

    def start(*flags: str) -> str:
        port = free_port()
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port), "--db", f"sqlite:///{tmp_path}/cli.db", *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        _wait_ready(process, url)
        return url

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def test_serve_help_documents_every_setting_flag_and_env_var() -> None:
    result = subprocess.run([*CLI, "serve", "--help"], capture_output=True, text=True, check=True)
    text = " ".join(result.stdout.split())
    for name in Settings.model_fields:
        assert f"--{name.replace('_', '-')}" in text
        assert f"SANDBOX_{name.upper()}" in text
    assert "--workers" in text


def test_seed_with_invalid_orders_exits_2_with_one_line_naming_the_setting() -> None:
    result = subprocess.run([*CLI, "seed", "--orders", "-5"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "minted-sandbox: error: --orders: Input should be greater than or equal to 0"
    ]


def test_seed_builds_the_requested_world_with_a_progress_bar(tmp_path: Path) -> None:
    db = tmp_path / "seeded.db"
    result = subprocess.run(
        [*CLI, "seed", "--db", f"sqlite:///{db}", "--orders", "1000"],
        capture_output=True,
        text=True,
        check=True,
    )
    orders = 1000 + DOCUMENTED_ORDERS  # and the orders the docs name, for demo
    assert "seeding: 100%" in result.stderr
    assert f"seeded {orders} orders for 2 partners (seed 42)" in result.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from orders").fetchone() == (orders,)
        assert connection.execute("pragma journal_mode").fetchone() == ("wal",)


def test_serve_answers_digest_requests_on_the_given_port(serve) -> None:
    url = serve()
    response = requests.post(
        f"{url}/partner/order",
        json={"order_code": "ALS8HEVP"},
        auth=HTTPDigestAuth("demo", "demo-secret"),
        headers={"x-client-id": "web"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["guid"] == "896AE1AC-E26F-4291-80B2-BF80DE0A920A"


def test_serve_with_two_workers_accepts_nonces_across_workers(serve) -> None:
    url = serve("--workers", "2")
    statuses = set()
    for _ in range(12):  # fresh sessions: each 401 and its answer may land on different workers
        response = requests.get(
            f"{url}/partner/orders/statuses",
            auth=HTTPDigestAuth("demo", "demo-secret"),
            headers={"x-client-id": "web"},
        )
        statuses.add(response.status_code)
    assert statuses == {200}


@pytest.mark.parametrize("flags", [(), ("--workers", "2")], ids=["one-worker", "two-workers"])
def test_serve_prints_uvicorns_access_line_for_every_request(tmp_path: Path, flags: tuple[str, ...]) -> None:
    """The access line is uvicorn's own text (sandbox.cli.access_formatter only skips its record copies)."""
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--db", f"sqlite:///{tmp_path}/cli.db", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(process, url)
        response = requests.get(
            f"{url}/partner/orders/statuses?x=%C3%A7",
            auth=HTTPDigestAuth("demo", "demo-secret"),
            headers={"x-client-id": "web"},
        )
        assert response.status_code == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    lines = [line for line in output.splitlines() if "/partner/orders/statuses" in line]
    assert len(lines) == 2, output
    for line, status in zip(lines, ("401 Unauthorized", "200 OK"), strict=True):
        client, _, rest = line.removeprefix("INFO:     ").partition(" - ")
        assert client.startswith("127.0.0.1:") and client.split(":")[1].isdigit(), line
        assert rest == f'"GET /partner/orders/statuses?x=%C3%A7 HTTP/1.1" {status}', line


def test_serve_listener_gives_connections_without_nagle() -> None:
    """`serve` hands uvicorn a listener of its own; its accepted connections must get TCP_NODELAY, or
    every keep-alive response waits ~40 ms for a delayed ACK (uvicorn#3149)."""
    listener = bind("127.0.0.1", 0)
    nodelay: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            while not nodelay:
                await asyncio.sleep(0.01)
            writer.close()

    run_async(asyncio.wait_for(accept_one(), timeout=10))
    assert listener.proto == socket.IPPROTO_TCP
    assert nodelay == [1]


@pytest.mark.parametrize(("whole_process", "frozen"), [(True, True), (False, False)])
def test_a_served_app_moves_its_startup_objects_out_of_the_collectors_sight(
    tmp_path: Path, whole_process: bool, frozen: bool
) -> None:
    """`serve` builds its app with whole_process=True; tests' apps must not freeze their process."""
    program = (
        "import gc\n"
        "from fastapi.testclient import TestClient\n"
        "from sandbox.app import create_app\n"
        "from sandbox.config import Settings\n"
        f"settings = Settings(database_url='sqlite:///{tmp_path}/s.db')\n"
        f"app = create_app(settings, whole_process={whole_process})\n"
        "with TestClient(app):\n"
        "    print(gc.get_freeze_count())\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (int(result.stdout.split()[-1]) > 10_000) is frozen


@pytest.mark.parametrize("whole_process", [True, False])
def test_a_served_app_keeps_two_malloc_arenas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole_process: bool
) -> None:
    """`serve` asks glibc for two malloc arenas (peak RSS, bench/RESULTS.md); a test's app leaves its
    process's allocator alone. The effect on memory is a `make bench` figure."""
    calls: list[tuple[int, int]] = []

    class Libc:
        def mallopt(self, parameter: int, value: int) -> int:
            calls.append((parameter, value))
            return 1

    monkeypatch.setattr(sandbox_app.ctypes, "CDLL", lambda name: Libc())
    sandbox_app.create_app(Settings(database_url=f"sqlite:///{tmp_path}/s.db"), whole_process=whole_process)
    assert calls == ([(-8, 2)] if whole_process else [])  # M_ARENA_MAX in glibc's malloc.h


def test_no_malloc_arenas_setting_off_glibc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """musl and macOS have no `libc.so.6` (or no mallopt): the app starts all the same."""

    def missing(name: str) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(sandbox_app.ctypes, "CDLL", missing)
    # Not started: a started whole-process app would freeze this test process's collector.
    app = sandbox_app.create_app(Settings(database_url=f"sqlite:///{tmp_path}/s.db"), whole_process=True)
    assert "/partner/order/{external_order_id}" in app.openapi()["paths"]


def test_python_dash_m_sandbox_is_the_same_program() -> None:
    result = subprocess.run([*CLI, "--help"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("usage: minted-sandbox")


TOKEN = "control-token-never-printed"


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """(url, database, stderr log) of `serve` started on a world `seed` built before: a restart."""
    folder = tmp_path_factory.mktemp("restart")
    db = folder / "world.db"
    seeded = subprocess.run([*CLI, "seed", "--db", str(db), "--orders", "20"], capture_output=True, text=True)
    assert seeded.returncode == 0, seeded.stderr
    log = folder / "serve.log"
    port = free_port()
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*CLI, "serve", "--db", str(db), "--orders", "20", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "SANDBOX_CONTROL_TOKEN": TOKEN},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url)
        yield url, db, log
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_on_a_seeded_world_says_it_reuses_it_then_where_everything_is(restarted) -> None:
    url, db, log = restarted
    with sqlite3.connect(db) as connection:
        (orders,) = connection.execute("select count(*) from orders").fetchone()
    lines = log.read_text("utf-8").splitlines()
    assert lines[:6] == [
        f"reusing the world already in sqlite:///{db}: {orders} orders for 2 partners (seed 42); "
        "`minted-sandbox seed` builds it afresh",
        f"minted-sandbox {version('minted-sandbox')} serving {url} (bound to {url[7:]}; Ctrl+C stops it)",
        f"  dashboard  {url}/_sandbox/ui (log in with the control token)",
        f"  API docs   {url}/docs",
        f"  OpenAPI    {url}/openapi.json",
        "  partners   demo / demo-secret, acme / acme-secret (HTTP Digest, with an x-client-id header)",
    ]
    assert "seeding" not in log.read_text("utf-8")  # no stalled 0% bar
    assert TOKEN not in log.read_text("utf-8")


def test_get_root_maps_the_sandbox_for_scripts(restarted) -> None:
    response = requests.get(f"{restarted[0]}/")
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "name": "minted-sandbox",
            "version": version("minted-sandbox"),
            "dashboard": "/_sandbox/ui",
            "docs": "/docs",
            "openapi": "/openapi.json",
            "health": "/_sandbox/health",
            "partner_api": "/partner/... (HTTP Digest, x-client-id header)",
        },
        "success": True,
        "code": 0,
        "message": "",
    }


def test_get_root_sends_a_browser_to_the_dashboard(restarted) -> None:
    response = requests.get(f"{restarted[0]}/", headers={"Accept": "text/html"}, allow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (307, "/_sandbox/ui")


def test_an_unknown_path_is_still_the_envelope_404(restarted) -> None:
    response = requests.get(f"{restarted[0]}/nothing-here", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.json()["data"] == {"error": "route_not_found"}
