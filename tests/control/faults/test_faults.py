"""Fault rules (/_sandbox/faults): the rules API, what each effect does to a real client, probability
and times, and that a faulted write leaves the store untouched.

Every test runs against a small dedicated server with no rules left over from the test before it.
Matching and the per-request `X-Sandbox-Fault` header are in test_fault_matching.py; switching a rule
off and on (PATCH /_sandbox/faults/{id}) in test_fault_toggle.py.
"""

from __future__ import annotations

import contextlib
import json
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
import requests
from requests.auth import HTTPDigestAuth
from sqlalchemy import func
from sqlmodel import select

from sandbox.core.ids import Ids
from sandbox.domain import ledger
from sandbox.store import shared
from sandbox.store.models import FaultRule, Order
from sandbox.testing.server import SandboxServer
from tests.control.traffic_support import (
    BUY,
    FROZEN_AT,
    FROZEN_AT_TEXT,
    ORDERS,
    add_rule,
    error_of,
    partner,
    rules,
)
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import dedicated_server


def order_count(server: SandboxServer) -> int:
    with server.sandbox.store.session() as session:
        return session.exec(select(func.count()).select_from(Order)).one()


def buy_body(server: SandboxServer, http: httpx.Client, external_id: str) -> dict[str, Any]:
    """A valid B2B buy of 0.1 g gold: the demo partner funded through the ledger, a fresh price fix."""
    partner_id = server.sandbox.partner_id("demo")
    with server.sandbox.store.session(write=True) as session:
        wallet = ledger.wallet(session, partner_id, None, "TRY", FROZEN_AT)
        ledger.post(session, wallet, Decimal(100_000), "deposit", FROZEN_AT, description="test funding")
    token = http.post("/partner/pricefix", json={"type": "digital"}).json()["data"]["token"]
    return {"price_token": token, "external_id": external_id, "items": [{"sku": "GAU", "amount": 0.1}]}


# -- the rules API -----------------------------------------------------------------------------------


def test_create_rule_returns_it_with_defaults(server: SandboxServer) -> None:
    rule = add_rule(server, effect={"type": "error", "status": 503})

    assert {k: v for k, v in rule.items() if k not in ("id", "created_at")} == {
        "match": {"method": "*", "path": "*", "partner": None, "external_id": None},
        "effect": {"type": "error", "status": 503, "error": "service_unavailable"},
        "probability": 1.0,
        "times": None,
        "fired": 0,
        "enabled": True,
    }
    assert rule["created_at"] == FROZEN_AT_TEXT  # the sandbox clock


@pytest.mark.parametrize(
    ("status", "key"),
    [(429, "rate_limited"), (503, "service_unavailable"), (504, "gateway_timeout"), (500, "fault_injected")],
)
def test_create_error_rule_without_key_defaults_by_status(
    server: SandboxServer, status: int, key: str
) -> None:
    assert add_rule(server, effect={"type": "error", "status": status})["effect"]["error"] == key


def test_create_timeout_rule_defaults_to_30_seconds(server: SandboxServer) -> None:
    assert add_rule(server, effect={"type": "timeout"})["effect"] == {"type": "timeout", "timeout_ms": 30000}


@pytest.mark.parametrize(
    "rule",
    [
        {"effect": {"type": "error", "status": 399}},
        {"effect": {"type": "error", "status": 600}},
        {"effect": {"type": "error", "status": 503, "error": "no_such_key"}},
        {"effect": {"type": "latency", "latency_ms": 0}},
        {"effect": {"type": "latency", "latency_ms": 60_001}},
        {"effect": {"type": "timeout", "timeout_ms": 120_001}},
        {"effect": {"type": "explode"}},
        {"effect": {"type": "drop", "status": 500}},
        {"effect": {"type": "drop"}, "probability": 1.5},
        {"effect": {"type": "drop"}, "probability": -0.1},
        {"effect": {"type": "drop"}, "times": 0},
        {"effect": {"type": "drop"}, "match": {"method": "FETCH"}},
        {"effect": {"type": "drop"}, "match": {"path": "/_sandbox/*"}},
        {"effect": {"type": "drop"}, "match": {"partner": "nobody"}},
        {"effect": {"type": "drop"}, "match": {"external_id": ""}},
        {"match": {"path": "*"}},
    ],
)
def test_create_invalid_rule_returns_422_and_stores_nothing(server: SandboxServer, rule: dict) -> None:
    response = httpx.post(f"{server.url}/_sandbox/faults", json=rule)

    assert error_of(response) == (422, "validation_failed")
    assert response.json()["data"]["errors"]
    assert rules(server) == []


