"""A consumer's test file: what an integrator writes with the plugin. test_plugin.py runs it with pytester
(as `test_consumer.py`, in file order), against the plugin's own server and against an external one, and
scripts/wheel-door runs it against the installed wheel (plainly and with pytest-xdist -n 2), so it
imports nothing from the checkout."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import requests

from sandbox.testing.plugin import MintedSandboxError

BUY = "/partner/order/digital/buy"
PRICEFIX = "/partner/pricefix"
GOLDEN_GUID = "896AE1AC-E26F-4291-80B2-BF80DE0A920A"  # the docs' Get Order (Alternative) example


def fix_price(http: httpx.Client) -> dict:
    response = http.post(PRICEFIX, json={"type": "digital"})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def buy_body(token: str, external_id: str) -> dict:
    return {"price_token": token, "external_id": external_id, "items": [{"sku": "GAU", "amount": 0.01}]}


def buy(http: httpx.Client, external_id: str) -> dict:
    response = http.post(BUY, json=buy_body(fix_price(http)["token"], external_id))
    assert response.status_code == 200, response.text
    return response.json()["data"]["orders"][0]


# -- reset isolation ---------------------------------------------------------------------------------


def test_buy_in_one_test_is_stored(minted_sandbox):
    buy(minted_sandbox.client(), "PLUGIN-1")

    assert minted_sandbox.client().get("/partner/order/PLUGIN-1").status_code == 200


def test_buy_of_the_previous_test_is_gone(minted_sandbox):
    assert minted_sandbox.client().get("/partner/order/PLUGIN-1").status_code == 404


def test_fault_rule_added_here_is_permanent(minted_sandbox):
    minted_sandbox.control.add_fault(
        {"match": {"path": PRICEFIX}, "effect": {"type": "error", "status": 503}}
    )

    assert minted_sandbox.client().post(PRICEFIX, json={"type": "digital"}).status_code == 503


def test_fault_rule_of_the_previous_test_is_gone(minted_sandbox):
    fix_price(minted_sandbox.client())


def test_strict_profile_refuses_the_docs_identity_number(minted_sandbox):
    minted_sandbox.control.profile("demo", "strict")
    body = {
        "external_id": "C-STRICT",
        "firstname": "Ayşe",
        "lastname": "Yılmaz",
        "identity_number": "12345677938",
    }

    answer = minted_sandbox.client().post("/partner/customer", json=body)

    assert (answer.status_code, answer.headers.get("x-sandbox-notice")) == (422, None)


def test_profile_of_the_previous_test_is_gone(minted_sandbox):
    body = {
        "external_id": "C-STRICT",
        "firstname": "Ayşe",
        "lastname": "Yılmaz",
        "identity_number": "12345677938",
    }

    answer = minted_sandbox.client().post("/partner/customer", json=body)

    assert answer.status_code == 200
    assert answer.headers["x-sandbox-notice"].startswith("identity_number: ")


def test_fault_rule_switched_off_and_on_keeps_its_times(minted_sandbox):
    http = minted_sandbox.client()
    rule = minted_sandbox.control.add_fault(
        {"match": {"path": PRICEFIX}, "effect": {"type": "error", "status": 503}, "times": 1}
    )

    off = minted_sandbox.control.enable_fault(rule["id"], enabled=False)
    fix_price(http)  # a disabled rule never matches and its one firing is not used
    on = minted_sandbox.control.enable_fault(rule["id"])

    assert (off["enabled"], off["fired"], on["enabled"], on["fired"]) == (False, 0, True, 0)
    assert http.post(PRICEFIX, json={"type": "digital"}).status_code == 503
    fix_price(http)
    with pytest.raises(MintedSandboxError, match="fault_rule_not_found") as refused:
        minted_sandbox.control.enable_fault(rule["id"] + 1000)
    assert refused.value.status == 404


# -- what the package ships: the golden order, the scenarios, the legal texts -----------------------------


def test_golden_order_of_the_docs_is_served(minted_sandbox):
    response = minted_sandbox.client().post("/partner/order", json={"order_code": "ALS8HEVP"})

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["guid"], data["status_name"], data["total"]) == (GOLDEN_GUID, "Completed", 188.97)


def test_legal_text_is_served_in_english(minted_sandbox):
    http = minted_sandbox.client()

    response = http.post("/partner/legal", json={"type": "kvkk"}, headers={"accept-language": "en"})

    assert response.status_code == 200, response.text
    assert response.json()["data"]["title"] == "Privacy Notice (KVKK)"


# -- marker --------------------------------------------------------------------------------------------


@pytest.mark.minted_sandbox(scenario="every-status")
def test_marker_scenario_every_status_holds_its_world(minted_sandbox):
    state = minted_sandbox.control.state()
    golden = minted_sandbox.client().post("/partner/order", json={"order_code": "ALS8HEVP"})

    assert state["scenario"] == "every-status"
    assert [partner["customers"] for partner in state["partners"]] == [10, 10]
    assert golden.status_code == 200


@pytest.mark.minted_sandbox(seed=7)
def test_marker_seed_reseeds_before_the_test(minted_sandbox):
    assert minted_sandbox.control.state()["seed"] == 7


@pytest.mark.minted_sandbox(scenario="empty")
def test_marker_scenario_reseeds_before_the_test(minted_sandbox):
    assert minted_sandbox.control.state()["scenario"] == "empty"


def test_unmarked_test_is_back_in_the_default_world(minted_sandbox):
    state = minted_sandbox.control.state()

    assert (state["seed"], state["scenario"]) == (minted_sandbox.control.baseline.seed, "default")


# -- clock, lifecycle, webhooks, journal ------------------------------------------------------------------


def test_clock_freeze_and_advance_move_price_fix_expiry(minted_sandbox):
    http = minted_sandbox.client()
    minted_sandbox.control.clock.freeze("2025-03-10T12:30:15+03:00")
    first = fix_price(http)
    minted_sandbox.control.clock.advance(100)
    second = fix_price(http)
    minted_sandbox.control.clock.advance(200)  # past the first fix's 240 s

    expired = http.post(BUY, json=buy_body(first["token"], "PLUGIN-CLOCK"))

    assert (first["expire_ttl"], first["expires_at"]) == (240, "2025-03-10T12:34:15+03:00")
    assert second["expires_at"] == "2025-03-10T12:35:55+03:00"
    assert expired.status_code != 200
    assert minted_sandbox.control.clock.real()["mode"] == "real"


def test_clock_is_real_again_in_the_next_test(minted_sandbox):
    assert minted_sandbox.control.clock.now()["mode"] == "real"


def test_advance_moves_a_manual_order_to_completed(minted_sandbox):
    minted_sandbox.control.set_mode("buy-cash", "manual")
    order = buy(minted_sandbox.client(), "PLUGIN-ADV")

    one_step = minted_sandbox.control.advance(order["guid"])
    done = minted_sandbox.control.advance(order["order_code"], to="Completed")

    assert order["status_name"] != "Completed"
    assert len(one_step["entered"]) == 1
    assert done["order"]["status_name"] == "Completed"


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_webhooks_flush_delivers_the_buy_events(minted_sandbox, receiver):
    url, received = receiver
    minted_sandbox.control.webhooks.configure(url)
    order = buy(minted_sandbox.client(), "PLUGIN-HOOK")

    flushed = minted_sandbox.control.webhooks.flush(everything=True)
    deliveries = minted_sandbox.control.webhooks.deliveries(order=order["guid"])

    assert flushed["pending"] == 0
    assert deliveries and {event["state"] for event in deliveries} == {"delivered"}
    assert len(received) >= len(deliveries)


def test_requests_journal_lists_partner_calls(minted_sandbox):
    fix_price(minted_sandbox.client())

    entries = minted_sandbox.control.requests(path=PRICEFIX, status=200)

    assert [(entry["method"], entry["partner"]) for entry in entries] == [("POST", "demo")]


# -- auth objects, the server, the ASGI door --------------------------------------------------------------


def test_auth_objects_work_with_httpx_and_requests(minted_sandbox):
    url = minted_sandbox.url + "/partner/orders/statuses"
    headers = {"x-client-id": "web"}

    assert httpx.get(url, auth=minted_sandbox.auth, headers=headers).status_code == 200
    assert requests.get(url, auth=minted_sandbox.requests_auth, headers=headers).status_code == 200


def test_session_server_is_the_handles_server(minted_sandbox_server, minted_sandbox):
    assert minted_sandbox.url == minted_sandbox_server.url


def test_asgi_client_buys_with_digest(minted_sandbox_asgi):
    async def scenario() -> int:
        async with minted_sandbox_asgi.client() as http:
            fix = (await http.post(PRICEFIX, json={"type": "digital"})).json()["data"]
            await http.post(BUY, json=buy_body(fix["token"], "PLUGIN-ASGI"))
            return (await http.get("/partner/order/PLUGIN-ASGI")).status_code

    assert asyncio.run(scenario()) == 200
    assert minted_sandbox_asgi.control.requests(path=BUY)[0]["status"] == 200


def test_asgi_buy_of_the_previous_test_is_gone(minted_sandbox_asgi):
    async def status() -> int:
        async with minted_sandbox_asgi.client() as http:
            return (await http.get("/partner/order/PLUGIN-ASGI")).status_code

    assert asyncio.run(status()) == 404
