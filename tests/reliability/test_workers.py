"""Two uvicorn workers on one SQLite file: concurrent buys, sells and top-ups from many clients.

Real processes (`minted-sandbox serve --workers 2`, one shared Digest secret). Every answer must be a
200 or a documented 4xx (never a 500/503 or a `database is locked`), the ledger's invariants must
hold, every wallet must equal what the acknowledged requests add up to, an `external_id` raced on
both workers must make one order, both workers must have done real work, and the two workers'
webhook senders, sweeping one outbox, must deliver every event exactly once.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.reliability.procs_server import ServerProcess, buy_body, make_customer, pricefix, wait_for
from tests.webhooks.receiver import Receiver

CUSTOMERS = [f"wk-customer-{n}" for n in range(8)]
START_CASH = 100_000
START_GRAMS = Decimal(2)
UNIQUE_OPS = 160
DUPLICATE_IDS = 10
RACERS_PER_ID = 4  # 160 + 10 × 4 = 200 concurrent operations
CLIENTS = 16


@dataclass(frozen=True)
class Op:
    kind: str  # buy | sell | topup
    customer: str
    external_id: str


@dataclass(frozen=True)
class Outcome:
    op: Op
    status: int
    error: str | None
    data: object


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[ServerProcess]:
    db = Path(tmp_path_factory.mktemp("workers")) / "s.db"
    # Both workers' webhook senders sweep the same outbox.
    flags = ("--orders", "20", "--webhook-url", receiver.url, "--webhook-secret", "whsec_workers")
    running = ServerProcess(db, workers=2, flags=flags).start()
    try:
        yield running
    finally:
        running.stop()


def _operations() -> list[Op]:
    kinds = ["buy", "buy", "sell", "topup"]
    ops = [Op(kinds[n % 4], CUSTOMERS[n % len(CUSTOMERS)], f"wk-op-{n}") for n in range(UNIQUE_OPS)]
    ops += [
        Op("buy", CUSTOMERS[(n + r) % len(CUSTOMERS)], f"wk-dup-{n}")
        for n in range(DUPLICATE_IDS)
        for r in range(RACERS_PER_ID)
    ]
    random.Random(7).shuffle(ops)
    return ops


def _run(http: httpx.Client, op: Op) -> Outcome:
    if op.kind == "topup":
        response = http.patch(
            f"/partner/balance/customer/{op.customer}", json={"amount": 250, "currency_code": "TRY"}
        )
    else:
        item = {"sku": "GAU", "amount": 0.1 if op.kind == "buy" else 0.05}
        body = {
            "price_token": pricefix(http, op.customer),
            "external_id": op.external_id,
            "customer": {"external_id": op.customer},
            "items": [item],
        }
        if op.kind == "buy":
            body["currency_code"] = "TRY"
        response = http.post(f"/partner/order/digital/{op.kind}", json=body)
    envelope = response.json()
    error = envelope["data"].get("error") if response.status_code != 200 else None
    return Outcome(op, response.status_code, error, envelope["data"])


def _balances(http: httpx.Client, customer: str) -> dict[str, Decimal]:
    response = http.get(f"/partner/balance/customer/{customer}")
    assert response.status_code == 200, response.text
    return {row["currency_code"]: Decimal(str(row["balance"])) for row in response.json()["data"]}


def test_two_workers_take_200_mixed_concurrent_writes_without_errors_or_duplicates(
    server: ServerProcess, receiver: Receiver
) -> None:
    with server.client() as http:
        for customer in CUSTOMERS:
            make_customer(http, customer, START_CASH)
            body = buy_body(pricefix(http, customer), customer, f"wk-start-{customer}", float(START_GRAMS))
            start = http.post("/partner/order/digital/buy", json=body)
            assert start.status_code == 200, start.text
        before = {customer: _balances(http, customer) for customer in CUSTOMERS}
    workers = server.worker_pids()
    cpu_before = {pid: server.cpu_seconds(pid) for pid in workers}

    local = threading.local()
    clients: list[httpx.Client] = []

    def run(op: Op) -> Outcome:
        if not hasattr(local, "http"):
            # A connection per request: each one is accepted by whichever worker is free.
            local.http = server.client()
            local.http.headers["Connection"] = "close"
            clients.append(local.http)
        return _run(local.http, op)

    try:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            outcomes = list(pool.map(run, _operations()))
    finally:
        for client in clients:
            client.close()

    cpu_used = {pid: server.cpu_seconds(pid) - cpu_before[pid] for pid in workers}
    tally = Counter((o.op.kind, o.status, o.error) for o in outcomes)
    # Never a 5xx or a lock error: each unique request succeeds; each raced external_id once.
    unique = [o for o in outcomes if o.op.external_id.startswith("wk-op-")]
    assert [o for o in unique if o.status != 200] == [], tally
    by_id: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.op.external_id.startswith("wk-dup-"):
            by_id[o.op.external_id].append(o)
    for external_id, raced in by_id.items():
        statuses = sorted((o.status, o.error) for o in raced)
        assert statuses == [(200, None)] + [(409, "duplicate_external_id")] * (RACERS_PER_ID - 1), (
            external_id,
            statuses,
        )

    # Every wallet is exactly what the acknowledged requests add up to.
    expected = {c: defaultdict(Decimal, before[c]) for c in CUSTOMERS}
    for o in outcomes:
        if o.status != 200:
            continue
        wallet = expected[o.op.customer]
        if o.op.kind == "topup":
            wallet["TRY"] += 250
        else:
            sign = 1 if o.op.kind == "buy" else -1
            wallet["TRY"] -= sign * Decimal(str(o.data["total"]))
            wallet["GAU"] += sign * Decimal(str(o.data["orders"][0]["items"][0]["amount"]))
    with server.client() as http:
        for customer in CUSTOMERS:
            after = _balances(http, customer)
            assert (after["TRY"], after["GAU"]) == (expected[customer]["TRY"], expected[customer]["GAU"])
    with server.control() as control:
        invariants = control.get("/_sandbox/invariants").json()["data"]
    assert invariants["violations"] == []

    # The store: one order per raced external_id, backed by the unique index on order_request.
    with server.sqlite() as db:
        per_id = dict(
            db.execute(
                "select external_id, count(*) from orders where external_id like 'wk-dup-%' group by 1"
            ).fetchall()
        )
        made = db.execute("select count(*) from orders where external_id like 'wk-op-%'").fetchone()[0]
        unique_indexes = [
            [column[2] for column in db.execute(f"pragma index_info('{name}')")]
            for _, name, is_unique, *_ in db.execute("pragma index_list('order_request')")
            if is_unique
        ]
    assert per_id == {f"wk-dup-{n}": 1 for n in range(DUPLICATE_IDS)}
    assert made == sum(1 for o in unique if o.op.kind != "topup")
    assert ["partner_id", "external_id"] in unique_indexes

    # Both worker processes served a real share (CPU time each, from /proc; ~350 requests in all).
    assert len(workers) == 2
    assert all(seconds >= 0.3 for seconds in cpu_used.values()), cpu_used

    # The two senders share the outbox: every event of the run is delivered, each exactly once.
    def all_delivered() -> bool:
        with server.sqlite() as db:
            return (
                db.execute("select count(*) from webhook_event where state != 'delivered'").fetchone()[0] == 0
            )

    wait_for(all_delivered, 60, "both workers' senders to drain the outbox", interval=0.2)
    with server.sqlite() as db:
        events = db.execute("select count(*) from webhook_event").fetchone()[0]
    successes = receiver.successes()
    assert len(successes) == events > 3 * made
    assert set(successes.values()) == {1}

    log = server.log_text()
    assert "database is locked" not in log and "Traceback" not in log, log[-3000:]


def _refused_by_strict(server: ServerProcess) -> list[bool]:
    """Twenty requests on fresh connections (each worker answers some): True where strict refused."""
    answers = []
    for _ in range(20):
        with server.client() as http:
            http.headers["Connection"] = "close"
            answers.append(
                http.get("/partner/orders/statuses", headers={"api-version": "4"}).status_code == 422
            )
    return answers


def test_two_workers_follow_a_profile_set_through_either_within_a_second(server: ServerProcess) -> None:
    with server.control() as control:
        assert (
            control.put("/_sandbox/profile", json={"partner": "demo", "profile": "strict"}).status_code == 200
        )
        try:
            wait_for(lambda: all(_refused_by_strict(server)), 5, "both workers to refuse as strict")
            assert all(_refused_by_strict(server))
        finally:
            assert (
                control.put("/_sandbox/profile", json={"partner": "demo", "profile": None}).status_code == 200
            )
    wait_for(lambda: not any(_refused_by_strict(server)), 5, "both workers to be lenient again")
