"""The cached read path (sandbox/cached_reads.py): every idempotent partner read answers the same bytes
from the cache as from its route, and every change is visible on the very next read: partner writes,
control changes and another process's commits. Cached answers still pass the journal, the fault rules
and Digest; errors and side effects are never kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from sandbox.store.db import Store
from sandbox.store.models import Customer, WebhookEvent
from sandbox.testing.server import SandboxServer
from tests.api.card_storage_support import card_body
from tests.api.customer_support import person_body
from tests.api.delivery_support import create_body, deliverable_customer
from tests.api.helpers import notices, ok_data
from tests.support.clients import partner_client
from tests.support.constants import DEMO, GOLDEN_GUID, PARTNER_HEADERS
from tests.support.servers import dedicated_server
from tests.support.trading import FROZEN_AT, buy, fix_price, new_id

Request = tuple[str, str, dict[str, Any] | None]
# Headers that differ between any two answers, cached or not.
PER_ANSWER = {"date", "authentication-info"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with dedicated_server(tmp_path_factory.mktemp("cached-reads"), frozen_at=FROZEN_AT) as running:
        yield running


@pytest.fixture(scope="module")
def demo(server: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(server, DEMO) as http:
        yield http


@pytest.fixture
def customer(server: SandboxServer) -> str:
    """A new demo customer holding gold and cash."""
    return deliverable_customer(server)


def control(server: SandboxServer, method: str, path: str, body: Any = None) -> httpx.Response:
    response = httpx.request(method, f"{server.url}/_sandbox{path}", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response


def hits(server: SandboxServer) -> int:
    return server.sandbox.store.answers.hits


def ask(http: httpx.Client, request: Request, **headers: str) -> httpx.Response:
    method, path, body = request
    return http.request(method, path, json=body, headers=headers)


def cached(server: SandboxServer, http: httpx.Client, request: Request, **headers: str) -> httpx.Response:
    """The read, asked until the cache has served it once (the first ask may look the partner up, the
    next keeps the answer); returns the cached answer."""
    for _ in range(3):
        before = hits(server)
        response = ask(http, request, **headers)
        if hits(server) == before + 1:
            return response
    raise AssertionError(f"{request} was never served from the cache")


def wire(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(name, value) for name, value in response.headers.multi_items() if name not in PER_ANSWER]
    return response.status_code, headers, response.content


def reads(customer: str) -> list[Request]:
    """Every cacheable partner read."""
    return [
        ("GET", f"/partner/order/{GOLDEN_GUID}", None),
        ("POST", "/partner/order", {"guid": GOLDEN_GUID}),
        ("GET", "/partner/orders?total=5&page=2", None),
        ("GET", "/partner/orders/statuses", None),
        ("GET", f"/partner/customer/{customer}", None),
        ("GET", f"/partner/customer/{customer}/kyc", None),
        ("GET", "/partner/balance", None),
        ("GET", f"/partner/balance/customer/{customer}", None),
        ("GET", f"/partner/balance/customer/{customer}/stats", None),
        ("POST", "/partner/balance/stats", {"startDate": "2025-01-01", "endDate": "2025-03-10"}),
        ("GET", "/partner/prices?currency=USD", None),
        ("GET", "/partner/payment/types", None),
        ("POST", "/partner/payment/bin", {"bin": "404809", "total": 100}),
        ("POST", "/partner/card/storage/list", {"customer_external_id": customer}),
        ("POST", "/partner/delivery/wallets", {"customer_external_id": customer}),
        ("POST", "/partner/delivery/calculate", {"sku": "GAU", "amount": 5}),
        ("POST", "/partner/legal", {"type": "kvkk"}),
    ]


@pytest.mark.parametrize("index", range(len(reads(""))), ids=[f"{m} {p}" for m, p, _ in reads("{id}")])
def test_cached_answer_is_byte_identical_to_the_routes(
    server: SandboxServer, demo: httpx.Client, index: int
) -> None:
    control(server, "POST", "/reset")  # the route's own answer first: nothing cached, partner unknown
    request = reads(deliverable_customer(server))[index]
    computed = ask(demo, request)

    assert computed.status_code == 200, computed.text
    assert wire(cached(server, demo, request)) == wire(computed)


def test_lenient_notices_come_with_cached_answers_and_a_profile_switch_applies_at_once(
    server: SandboxServer, demo: httpx.Client
) -> None:
    request: Request = ("GET", f"/partner/order/{GOLDEN_GUID}", None)
    computed = ask(demo, request, **{"api-version": "7"})

    answer = cached(server, demo, request, **{"api-version": "7"})

    assert wire(answer) == wire(computed)
    assert notices(answer) == ["api_version: api-version 7 accepted"]
    control(server, "PUT", "/profile", {"partner": "demo", "profile": "strict"})
    try:
        refused = ask(demo, request, **{"api-version": "7"})
        assert refused.status_code == 422, refused.text
    finally:
        control(server, "PUT", "/profile", {"partner": "demo", "profile": "lenient"})


def sell_back(http: httpx.Client) -> None:
    fix = fix_price(http)
    body = {
        "price_token": fix["token"],
        "external_id": new_id("SELL"),
        "items": [{"sku": "GAU", "amount": 1}],
    }
    response = http.post("/partner/order/digital/sell", json=body)
    assert response.status_code == 200, response.text


def update_customer(http: httpx.Client, customer: str) -> None:
    body = {**person_body(customer), "firstname": new_id("Name")}
    response = http.patch(f"/partner/customer/{customer}", json=body)
    assert response.status_code == 200, response.text


def save_card(http: httpx.Client, customer: str) -> None:
    response = http.post("/partner/card/storage/save", json=card_body(customer))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("write", "read"),
    [
        ("buy", ("GET", "/partner/balance", None)),
        ("buy", ("GET", "/partner/orders?total=5", None)),
        ("sell", ("GET", "/partner/balance", None)),
        ("customer update", ("GET", "/partner/customer/{customer}", None)),
        ("card storage save", ("POST", "/partner/card/storage/list", {"customer_external_id": "{customer}"})),
        ("delivery", ("GET", "/partner/balance/customer/{customer}", None)),
    ],
)
def test_partner_write_is_visible_on_the_next_read(
    server: SandboxServer, demo: httpx.Client, write: str, read: tuple[str, str, Any]
) -> None:
    customer = deliverable_customer(server)
    method, path, body = read
    request: Request = (
        method,
        path.format(customer=customer),
        None if body is None else {"customer_external_id": customer},
    )
    before = cached(server, demo, request)

    if write == "buy":
        buy(demo, fix_price(demo), [{"sku": "GAU", "amount": 0.5}])
    elif write == "sell":
        sell_back(demo)
    elif write == "customer update":
        update_customer(demo, customer)
    elif write == "card storage save":
        save_card(demo, customer)
    else:
        created = demo.post("/partner/delivery/create", json=create_body(customer))
        assert created.status_code == 200, created.text
    after = ask(demo, request)

    assert after.status_code == 200
    assert ok_data(after) != ok_data(before)


def test_reset_and_reseed_are_visible_on_the_next_read(server: SandboxServer, demo: httpx.Client) -> None:
    created = demo.post("/partner/customer", json=person_body(new_id("RESET")))
    assert created.status_code == 200, created.text
    request: Request = ("GET", f"/partner/customer/{ok_data(created)['external_id']}", None)
    cached(server, demo, request)

    control(server, "POST", "/reset")

    assert ask(demo, request).status_code == 404
    page: Request = ("GET", "/partner/orders?total=5", None)
    before = cached(server, demo, page)
    control(server, "POST", "/seed", {"seed": 7})
    try:
        assert ok_data(ask(demo, page)) != ok_data(before)
    finally:
        control(server, "POST", "/seed", {"seed": 42})
    assert ok_data(ask(demo, page)) == ok_data(before)


def test_clock_moves_are_visible_on_the_next_read(server: SandboxServer, demo: httpx.Client) -> None:
    request: Request = ("GET", "/partner/prices", None)
    at = server.sandbox.clock.now()
    before = cached(server, demo, request)
    try:
        control(server, "POST", "/clock", {"advance": 60})
        advanced = ask(demo, request)
        assert ok_data(advanced) != ok_data(before)
        control(server, "POST", "/clock", {"at": at.isoformat()})
        assert ok_data(ask(demo, request)) == ok_data(before)
    finally:
        control(server, "POST", "/clock", {"at": at.isoformat()})


def test_order_advanced_through_control_is_visible_on_the_next_read(
    server: SandboxServer, demo: httpx.Client
) -> None:
    control(server, "PUT", "/lifecycles/buy-cash/mode", {"mode": "manual"})
    try:
        guid = buy(demo, fix_price(demo), [{"sku": "GAU", "amount": 0.5}])["guid"][0]
        request: Request = ("GET", f"/partner/order/{guid}", None)
        before = cached(server, demo, request)
        control(server, "POST", f"/orders/{guid}/advance", {})
        after = ask(demo, request)
    finally:
        control(server, "PUT", "/lifecycles/buy-cash/mode", {"mode": "immediate"})

    assert ok_data(after)["status_name"] != ok_data(before)["status_name"]


def test_another_process_commit_is_visible_on_the_next_read(
    server: SandboxServer, demo: httpx.Client, customer: str
) -> None:
    request: Request = ("GET", f"/partner/customer/{customer}", None)
    cached(server, demo, request)
    other = Store(server.settings.database_url)  # what a second worker process opens
    try:
        with other.session(write=True) as session:
            row = session.exec(select(Customer).where(Customer.external_id == customer)).one()
            row.firstname = "Elsewhere"
            session.add(row)
    finally:
        other.dispose()

    assert ok_data(ask(demo, request))["firstname"] == "Elsewhere"


def test_cached_answer_is_journaled_faulted_and_needs_digest(
    server: SandboxServer, demo: httpx.Client
) -> None:
    request: Request = ("GET", f"/partner/order/{GOLDEN_GUID}", None)
    control(server, "DELETE", "/requests")
    answer = cached(server, demo, request)

    journal = control(server, "GET", "/requests").json()["data"]["requests"]
    assert journal[-1]["path"] == request[1]
    assert journal[-1]["status"] == 200
    assert journal[-1]["response_body"] == answer.text
    rule = control(
        server, "POST", "/faults", {"match": {"path": request[1]}, "effect": {"type": "error", "status": 503}}
    )
    try:
        assert ask(demo, request).status_code == 503
    finally:
        control(server, "DELETE", f"/faults/{rule.json()['data']['id']}")
    anonymous = httpx.get(f"{server.url}{request[1]}", headers=PARTNER_HEADERS)
    assert anonymous.status_code == 401


def test_errors_are_never_cached(server: SandboxServer, demo: httpx.Client) -> None:
    request: Request = ("GET", "/partner/order/no-such-order", None)
    ask(demo, request)
    before = hits(server)

    assert [ask(demo, request).status_code for _ in range(3)] == [404] * 3
    assert hits(server) == before


def test_push_hook_answer_is_never_cached_each_request_pushes(
    server: SandboxServer, demo: httpx.Client
) -> None:
    request: Request = ("POST", "/partner/order", {"guid": GOLDEN_GUID, "push_hook": True})

    def pushes() -> int:
        with server.sandbox.store.session() as session:
            return len(session.exec(select(WebhookEvent).where(WebhookEvent.event == "order.pushed")).all())

    before_hits, before_pushes = hits(server), pushes()
    for _ in range(3):
        assert ask(demo, request).status_code == 200

    assert pushes() == before_pushes + 3
    assert hits(server) == before_hits
