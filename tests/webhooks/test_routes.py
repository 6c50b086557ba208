"""The delivery log, redeliver and flush routes, and how the webhook controls appear in OpenAPI."""

from __future__ import annotations

import httpx

from sandbox.control.webhook_schemas import FlushResult, WebhookEventView
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from tests.support.constants import ACME
from tests.support.trading import FROZEN_AT
from tests.support.webhooks import (
    buy,
    configure,
    control,
    deliveries,
    events,
    flush,
    partner,
    seeded_order,
    without_worker,
)
from tests.webhooks.receiver import Receiver


def pushed(server: SandboxServer, credentials: tuple[str, str] | None = None) -> None:
    guid = seeded_order(server).guid
    if credentials is not None:  # acme's own order
        with partner(server, credentials) as http:
            guid = http.get("/partner/orders").json()["data"]["data"][0]["guid"]
    with partner(server, *([credentials] if credentials else [])) as http:
        response = http.post("/partner/order", json={"guid": guid, "push_hook": True})
    assert response.status_code == 200, response.text


def test_deliveries_list_events_newest_first_with_every_attempt(
    server: SandboxServer, receiver: Receiver
) -> None:
    receiver.answers = [500]
    configure(server, receiver.url)
    order = buy(server, "WH-LIST-1")
    flush(server)
    server.sandbox.clock.advance(30)
    flush(server)

    response = control(server, "GET", "/webhooks/deliveries")

    Envelope[list[WebhookEventView]].model_validate(response.json())
    listed = response.json()["data"]
    assert [(e["status_name"], e["state"]) for e in listed] == [
        ("Completed", "delivered"),
        ("Processing", "delivered"),
        ("Created", "delivered"),
    ]
    created = listed[-1]
    assert (created["order_guid"], created["partner"], created["event"]) == (
        order["guid"],
        "demo",
        "order.status_changed",
    )
    assert [(d["attempt"], d["status_code"]) for d in created["deliveries"]] == [(1, 500), (2, 200)]
    assert created["deliveries"][0]["started_at"] == "2025-03-10T12:30:15+03:00"
    assert created["deliveries"][1]["url"] == receiver.url


def test_deliveries_filter_by_partner_state_and_order(server: SandboxServer, receiver: Receiver) -> None:
    configure(server, receiver.url)
    order = buy(server, "WH-FILTER-1")
    pushed(server, ACME)
    flush(server)

    assert {e["partner"] for e in deliveries(server, partner="acme")} == {"acme"}
    assert [e["event"] for e in deliveries(server, state="pending")] == ["order.pushed"]
    assert len(deliveries(server, state="delivered")) == 3
    assert len(deliveries(server, order=order["order_code"])) == 3
    assert len(deliveries(server, order=order["guid"].lower())) == 3
    assert deliveries(server, order="NOSUCHID") == []
    assert len(deliveries(server, limit=1)) == 1


def test_deliveries_refuse_an_unknown_partner_and_state(server: SandboxServer) -> None:
    unknown = control(server, "GET", "/webhooks/deliveries", params={"partner": "nobody"})
    bad_state = control(server, "GET", "/webhooks/deliveries", params={"state": "lost"})
    too_many = control(server, "GET", "/webhooks/deliveries", params={"limit": 501})

    assert (unknown.status_code, unknown.json()["data"]["error"]) == (404, "partner_not_found")
    assert (bad_state.status_code, list(bad_state.json()["data"]["errors"])) == (422, ["state"])
    assert too_many.status_code == 422


def test_redeliver_sends_a_delivered_event_again_with_the_same_delivery_id(
    server: SandboxServer, receiver: Receiver
) -> None:
    configure(server, receiver.url)
    pushed(server)
    flush(server)
    [event] = events(server)

    response = control(server, "POST", f"/webhooks/deliveries/{event.id}/redeliver")
    queued = response.json()["data"]
    flush(server)

    assert (queued["state"], queued["attempts"], queued["next_attempt_at"]) == (
        "pending",
        0,
        "2025-03-10T12:30:15+03:00",
    )
    assert [c.delivery for c in receiver.calls()] == [str(event.id)] * 2
    [listed] = deliveries(server)
    assert (listed["state"], [d["attempt"] for d in listed["deliveries"]]) == ("delivered", [1, 2])


def test_redeliver_gives_a_failed_event_a_fresh_budget_of_attempts(start_server, receiver: Receiver) -> None:
    server = start_server(webhook_max_attempts=1)
    receiver.answers = [500, 500]
    configure(server, receiver.url)
    pushed(server)
    flush(server)
    [event] = events(server)
    assert event.state == "failed"

    control(server, "POST", f"/webhooks/deliveries/{event.id}/redeliver")
    flush(server)
    control(server, "POST", f"/webhooks/deliveries/{event.id}/redeliver")
    flush(server)

    [listed] = deliveries(server)
    assert (listed["state"], listed["attempts"]) == ("delivered", 1)
    assert [d["status_code"] for d in listed["deliveries"]] == [500, 500, 200]


def test_redeliver_an_unknown_event_is_404(server: SandboxServer) -> None:
    response = control(server, "POST", "/webhooks/deliveries/999999/redeliver")

    assert (response.status_code, response.json()["data"]["error"]) == (404, "webhook_delivery_not_found")


def test_flush_answers_what_it_did(server: SandboxServer, receiver: Receiver) -> None:
    without_worker(server)
    receiver.answers = [503]
    configure(server, receiver.url)
    buy(server, "WH-FLUSH-1")
    pushed(server, ACME)  # acme has no URL: stays pending

    response = control(server, "POST", "/webhooks/flush")

    FlushResult.model_validate(response.json()["data"])
    # Created failed once; Processing and Completed wait behind it; acme's event waits for a URL.
    assert response.json()["data"] == {"delivered": 0, "failed": 0, "retrying": 1, "pending": 4}
    server.sandbox.clock.advance(30)
    assert flush(server) == {"delivered": 3, "failed": 0, "retrying": 0, "pending": 1}


def test_flush_everything_sends_retries_before_they_are_due(
    server: SandboxServer, receiver: Receiver
) -> None:
    receiver.answers = [500]
    configure(server, receiver.url)
    pushed(server)
    flush(server)

    counts = flush(server, everything="true")

    assert counts["pending"] == 0
    assert [c.answered for c in receiver.calls()] == [500, 200]
    assert server.sandbox.clock.now() == FROZEN_AT


def test_every_webhook_route_is_a_documented_sandbox_decision(server: SandboxServer) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    operations = {
        (method.upper(), path): operation
        for path, item in spec["paths"].items()
        if path.startswith("/_sandbox/webhooks")
        for method, operation in item.items()
    }

    assert set(operations) == {
        ("GET", "/_sandbox/webhooks"),
        ("PUT", "/_sandbox/webhooks"),
        ("DELETE", "/_sandbox/webhooks/{partner}"),
        ("GET", "/_sandbox/webhooks/deliveries"),
        ("POST", "/_sandbox/webhooks/deliveries/{event_id}/redeliver"),
        ("POST", "/_sandbox/webhooks/flush"),
    }
    for operation in operations.values():
        assert operation["x-fidelity"] == "sandbox-decision"
        assert operation["summary"]
        assert "200" in operation["responses"]
    assert "404" in operations[("POST", "/_sandbox/webhooks/deliveries/{event_id}/redeliver")]["responses"]
    assert "404" in operations[("PUT", "/_sandbox/webhooks")]["responses"]
