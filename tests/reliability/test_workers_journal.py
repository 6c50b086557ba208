"""`serve --workers 2` keeps one request journal: every partner request is listed once, whichever
worker answered it and whichever worker is asked, and a clear through one worker empties it for both.

Real processes on one SQLite file. Each partner request below goes over a connection of its own (the
test knows from /proc which worker held it), marked with an `X-Case` header the journal keeps. And a
journal file deleted under a running server takes neither the partner API down nor the journal's
answers out of the partner's envelope.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.procs_server import ServerProcess, wait_for
from tests.support.constants import DEMO, PARTNER_HEADERS

ROUND = 16  # requests sent at once, each on a new connection, until both workers have answered some
MOST_ROUNDS = 10
# Every other case asks for an order that does not exist: two statuses to tell apart.
FOUND, MISSING = "/partner/orders?page=1&total=5", "/partner/order/no-such-order"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    db = Path(tmp_path_factory.mktemp("workers-journal")) / "s.db"
    running = ServerProcess(db, workers=2, flags=("--orders", "40")).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def pinned(server: ServerProcess) -> Iterator[dict[int, httpx.Client]]:
    """One single-connection control client per worker: worker pid → client."""
    with server.client_per_worker() as clients:
        yield clients


@pytest.fixture(autouse=True)
def empty(pinned: dict[int, httpx.Client]) -> None:
    client = next(iter(pinned.values()))
    assert client.delete("/_sandbox/requests").status_code == 200


def send(server: ServerProcess, case: int) -> tuple[int, int]:
    """Case `case` on a connection of its own (a Digest challenge, then the answer): (worker, status)."""
    with httpx.Client(
        base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers={**PARTNER_HEADERS, "X-Case": str(case)}
    ) as http:
        response = http.get(MISSING if case % 2 else FOUND)
        return server.worker_serving(response), response.status_code


def send_until_both_answer(server: ServerProcess) -> dict[int, tuple[int, int]]:
    """Rounds of cases until both workers have answered some: case → (worker, status)."""
    sent: dict[int, tuple[int, int]] = {}
    with ThreadPoolExecutor(8) as pool:
        for _ in range(MOST_ROUNDS):
            cases = range(len(sent), len(sent) + ROUND)
            sent.update(zip(cases, pool.map(lambda case: send(server, case), cases), strict=True))
            if len({worker for worker, _ in sent.values()}) == 2:
                return sent
    raise AssertionError(f"one worker answered all {len(sent)} connections")


def journal(client: httpx.Client) -> list[dict[str, Any]]:
    response = client.get("/_sandbox/requests", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return response.json()["data"]["requests"]


def holding(client: httpx.Client, count: int) -> list[dict[str, Any]] | None:
    """The journal once it holds `count` entries."""
    found = journal(client)
    return found if len(found) == count else None


def by_case(entries: list[dict[str, Any]]) -> dict[int, list[int]]:
    """Case → the statuses of its entries, oldest first."""
    statuses: dict[int, list[int]] = {}
    for entry in entries:
        statuses.setdefault(int(entry["request_headers"]["x-case"]), []).append(entry["status"])
    return statuses


def test_every_request_to_either_worker_is_listed_once_by_both(
    server: ServerProcess, pinned: dict[int, httpx.Client]
) -> None:
    sent = send_until_both_answer(server)
    expected = {case: [401, status] for case, (_, status) in sent.items()}
    first, second = pinned.values()

    def listed() -> list[dict[str, Any]] | None:
        found = journal(first)
        return found if by_case(found) == expected else None

    entries = wait_for(listed, 10, "every case listed, each once")

    assert {status for _, status in sent.values()} == {200, 404}
    ids = [entry["id"] for entry in entries]
    assert ids == sorted(set(ids))  # each once, in id order
    assert journal(second) == entries


def test_a_clear_through_one_worker_empties_the_journal_for_both(
    server: ServerProcess, pinned: dict[int, httpx.Client]
) -> None:
    sent = send_until_both_answer(server)
    first, second = pinned.values()
    last = wait_for(lambda: holding(first, 2 * len(sent)), 10, "every case")[-1]["id"]

    cleared = second.delete("/_sandbox/requests")

    assert cleared.json()["data"] == {"cleared": 2 * len(sent)}
    assert journal(first) == journal(second) == []
    _, status = send(server, 0)
    after = wait_for(lambda: holding(second, 2), 10, "the case after it")
    assert [(entry["status"], entry["id"] > last) for entry in after] == [(401, True), (status, True)]


def test_a_deleted_journal_file_leaves_partners_served_and_the_journal_answers_store_unavailable(
    tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path / "s.db", flags=("--orders", "40")).start()
    try:
        with server.client() as http, server.control() as control:
            assert http.get(FOUND).status_code == 200
            assert holding(control, 2)  # the challenge and the answer: the file is open
            for kept in tmp_path.glob("s.journal.db*"):
                kept.unlink()

            assert http.get(FOUND).status_code == 200
            for method in ("GET", "DELETE"):
                response = control.request(method, "/_sandbox/requests")
                assert (response.status_code, response.json()["data"]) == (
                    503,
                    {"error": "store_unavailable"},
                )
                assert response.headers["retry-after"] == "5"
            assert http.get(FOUND).status_code == 200
        assert "request journal lost: the journal file was deleted" in server.log_text()  # what the 503 says
    finally:
        server.kill()
