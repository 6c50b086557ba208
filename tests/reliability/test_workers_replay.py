"""A captured Authorization header passes once across every worker of one server (docs/design/digest.md
§4.2): real `minted-sandbox serve --workers 2` processes, each replay on a connection of its own, and
the worker answering it found from /proc, so the refusals are shown to come from both workers."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.digest_helpers import (
    RawResponse,
    answer,
    assert_failure_envelope,
    assert_fresh_challenge,
    header,
    parse_challenge,
)
from tests.e2e.test_cli_errors import run
from tests.reliability.procs_server import ServerProcess, make_customer, wait_for
from tests.support.constants import PARTNER_HEADERS

REPLAYS = 20
MOST_SENDS = 200  # replays go on (bounded) until both workers have answered at least one
CUSTOMER = "replay-customer"
TOP_UP = json.dumps({"amount": 250, "currency_code": "TRY"}).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    running = ServerProcess(tmp_path_factory.mktemp("replay") / "s.db", workers=2, flags=("--orders", "20"))
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _worker_holding(server: ServerProcess, connection: http.client.HTTPConnection) -> int | None:
    """The worker whose socket is the server's end of `connection` (None until one has accepted it)."""
    assert connection.sock is not None
    client_port = connection.sock.getsockname()[1]
    ends = (f":{server.port:04X}", f":{client_port:04X}")
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if (fields[1][-5:], fields[2][-5:]) == ends:
            socket = f"socket:[{fields[9]}]"
            return next((pid for pid in server.worker_pids() if socket in _open_files(pid)), None)
    return None


def _open_files(pid: int) -> set[str]:
    names = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):  # closed while looked at
            names.add(os.readlink(descriptor))
    return names


def _send(
    server: ServerProcess, method: str, target: str, authorization: str | None
) -> tuple[int, RawResponse]:
    """One request on a new connection: the worker that accepted it, and its answer."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.connect()
        worker = wait_for(
            lambda: _worker_holding(server, connection), 10, "a worker to accept the connection"
        )
        headers = {**PARTNER_HEADERS, "Content-Type": "application/json"}
        if authorization is not None:
            headers["Authorization"] = authorization
        connection.request(method, target, body=TOP_UP if method == "PATCH" else None, headers=headers)
        response = connection.getresponse()
        return worker, RawResponse(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def _replayed(server: ServerProcess, method: str, target: str) -> list[tuple[int, RawResponse]]:
    """Capture one valid Authorization for `method target` (a fresh challenge, answered once), then send
    it at least REPLAYS times, each on a new connection, until both workers have answered it."""
    _, challenged = _send(server, method, target, None)
    assert challenged.status == 401, challenged.body
    challenge = parse_challenge(challenged.header_all("WWW-Authenticate")[0])
    captured = header(answer(challenge, method=method, uri=target))
    answers: list[tuple[int, RawResponse]] = []
    while len(answers) < REPLAYS or {worker for worker, _ in answers} != set(server.worker_pids()):
        assert len(answers) < MOST_SENDS, f"one worker answered all {MOST_SENDS} connections"
        answers.append(_send(server, method, target, captured))
    return answers


def _assert_accepted_once(answers: list[tuple[int, RawResponse]]) -> None:
    assert [response.status for _, response in answers].count(200) == 1, [r.status for _, r in answers]
    for _, response in answers:
        if response.status != 200:
            assert_failure_envelope(response, 401, "nonce_count_reused")
            assert_fresh_challenge(response, previous_nonce=None, stale=True)


def _balance(server: ServerProcess) -> float:
    with server.client() as http:
        response = http.get(f"/partner/balance/customer/{CUSTOMER}")
    assert response.status_code == 200, response.text
    return next(row["balance"] for row in response.json()["data"] if row["currency_code"] == "TRY")


def test_two_workers_captured_get_header_passes_once_then_401_from_both(server: ServerProcess) -> None:
    answers = _replayed(server, "GET", "/partner/orders/statuses")
    _assert_accepted_once(answers)
    assert len({worker for worker, _ in answers}) == 2


def test_two_workers_captured_top_up_header_passes_once_balance_moves_once(server: ServerProcess) -> None:
    with server.client() as http:
        make_customer(http, CUSTOMER, 1000)
    assert _balance(server) == 1000
    answers = _replayed(server, "PATCH", f"/partner/balance/customer/{CUSTOMER}")
    _assert_accepted_once(answers)
    assert len({worker for worker, _ in answers}) == 2
    assert _balance(server) == 1250


def test_a_foreign_file_where_the_replay_window_goes_is_refused_naming_it(tmp_path: Path) -> None:
    database = tmp_path / "s.db"
    foreign = tmp_path / "s.db.nonces"
    foreign.write_bytes(b"someone else's data\n")
    result = run("serve", "--db", f"sqlite:///{database}", "--port", "0")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"minted-sandbox: error: {foreign} is not a Digest replay window of the sandbox (which keeps one "
        "beside the database, in that name); move the file away or use another database path"
    )
    assert foreign.read_bytes() == b"someone else's data\n"