def test_list_rules_returns_all_oldest_first(server: SandboxServer) -> None:
    first = add_rule(server, effect={"type": "drop"})
    second = add_rule(server, match={"method": "post", "path": "/partner/*"}, effect={"type": "malformed"})

    listed = rules(server)

    assert [rule["id"] for rule in listed] == [first["id"], second["id"]]
    assert listed[1]["match"]["method"] == "POST"


def test_delete_rule_removes_it_and_returns_it(server: SandboxServer) -> None:
    kept = add_rule(server, effect={"type": "drop"})
    gone = add_rule(server, effect={"type": "malformed"})

    response = httpx.delete(f"{server.url}/_sandbox/faults/{gone['id']}")

    assert (response.status_code, response.json()["data"]["id"]) == (200, gone["id"])
    assert [rule["id"] for rule in rules(server)] == [kept["id"]]


def test_delete_unknown_rule_returns_404(server: SandboxServer) -> None:
    response = httpx.delete(f"{server.url}/_sandbox/faults/999999")

    assert error_of(response) == (404, "fault_rule_not_found")


def test_delete_all_rules_returns_count(server: SandboxServer) -> None:
    add_rule(server, effect={"type": "drop"})
    add_rule(server, effect={"type": "malformed"})

    response = httpx.delete(f"{server.url}/_sandbox/faults")

    assert (response.json()["data"], rules(server)) == ({"deleted": 2}, [])


def test_deleted_rule_stops_firing_at_once(server: SandboxServer, demo: httpx.Client) -> None:
    rule = add_rule(server, effect={"type": "error", "status": 503})
    assert demo.get(ORDERS).status_code == 503

    httpx.delete(f"{server.url}/_sandbox/faults/{rule['id']}")

    assert demo.get(ORDERS).status_code == 200


# -- effects -----------------------------------------------------------------------------------------


def test_error_rule_answers_localized_envelope(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "error", "status": 503})

    english = demo.get(ORDERS, headers={"Accept-Language": "en"})
    turkish = demo.get(ORDERS)

    assert english.json() == {
        "data": {"error": "service_unavailable"},
        "success": False,
        "code": 503,
        "message": "The service is temporarily unavailable.",
    }
    assert turkish.json()["message"] == "Hizmet geçici olarak kullanılamıyor."
    assert english.headers["retry-after"] == "1"


def test_error_rule_with_borrowed_key_uses_its_status(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "error", "status": 422, "error": "insufficient_balance"})

    response = demo.get(ORDERS)

    assert error_of(response) == (422, "insufficient_balance")
    assert response.headers["x-sandbox-fault-applied"].startswith("error=422:insufficient_balance (rule ")


def test_latency_rule_delays_then_answers_normally(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "latency", "latency_ms": 300})

    started = time.monotonic()
    response = demo.get(ORDERS)
    elapsed = time.monotonic() - started

    assert (response.status_code, elapsed >= 0.3) == (200, True)
    assert response.json()["success"] is True


def test_latency_rules_add_up_before_an_error_rule(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "latency", "latency_ms": 150})
    add_rule(server, effect={"type": "latency", "latency_ms": 150})
    add_rule(server, effect={"type": "error", "status": 429})

    started = time.monotonic()
    response = demo.get(ORDERS)

    assert (error_of(response), time.monotonic() - started >= 0.3) == ((429, "rate_limited"), True)


def test_timeout_rule_answers_504_after_the_delay(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "timeout", "timeout_ms": 300})

    started = time.monotonic()
    response = demo.get(ORDERS)
    elapsed = time.monotonic() - started

    assert (error_of(response), elapsed >= 0.3) == ((504, "gateway_timeout"), True)


def test_drop_rule_breaks_the_connection_for_httpx(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "drop"})

    with pytest.raises(httpx.RemoteProtocolError, match="without sending complete message body"):
        demo.get(ORDERS)


def test_drop_rule_breaks_the_connection_for_requests(server: SandboxServer) -> None:
    add_rule(server, effect={"type": "drop"})

    with requests.Session() as http, pytest.raises(requests.exceptions.ChunkedEncodingError):
        http.get(server.url + ORDERS, auth=HTTPDigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=10)


