"""Two replicas on one PostgreSQL database are one sandbox: two `minted-sandbox serve` processes (as on
two machines behind a load balancer), each asked in turn. Concurrent buys through both leave clean
invariants and every order in one journal; a clock moved through one is the other's; a captured
Authorization header accepted by one is refused by the other; each timed step is taken once and each
webhook attempt made once, though both replicas run the ticker and the sender.

The database is on the session's PostgreSQL server under `--store postgresql`, else on one this module
starts (tests/support/postgres.py): the test runs in every suite run.
"""

from __future__ import annotations

import http.client
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.digest_helpers import RawResponse, answer, assert_failure_envelope, header, parse_challenge
from tests.reliability.procs_server import ServerProcess, buy_body, make_customer, pricefix
from tests.support import postgres
from tests.support.constants import PARTNER_HEADERS
from tests.support.waiting import wait_for
from tests.webhooks.receiver import Receiver

BUYERS = 4
BUYS = 10  # per buyer, through the replicas in turn
STATUSES = "/partner/orders/statuses"


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    folder = Path(tmp_path_factory.mktemp("replicas"))
    own = None if postgres.active() else postgres.Cluster("replicas")
    if own is not None:
        own.start()
    cluster = postgres.active() or own
    assert cluster is not None
    store = cluster.database(str(folder))
    first = ServerProcess(folder / "a.db", flags=("--orders", "40"), store=store).start()
    try:
        second = ServerProcess(folder / "b.db", flags=("--orders", "40"), store=store).start()
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()
        if own is not None:
            own.stop()


