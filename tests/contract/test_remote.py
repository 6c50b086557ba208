"""The contract suite against another host (`--minted-sandbox-url` and real credentials), tried on a
second sandbox process whose control API is locked: every test safe for a real partner account runs
and passes, the `sandbox_only` ones are deselected, and nothing touches a control API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "tests/contract"


@pytest.fixture(scope="module")
def other_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second sandbox, as a process of its own; its control API wants a token the suite never has."""
    port = free_port()
    database = tmp_path_factory.mktemp("other-host") / "sandbox.db"
    command = [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--db", f"sqlite:///{database}",
               "--control-token", "not-for-the-contract-suite"]  # fmt: skip
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as server:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: _answers(url) or server.poll() is not None, 60, "the second sandbox to start")
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            yield url
        finally:
            server.terminate()
            server.wait(10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _pytest(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", CONTRACT, "-p", "no:cacheprovider", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.sandbox_only
def test_contract_suite_against_another_host_runs_what_is_safe_and_passes(other_host: str) -> None:
    collected = _pytest("--collect-only", "-q", "-m", "not sandbox_only").stdout.splitlines()
    safe = {line for line in collected if "::" in line}
    env = {**os.environ, "MINTED_USERNAME": "demo", "MINTED_PASSWORD": "demo-secret"}

    run = _pytest("--minted-sandbox-url", other_host, "-rA", "-q", env=env)

    assert run.returncode == 0, run.stdout[-3000:]
    passed = set(re.findall(r"^PASSED (\S+)", run.stdout, re.MULTILINE))
    assert passed == safe
    summary = run.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ deselected", summary), summary


@pytest.mark.sandbox_only
def test_contract_suite_against_another_host_without_credentials_says_which_are_missing(
    other_host: str,
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MINTED_")}

    run = _pytest("--minted-sandbox-url", other_host, "-q", "-k", "create_customer_example", env=env)

    assert run.returncode != 0
    assert (
        f"set MINTED_USERNAME and MINTED_PASSWORD to run the contract suite against {other_host}"
        in run.stdout
    )
