"""The request journal (/_sandbox/requests): what it keeps of each partner call, the filters, clearing,
and the bounded ring."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sandbox.domain.journal import BODY_LIMIT, REDACTED
from sandbox.testing.server import SandboxServer
from tests.control.traffic_support import FROZEN_AT_TEXT, ORDERS, add_rule, partner
from tests.support.constants import ACME, DEMO, PARTNER_HEADERS

CUSTOMERS = "/partner/customer"


# The session server, reset (no journal entries, no fault rules) with its clock frozen for every test.
pytestmark = pytest.mark.usefixtures("trading")


@pytest.fixture
def demo(trading: SandboxServer) -> Iterator[httpx.Client]:
    """demo's client, once the world is reset: what it sends is journalled after the reset."""
    with partner(trading, DEMO) as http:
        yield http


def journal(server: SandboxServer, **params: Any) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.url}/_sandbox/requests", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]["requests"]


def authenticated(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Without the 401 challenges Digest clients meet first."""
    return [entry for entry in entries if entry["status"] != 401]


# -- what an entry holds -----------------------------------------------------------------------------


def test_partner_get_is_recorded_with_request_and_response(server: SandboxServer, demo: httpx.Client) -> None:
    response = demo.get(ORDERS, params={"page": 2, "total": 30})

    (entry,) = authenticated(journal(server))

    assert {k: entry[k] for k in ("method", "path", "query", "partner", "status", "at")} == {
        "method": "GET",
        "path": ORDERS,
        "query": "page=2&total=30",
        "partner": "demo",
        "status": 200,
        "at": FROZEN_AT_TEXT,  # the sandbox clock, not the wall clock
    }
    assert entry["request_body"] is None
    assert entry["response_body"] == response.text
    assert entry["response_headers"]["content-type"] == "application/json"
    assert entry["request_headers"]["x-client-id"] == "web"
    assert entry["latency_ms"] > 0


def test_authorization_and_cookie_are_redacted(server: SandboxServer, demo: httpx.Client) -> None:
    demo.get(ORDERS, headers={"Cookie": "session=secret"})

    (entry,) = authenticated(journal(server))

    assert entry["request_headers"]["authorization"] == REDACTED
    assert entry["request_headers"]["cookie"] == REDACTED
    assert "demo-secret" not in json.dumps(entry)


def test_post_body_and_error_response_are_recorded(server: SandboxServer, demo: httpx.Client) -> None:
    body = {"external_id": "J-1", "firstname": "Ayşe"}

    response = demo.post(CUSTOMERS, json=body)

    (entry,) = authenticated(journal(server))
    assert (entry["method"], entry["status"]) == ("POST", response.status_code)
    assert json.loads(entry["request_body"]) == body
    assert entry["response_body"] == response.text


def test_digest_refusal_is_recorded_without_partner_or_body(server: SandboxServer) -> None:
    httpx.post(server.url + CUSTOMERS, json={"external_id": "J-2"}, headers=PARTNER_HEADERS)

    (entry,) = journal(server)

    assert (entry["status"], entry["partner"]) == (401, None)
    # Digest answers before the body is read (tests/reliability/test_auth_before_body.py): none is kept.
    assert entry["request_body"] is None
    assert entry["response_headers"]["www-authenticate"].startswith("Digest ")


def test_digest_client_leaves_challenge_then_answer(server: SandboxServer, demo: httpx.Client) -> None:
    demo.get(ORDERS)

    assert [(e["status"], e["partner"]) for e in journal(server)] == [(401, None), (200, "demo")]


def test_large_body_is_cut_and_marked(server: SandboxServer, demo: httpx.Client) -> None:
    demo.post(CUSTOMERS, json={"external_id": "J-3", "note": "x" * (BODY_LIMIT + 100)})

    (entry,) = authenticated(journal(server))

    assert entry["request_body"].endswith("…[truncated]")
    assert len(entry["request_body"]) == BODY_LIMIT + len("…[truncated]")


def test_control_routes_are_not_recorded(server: SandboxServer) -> None:
    httpx.get(f"{server.url}/_sandbox/faults")

    assert journal(server) == []


def test_faulted_responses_are_recorded_as_the_client_saw_them(
    server: SandboxServer, demo: httpx.Client
) -> None:
    add_rule(server, effect={"type": "error", "status": 503}, times=1)
    demo.get(ORDERS)
    with pytest.raises(httpx.RemoteProtocolError):
        demo.get(ORDERS, headers={"X-Sandbox-Fault": "drop"})

    first, second = authenticated(journal(server))

    assert (first["status"], json.loads(first["response_body"])["data"]["error"]) == (
        503,
        "service_unavailable",
    )
    assert first["response_headers"]["x-sandbox-fault-applied"].startswith("error=503")
    assert (second["status"], second["response_body"]) == (200, None)  # headers went out, no body did


def test_latency_is_measured_including_injected_delay(server: SandboxServer, demo: httpx.Client) -> None:
    demo.get(ORDERS, headers={"X-Sandbox-Fault": "latency=200"})

    (entry,) = authenticated(journal(server))

    assert entry["latency_ms"] >= 200


# -- filters -----------------------------------------------------------------------------------------


@pytest.fixture
def traffic(server: SandboxServer, demo: httpx.Client) -> None:
    """demo: GET orders (401 challenge, 200), POST customer (422, the challenge is reused); acme: GET
    orders (401, 200)."""
    demo.get(ORDERS)
    demo.post(CUSTOMERS, json={})
    with partner(server, ACME) as acme:
        acme.get(ORDERS)


def summary(entries: list[dict[str, Any]]) -> list[tuple[str, str, int, str | None]]:
    return [(e["method"], e["path"], e["status"], e["partner"]) for e in entries]


@pytest.mark.usefixtures("traffic")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"partner": "acme"}, [("GET", ORDERS, 200, "acme")]),
        ({"method": "post", "status": 422}, [("POST", CUSTOMERS, 422, "demo")]),
        ({"path": "/partner/cust"}, [("POST", CUSTOMERS, 422, "demo")]),
        ({"status": 401}, [("GET", ORDERS, 401, None), ("GET", ORDERS, 401, None)]),
        ({"path": ORDERS, "status": 200}, [("GET", ORDERS, 200, "demo"), ("GET", ORDERS, 200, "acme")]),
    ],
)
def test_filters_select_matching_entries_newest_last(
    server: SandboxServer, params: dict[str, Any], expected: list
) -> None:
    assert summary(journal(server, **params)) == expected


@pytest.mark.usefixtures("traffic")
def test_since_returns_entries_after_that_id(server: SandboxServer) -> None:
    everything = journal(server)

    after = journal(server, since=everything[1]["id"])

    assert [e["id"] for e in after] == [e["id"] for e in everything[2:]]


@pytest.mark.usefixtures("traffic")
def test_limit_without_since_returns_the_newest(server: SandboxServer) -> None:
    everything = journal(server)

    assert journal(server, limit=2) == everything[-2:]


@pytest.mark.usefixtures("traffic")
def test_limit_with_since_returns_the_oldest_after_it(server: SandboxServer) -> None:
    everything = journal(server)

    assert journal(server, since=everything[0]["id"], limit=2) == everything[1:3]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"status": 99}, {"since": -1}])
def test_bad_query_returns_422(server: SandboxServer, params: dict[str, Any]) -> None:
    response = httpx.get(f"{server.url}/_sandbox/requests", params=params)

    assert (response.status_code, response.json()["data"]["error"]) == (422, "validation_failed")


# -- clear and capacity ------------------------------------------------------------------------------


def test_clear_returns_count_and_empties(server: SandboxServer, demo: httpx.Client) -> None:
    demo.get(ORDERS)

    response = httpx.delete(f"{server.url}/_sandbox/requests")

    assert (response.json()["data"], journal(server)) == ({"cleared": 2}, [])


def test_ids_keep_counting_after_clear(server: SandboxServer, demo: httpx.Client) -> None:
    demo.get(ORDERS)
    last = journal(server)[-1]["id"]
    httpx.delete(f"{server.url}/_sandbox/requests")

    demo.get(ORDERS)

    assert journal(server)[0]["id"] > last


def test_header_values_come_back_exactly_as_sent(server: SandboxServer, demo: httpx.Client) -> None:
    sent = [
        ("x-trace", "a:b: c:"),  # colons, as in host:port
        ("x-trace", "second"),  # repeated: joined with ", "
        ("x-empty", ""),
        ("x-latin", "Ümraniye ışık".encode().decode("latin-1")),  # UTF-8 bytes, shown as Starlette does
    ]
    demo.get(ORDERS, headers=httpx.Headers([(k, v.encode("latin-1")) for k, v in sent]))

    (entry,) = authenticated(journal(server))

    headers = entry["request_headers"]
    assert headers["x-trace"] == "a:b: c:, second"
    assert headers["x-empty"] == ""
    assert headers["x-latin"] == "Ümraniye ışık".encode().decode("latin-1")
    assert headers["host"] == server.url.removeprefix("http://")
    assert entry["response_headers"]["content-length"] == str(len(entry["response_body"].encode()))


def test_ring_keeps_only_the_newest_entries(pooled: Callable[..., SandboxServer]) -> None:
    small = pooled(journal_size=5)
    with partner(small, DEMO) as http:
        for page in range(1, 9):
            http.get(ORDERS, params={"page": page})

        response = httpx.get(f"{small.url}/_sandbox/requests").json()["data"]

    assert response["capacity"] == 5
    assert [entry["query"] for entry in response["requests"]] == [f"page={page}" for page in range(4, 9)]


def test_journal_size_zero_records_nothing(pooled: Callable[..., SandboxServer]) -> None:
    small = pooled(journal_size=0)
    with partner(small, DEMO) as http:
        assert http.get(ORDERS).status_code == 200

        response = httpx.get(f"{small.url}/_sandbox/requests").json()["data"]

    assert response == {"requests": [], "capacity": 0}
