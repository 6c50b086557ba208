"""What a receiver gets: one signed POST per outbox event, its payload, its headers, in order."""

from __future__ import annotations

from sandbox.control.webhook_schemas import WebhookPayload
from sandbox.core import dates
from sandbox.store.models import WebhookEvent
from sandbox.testing.server import SandboxServer
from sandbox.webhooks import HEADER, verify_signature
from tests.support.trading import FROZEN_AT
from tests.support.webhooks import (
    SECRET,
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


def push(server: SandboxServer, guid: str) -> None:
    with partner(server) as http:
        response = http.post("/partner/order", json={"guid": guid, "push_hook": True})
    assert response.status_code == 200, response.text


def test_delivery_signature_verifies_with_the_partner_secret_on_the_sandbox_clock(
    server: SandboxServer, receiver: Receiver
) -> None:
    configure(server, receiver.url)
    push(server, seeded_order(server).guid)

    flush(server)

    [call] = receiver.calls()
    header = call.headers[HEADER.lower()]
    assert header.startswith(f"t={int(FROZEN_AT.timestamp())},v1=")
    assert verify_signature(SECRET, header, call.body, tolerance=300, now=FROZEN_AT.timestamp())
    assert not verify_signature("whsec_another_secret", header, call.body, now=FROZEN_AT.timestamp())


def test_delivery_headers_name_the_event_and_a_stable_delivery_id(
    server: SandboxServer, receiver: Receiver
) -> None:
    configure(server, receiver.url)
    push(server, seeded_order(server).guid)

    flush(server)

    [call] = receiver.calls()
    [event] = events(server)
    assert call.path == "/hooks/minted"
    assert call.headers["content-type"] == "application/json"
    assert call.headers["user-agent"] == "minted-sandbox-webhooks"
    assert call.headers["x-minted-event"] == "order.pushed"
    assert call.headers["x-minted-delivery"] == str(event.id)


def test_push_hook_delivers_one_order_pushed_event_with_the_order_as_get_order_renders_it(
    server: SandboxServer, receiver: Receiver
) -> None:
    configure(server, receiver.url)
    order = seeded_order(server)
    push(server, order.guid)
    with partner(server) as http:
        expected = http.get(f"/partner/order/{order.guid}").json()["data"]

    flush(server)

    [call] = receiver.calls()
    payload = WebhookPayload.model_validate(call.json)
    assert list(call.json) == ["event", "data", "sent_at"]
    assert (payload.event, payload.data, payload.sent_at) == (
        "order.pushed",
        expected,
        dates.iso(FROZEN_AT),
    )
    assert payload.sent_at == "2025-03-10T12:30:15+03:00"


def test_buy_delivers_one_event_per_status_in_order(server: SandboxServer, receiver: Receiver) -> None:
    configure(server, receiver.url)
    order = buy(server, "WH-BUY-1")

    flush(server)

    calls = receiver.calls()
    assert [(c.json["event"], c.json["data"]["status_name"]) for c in calls] == [
        ("order.status_changed", "Created"),
        ("order.status_changed", "Processing"),
        ("order.status_changed", "Completed"),
    ]
    assert {c.json["data"]["guid"] for c in calls} == {order["guid"]}
    assert [int(c.delivery) for c in calls] == sorted(int(c.delivery) for c in calls)
    assert all(count == 1 for count in receiver.successes().values())


def test_delivery_order_shows_the_status_its_event_announces_on_the_delivery_block(
    server: SandboxServer, receiver: Receiver
) -> None:
    order = seeded_order(server, "delivery-cash", "Created")
    for _ in range(2):
        assert control(server, "POST", f"/orders/{order.guid}/advance", json={}).status_code == 200
    configure(server, receiver.url)

    flush(server)

    blocks = [c.json["data"] for c in receiver.calls()]
    assert [(d["status_name"], d["delivery"]["status_id"], d["delivery"]["status_name"]) for d in blocks] == [
        ("Preparing", 6, "Preparing"),
        ("Packed", 7, "Packed"),
    ]


def test_events_of_a_partner_without_url_stay_pending(server: SandboxServer, receiver: Receiver) -> None:
    without_worker(server)
    configure(server, receiver.url, partner="acme")
    push(server, seeded_order(server).guid)

    counts = flush(server)

    assert receiver.calls() == []
    assert [event.state for event in events(server)] == ["pending"]
    assert counts == {"delivered": 0, "failed": 0, "retrying": 0, "pending": 1}


def test_events_waiting_for_a_url_go_out_once_one_is_set(server: SandboxServer, receiver: Receiver) -> None:
    push(server, seeded_order(server).guid)
    flush(server)

    configure(server, receiver.url)
    counts = flush(server)

    assert len(receiver.calls()) == 1
    assert counts["pending"] == 0
    assert [e["state"] for e in deliveries(server)] == ["delivered"]


def test_a_delivered_event_is_never_sent_again(server: SandboxServer, receiver: Receiver) -> None:
    configure(server, receiver.url)
    push(server, seeded_order(server).guid)

    flush(server)
    flush(server, everything="true")

    assert list(receiver.successes().values()) == [1]
    assert len(receiver.calls()) == 1


def test_later_event_of_an_order_waits_for_an_earlier_one_still_retrying(
    server: SandboxServer, receiver: Receiver
) -> None:
    receiver.answers = [500]
    configure(server, receiver.url)
    buy(server, "WH-BUY-ORDERED")

    flush(server)

    assert [c.json["data"]["status_name"] for c in receiver.calls()] == ["Created"]
    assert [e.state for e in events(server)] == ["pending"] * 3

    server.sandbox.clock.advance(30)
    flush(server)

    assert [c.json["data"]["status_name"] for c in receiver.calls()] == [
        "Created",
        "Created",
        "Processing",
        "Completed",
    ]


def test_outbox_row_states_after_delivery(server: SandboxServer, receiver: Receiver) -> None:
    configure(server, receiver.url)
    push(server, seeded_order(server).guid)

    flush(server)

    [event] = events(server)
    assert isinstance(event, WebhookEvent)
    assert (event.state, event.attempts, event.next_attempt_at, event.delivered_at) == (
        "delivered",
        1,
        None,
        FROZEN_AT,
    )
