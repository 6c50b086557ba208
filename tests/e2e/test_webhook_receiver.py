"""`minted-sandbox webhook-receiver` as users run it: a real process that a real sandbox delivers to."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sandbox.core.clock import Clock
from sandbox.testing.server import SandboxServer
from sandbox.webhooks import sign
from tests.support.constants import DEMO, GOLDEN_GUID, PARTNER_HEADERS
from tests.support.servers import free_port, make_settings
from tests.support.waiting import wait_for

CLI = [sys.executable, "-m", "sandbox"]
SECRET = "whsec_receiver_test_0123456789"
WAIT_SECONDS = 20.0


class Running:
    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url

    def deliveries(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/deliveries", timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    def stop(self) -> list[dict[str, Any]]:
        """SIGTERM it; returns the JSON lines it printed."""
        self.process.terminate()
        out, err = self.process.communicate(timeout=20)
        assert self.process.returncode == 0, err
        return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def start_receiver() -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(*flags: str) -> Running:
        port = free_port()
        process = subprocess.Popen(
            [*CLI, "webhook-receiver", "--port", str(port), *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        running = Running(process, f"http://127.0.0.1:{port}")
        started.append(running)

        def answers() -> bool:
            assert process.poll() is None, process.communicate()[1]
            try:
                return httpx.get(running.url, timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answers, WAIT_SECONDS, f"the receiver at {running.url}")
        return running

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.communicate(timeout=20)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A small world on the real clock (so signatures are fresh for the receiver's tolerance)."""
    settings = make_settings(tmp_path_factory.mktemp("receiver-world"), orders=0, customers=1)
    with SandboxServer(settings, clock=Clock(), nonce_clock=Clock()) as server:
        yield server


def _deliver_one_push(sandbox: SandboxServer, receiver_url: str) -> None:
    """Point demo's webhooks at the receiver, push the golden order (`order.pushed`), flush."""
    configured = httpx.put(
        f"{sandbox.url}/_sandbox/webhooks",
        json={"partner": "demo", "url": f"{receiver_url}/hooks/minted", "secret": SECRET},
        timeout=30,
    )
    assert configured.status_code == 200, configured.text
    with httpx.Client(
        base_url=sandbox.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=30
    ) as http:
        pushed = http.post("/partner/order", json={"guid": GOLDEN_GUID, "push_hook": True})
    assert pushed.status_code == 200, pushed.text
    flushed = httpx.post(f"{sandbox.url}/_sandbox/webhooks/flush", timeout=30)
    assert flushed.status_code == 200, flushed.text


def test_receiver_logs_a_real_delivery_with_its_signature_verified(
    sandbox: SandboxServer, start_receiver: Callable[..., Running]
) -> None:
    receiver = start_receiver("--secret", SECRET)

    _deliver_one_push(sandbox, receiver.url)

    [delivery] = wait_for(receiver.deliveries, WAIT_SECONDS, "a delivery")
    assert delivery["event"] == "order.pushed"
    assert (delivery["order_guid"], delivery["order_code"]) == (GOLDEN_GUID, "ALS8HEVP")
    assert delivery["status"] == "Completed"
    assert (delivery["signature"], delivery["verified"]) == ("verified", True)
    assert delivery["path"] == "/hooks/minted"
    assert delivery["payload"]["data"]["guid"] == GOLDEN_GUID
    event = httpx.get(f"{sandbox.url}/_sandbox/webhooks/deliveries", params={"partner": "demo"}).json()
    newest = event["data"][0]
    assert delivery["delivery"] == str(newest["id"])
    assert newest["state"] == "delivered"  # the receiver answered 2xx
    [line] = receiver.stop()
    assert line == {key: value for key, value in delivery.items() if key != "payload"}


def test_receiver_with_another_secret_logs_the_delivery_as_not_verified(
    sandbox: SandboxServer, start_receiver: Callable[..., Running]
) -> None:
    receiver = start_receiver("--secret", "whsec_not_the_sandbox_secret")

    _deliver_one_push(sandbox, receiver.url)

    [delivery] = wait_for(receiver.deliveries, WAIT_SECONDS, "a delivery")
    assert (delivery["event"], delivery["order_guid"]) == ("order.pushed", GOLDEN_GUID)
    assert (delivery["signature"], delivery["verified"]) == ("invalid", False)
    [line] = receiver.stop()
    assert (line["signature"], line["verified"]) == ("invalid", False)


def test_receiver_without_a_secret_and_a_forged_post(start_receiver: Callable[..., Running]) -> None:
    unchecked = start_receiver("--secret", "")
    answer = httpx.post(unchecked.url, content=b"not json", timeout=5)
    assert (answer.status_code, answer.json()) == (
        200,
        {"received": True, "delivery": None, "verified": None},
    )
    [delivery] = unchecked.deliveries()
    assert (delivery["signature"], delivery["verified"], delivery["payload"]) == ("unchecked", None, None)
    assert httpx.get(f"{unchecked.url}/elsewhere", timeout=5).status_code == 404

    checked = start_receiver("--secret", SECRET, "--keep", "2")
    body = b'{"event": "order.pushed"}'
    hour_ago = int(time.time()) - 3600  # the right secret on a sandbox clock moved back an hour
    for header in (
        {},
        {"X-Minted-Signature": "t=1,v1=0"},
        {"X-Minted-Signature": sign(SECRET, hour_ago, body)},
    ):
        assert httpx.post(checked.url, content=body, headers=header, timeout=5).status_code == 200
    kept = checked.deliveries()  # the last 2 of 3
    assert [(d["n"], d["signature"]) for d in kept] == [(2, "invalid"), (3, "stale")]
    assert [line["signature"] for line in checked.stop()] == ["missing", "invalid", "stale"]


def test_receiver_help_and_a_busy_port_exit_with_one_line() -> None:
    helped = subprocess.run([*CLI, "webhook-receiver", "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0
    assert helped.stdout.startswith("usage: minted-sandbox webhook-receiver")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*CLI, "webhook-receiver", "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 2
    assert result.stderr.startswith("minted-sandbox: error: ")
    assert len(result.stderr.splitlines()) == 1