def _data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_concurrent_buys_through_both_replicas_keep_one_clean_world_and_one_journal(
    replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = replicas
    with first.client() as http:
        for buyer in range(BUYERS):
            make_customer(http, f"replica-buyer-{buyer}", 100_000)
    with first.control() as control:
        since = control.get("/_sandbox/requests?limit=1").json()["data"]["requests"][-1]["id"]

    def buy(buyer: int) -> list[str]:
        customer, guids = f"replica-buyer-{buyer}", []
        clients = [first.client(), second.client()]
        try:
            for number, http in enumerate(itertools.islice(itertools.cycle(clients), BUYS)):
                body = buy_body(pricefix(http, customer), customer, f"replica-{buyer}-{number}")
                bought = http.post("/partner/order/digital/buy", json=body)
                assert bought.status_code == 200, bought.text
                guids.append(bought.json()["data"]["guid"][0])
        finally:
            for http in clients:
                http.close()
        return guids

    with ThreadPoolExecutor(BUYERS) as pool:
        guids = [guid for bought in pool.map(buy, range(BUYERS)) for guid in bought]

    with first.control() as through_first, second.control() as through_second:
        invariants = [_data(c.get("/_sandbox/invariants")) for c in (through_first, through_second)]

        def journals() -> list[Any] | None:
            """The buys listed through each replica, once each lists them all."""
            query = f"/_sandbox/requests?since={since}&path=/partner/order/digital/buy&limit=1000"
            found = [_data(c.get(query)) for c in (through_first, through_second)]
            return found if all(len(j["requests"]) == BUYERS * BUYS for j in found) else None

        # Each replica writes what it answered every 50 ms: the other lists it within one flush.
        listed = wait_for(journals, 10, "every buy in the journal through both replicas")
    with second.client() as http:
        found = [_data(http.get(f"/partner/order/{guid}")) for guid in guids]

    assert len(set(guids)) == BUYERS * BUYS
    assert [report["violations"] for report in invariants] == [[], []]
    assert listed[0] == listed[1]
    assert {entry["status"] for entry in listed[0]["requests"]} == {200}
    assert {order["guid"] for order in found} == set(guids)


def test_a_clock_moved_through_one_replica_is_the_others(
    replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = replicas
    with first.control() as through_first, second.control() as through_second:
        _data(through_first.post("/_sandbox/clock", json={"at": "2030-01-01T12:00:00+03:00"}))
        seen = _data(through_second.get("/_sandbox/clock"))
        _data(through_second.post("/_sandbox/clock", json={"mode": "real"}))
        back = _data(through_first.get("/_sandbox/clock"))

    assert (seen["mode"], seen["now"]) == ("frozen", "2030-01-01T12:00:00+03:00")
    assert back["mode"] == "real"


def _send(server: ServerProcess, authorization: str | None) -> RawResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        headers = dict(PARTNER_HEADERS)
        if authorization is not None:
            headers["Authorization"] = authorization
        connection.request("GET", STATUSES, headers=headers)
        response = connection.getresponse()
        return RawResponse(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def test_a_header_accepted_by_one_replica_is_refused_by_the_other(
    replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = replicas
    challenged = _send(first, None)
    challenge = parse_challenge(challenged.header_all("WWW-Authenticate")[0])
    captured = header(answer(challenge, uri=STATUSES))

    accepted, replayed, again = _send(first, captured), _send(second, captured), _send(first, captured)

    assert (challenged.status, accepted.status) == (401, 200)
    assert_failure_envelope(replayed, 401, "nonce_count_reused")
    assert_failure_envelope(again, 401, "nonce_count_reused")


TIMED_BUYS = 8
REFUSED = 3  # the receiver's first answers: 500, so that those events are attempted again


def test_timed_steps_and_webhook_attempts_happen_once_across_replicas(
    replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = replicas
    with (
        Receiver(answers=[500] * REFUSED) as receiver,
        first.control() as through_first,
        second.control() as through_second,
        first.client() as partner_first,
        second.client() as partner_second,
    ):
        hook = {"partner": "demo", "url": receiver.url, "secret": "whsec_replicas"}
        _data(through_first.put("/_sandbox/webhooks", json=hook))
        _data(
            through_second.put(
                "/_sandbox/lifecycles/buy-cash/mode", json={"mode": "timed", "step_seconds": 60}
            )
        )
        _data(through_first.post("/_sandbox/clock", json={"at": "2030-02-01T12:00:00+03:00"}))
        try:
            make_customer(partner_first, "replica-timed", 100_000)
            guids = []
            for number in range(TIMED_BUYS):
                http = (partner_first, partner_second)[number % 2]
                body = buy_body(pricefix(http, "replica-timed"), "replica-timed", f"replica-timed-{number}")
                guids.append(_data(http.post("/partner/order/digital/buy", json=body))["guid"][0])

            def settled() -> list[Any] | None:
                """Every event of the partner's (the buys' and, now that it has a URL, those the tests above
                left queued), once all are delivered: the clock moved on each time, through either replica,
                so that timed steps and retries fall due while both tickers run."""
                _data((through_first, through_second)[len(receiver.calls()) % 2].post(
                    "/_sandbox/clock", json={"advance": 120}
                ))  # fmt: skip
                events = _data(through_second.get("/_sandbox/webhooks/deliveries?partner=demo"))
                ours = [e for e in events if e["order_guid"] in guids]
                done = len(ours) == 3 * TIMED_BUYS and all(e["state"] == "delivered" for e in events)
                return events if done else None

            events = wait_for(settled, 60, "every timed step taken and its event delivered")
            invariants = _data(through_second.get("/_sandbox/invariants"))
        finally:
            _data(through_first.post("/_sandbox/clock", json={"mode": "real"}))
            _data(through_second.put("/_sandbox/lifecycles/buy-cash/mode", json={"mode": "immediate"}))
            _data(through_first.delete("/_sandbox/webhooks/demo"))
        calls = receiver.calls()

    oldest_first = sorted(events, key=lambda e: e["id"])
    steps = {guid: [e["status_name"] for e in oldest_first if e["order_guid"] == guid] for guid in guids}
    assert steps == {guid: ["Created", "Processing", "Completed"] for guid in guids}
    assert invariants["violations"] == []
    # Each event answered 2xx exactly once, and every attempt the outbox records is one POST received.
    assert receiver.successes() == {str(e["id"]): 1 for e in events}
    assert len(calls) == sum(len(e["deliveries"]) for e in events) == len(events) + REFUSED