def test_malformed_rule_answers_json_that_does_not_parse(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "malformed"})

    response = demo.get(ORDERS)

    assert (response.status_code, response.headers["content-type"]) == (200, "application/json")
    with pytest.raises(json.JSONDecodeError):
        response.json()


@pytest.mark.parametrize(
    "effect",
    [
        {"type": "error", "status": 503},
        {"type": "drop"},
        {"type": "malformed"},
        {"type": "timeout", "timeout_ms": 50},
    ],
)
def test_faulted_buy_writes_nothing(server: SandboxServer, demo: httpx.Client, effect: dict) -> None:
    body = buy_body(server, demo, f"FAULT-{effect['type']}")
    add_rule(server, match={"method": "POST", "path": BUY}, effect=effect)
    before = order_count(server)

    with contextlib.suppress(httpx.RemoteProtocolError):  # the drop: what counts is the store after
        demo.post(BUY, json=body)

    assert order_count(server) == before
    httpx.delete(f"{server.url}/_sandbox/faults")
    assert (demo.post(BUY, json=body).status_code, order_count(server)) == (200, before + 1)


# -- probability and times ---------------------------------------------------------------------------


def test_probability_zero_never_fires(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "error", "status": 503}, probability=0)

    statuses = {demo.get(ORDERS).status_code for _ in range(20)}

    assert (statuses, rules(server)[0]["fired"]) == ({200}, 0)


def fired_pattern(tmp_path_factory: pytest.TempPathFactory, seed: int) -> list[bool]:
    # Two processes of their own: the pattern depends on the seed only, not on a server's history.
    folder = tmp_path_factory.mktemp(f"seed{seed}")
    world = {"seed": seed, "orders": 0, "customers": 1}
    with dedicated_server(folder, frozen_at=FROZEN_AT, **world) as fresh, partner(fresh, DEMO) as http:
        add_rule(fresh, effect={"type": "error", "status": 503}, probability=0.5)
        return [http.get(ORDERS).status_code == 503 for _ in range(16)]


def test_probability_half_fires_the_seeded_pattern(tmp_path_factory: pytest.TempPathFactory) -> None:
    expected_stream = Ids(7).stream("faults")
    expected = [expected_stream.random() < 0.5 for _ in range(16)]

    first, second = fired_pattern(tmp_path_factory, 7), fired_pattern(tmp_path_factory, 7)

    assert first == second == expected
    assert True in first and False in first


def test_times_one_fires_once(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "error", "status": 503}, times=1)

    statuses = [demo.get(ORDERS).status_code for _ in range(3)]

    assert (statuses, rules(server)[0]["fired"]) == ([503, 200, 200], 1)


def test_times_n_fires_n_times_then_stays_listed(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "error", "status": 503}, times=3)

    statuses = [demo.get(ORDERS).status_code for _ in range(5)]

    assert statuses == [503, 503, 503, 200, 200]
    assert [(rule["times"], rule["fired"]) for rule in rules(server)] == [(3, 3)]


def test_until_removed_rule_counts_every_firing(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "latency", "latency_ms": 1})

    for _ in range(4):
        demo.get(ORDERS)

    assert rules(server)[0]["fired"] == 4


def test_rule_written_by_another_worker_applies_to_the_next_request(
    server: SandboxServer, demo: httpx.Client
) -> None:
    assert demo.get(ORDERS).status_code == 200  # this process has cached "no rules"
    with server.sandbox.store.session(write=True) as session:  # another worker's POST /_sandbox/faults
        session.add(
            FaultRule(path="*", effect="error", status=503, error="service_unavailable", created_at=FROZEN_AT)
        )
        shared.changed(session)

    assert demo.get(ORDERS).status_code == 503


def test_reset_keeps_rules_and_restarts_the_seeded_pattern(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "error", "status": 503}, probability=0.5)
    demo.get(ORDERS)  # draws once: the stream is no longer at its start
    expected_stream = Ids(42).stream("faults")
    expected = [expected_stream.random() < 0.5 for _ in range(8)]

    assert httpx.post(f"{server.url}/_sandbox/reset").status_code == 200

    assert [demo.get(ORDERS).status_code == 503 for _ in range(8)] == expected


def test_reset_everything_drops_rules_at_once(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, effect={"type": "error", "status": 503})

    assert httpx.post(f"{server.url}/_sandbox/reset", params={"everything": "true"}).status_code == 200

    assert (rules(server), demo.get(ORDERS).status_code) == ([], 200)
