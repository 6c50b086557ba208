"""Scenario: Delivery set to `timed`, a delivery created, the clock advanced step by step — one correctly
signed webhook per transition, in order."""

from __future__ import annotations

from decimal import Decimal

from sandbox.domain import ledger
from sandbox.store.models import Customer
from sandbox.testing.server import SandboxServer
from sandbox.webhooks import HEADER, verify_signature
from tests.support.webhooks import SECRET, configure, control, flush, partner
from tests.webhooks.receiver import Receiver

STEP = 60
ADDRESS = {
    "fullname": "Ayşe Yılmaz", "phone": "+90 532 280 80 35", "city": "İstanbul", "county": "Kadıköy",
    "district": "Caferağa Mah.", "address": "Moda Cad. No:12 D:3", "zipcode": "34710", "street": "Moda Cad.",
}  # fmt: skip


def customer_with_gold(server: SandboxServer, external_id: str) -> None:
    sandbox = server.sandbox
    now = sandbox.clock.now()
    partner_id = sandbox.partner_id("demo")
    with sandbox.store.session(write=True) as session:
        customer = Customer(
            partner_id=partner_id,
            external_id=external_id,
            firstname="Ayşe",
            lastname="Yılmaz",
            kyc_status="approved",
            created_at=now,
            updated_at=now,
        )
        session.add(customer)
        session.flush()
        for asset, amount in (("GAU", Decimal(10)), ("TRY", Decimal(10_000))):
            wallet = ledger.wallet(session, partner_id, customer.id, asset, now)
            ledger.post(session, wallet, amount, "deposit", now, description="test funding")


def create_delivery(server: SandboxServer, customer: str) -> dict:
    body = {
        "customer": {
            "external_id": customer,
            "firstname": "Ayşe",
            "lastname": "Yılmaz",
            "phone": "+905322808035",
            "email": "a@example.com",
        },
        "external_id": "WH-DLV-1",
        "sku": "GAU",
        "amount": 5,
        "address": {
            "billing": {
                **ADDRESS,
                "external_id": "B-1",
                "invoice_type": "Individual",
                "email": "a@example.com",
            },
            "shipping": {**ADDRESS, "external_id": "S-1"},
        },
    }
    with partner(server) as http:
        response = http.post("/partner/delivery/create", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]  # the one order Delivery Create answers


def test_timed_delivery_sends_one_signed_webhook_per_transition_in_order(
    server: SandboxServer, receiver: Receiver
) -> None:
    mode = control(
        server, "PUT", "/lifecycles/delivery-cash/mode", json={"mode": "timed", "step_seconds": STEP}
    )
    assert mode.status_code == 200, mode.text
    configure(server, receiver.url)
    customer_with_gold(server, "WH-DCUS-1")
    order = create_delivery(server, "WH-DCUS-1")
    flush(server)

    for _ in range(4):
        server.sandbox.clock.advance(STEP)
        flush(server)  # a flush first lets timed progression catch up with the clock

    calls = [c for c in receiver.calls() if c.json["data"]["guid"] == order["guid"]]
    assert [(c.json["data"]["status_name"], c.json["data"]["delivery"]["status_name"]) for c in calls] == [
        ("Created", "Created"),
        ("Preparing", "Preparing"),
        ("Packed", "Packed"),
        ("Shipped", "Shipped"),
        ("Completed", "Completed"),
    ]
    for step, call in enumerate(calls):
        sent_at = server.sandbox.clock.now().timestamp() - (len(calls) - 1 - step) * STEP
        assert verify_signature(SECRET, call.headers[HEADER.lower()], call.body, tolerance=0, now=sent_at)
    assert all(count == 1 for count in receiver.successes().values())
