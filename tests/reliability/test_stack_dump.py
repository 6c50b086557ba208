"""`kill -USR1` a serving sandbox: every thread's stack goes to its log and it goes on serving
(docs/operations.md, "A sandbox that stops answering")."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.reliability.procs_server import ServerProcess
from tests.support.waiting import wait_for

# Where each serving process's threads wait when idle: the event loop, the webhook sender, the ticker.
SERVING = ("uvicorn/server.py", "sandbox/runtime/worker.py", "sandbox/runtime/ticker.py")
SUPERVISOR = "uvicorn/supervisors/multiprocess.py"  # the one that forwards the signal to the workers


@pytest.mark.parametrize("workers", [1, 2])
def test_sigusr1_prints_every_processs_threads_and_the_server_goes_on(tmp_path: Path, workers: int) -> None:
    server = ServerProcess(tmp_path / "s.db", workers=workers, flags=("--orders", "0", "--customers", "1"))
    server.start()
    try:
        assert server.process is not None
        if workers > 1:
            with server.client_per_worker():  # every worker serving: its handler is in place
                pass
        workers_pids = server.worker_pids()
        start = len(server.log_text())

        os.kill(server.process.pid, signal.SIGUSR1)  # as `docker kill --signal USR1` sends it

        def dumped() -> bool:
            text = server.log_text()[start:]
            every_worker = all(text.count(f'{place}", line') >= workers for place in SERVING)
            named = all(f"minted-sandbox: the stacks of worker {pid}\n" in text for pid in workers_pids)
            return every_worker and named and (workers == 1 or SUPERVISOR in text)

        wait_for(dumped, 10, f"the stacks of every process in {server.log_path}")
        answered = httpx.get(f"{server.url}/_sandbox/clock", timeout=10).status_code
        alive = server.process.poll() is None
    finally:
        server.stop()

    assert (answered, alive) == (200, True)
