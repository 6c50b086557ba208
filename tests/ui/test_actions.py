"""The dashboard's buttons in headless Chromium: each click is checked through the control or partner
API, never only on the page. A manual order is advanced to its final status, a 3-D payment approved and
declined, the clock frozen and moved, the world reset, fault rules added, switched off and on and
deleted, and the webhook and journal lists update by themselves after partner requests."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from sandbox.testing.server import SandboxServer
from sandbox.world.documented import DOCUMENTED_ORDERS
from tests.ui.support import (
    UI,
    buy,
    card_buy,
    click_and_land,
    control,
    data,
    get_order,
    partner,
    shot,
    texts,
)


@pytest.fixture
def http(dashboard: SandboxServer) -> Iterator[httpx.Client]:
    with partner(dashboard) as client:
        yield client


def history(page: Page) -> list[str]:
    return texts(page, "[data-testid=history-status]")


def test_a_manual_cash_buy_is_advanced_to_completed_by_clicking(
    page: Page, dashboard: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    page.goto(UI)
    page.get_by_test_id("mode-buy-cash").select_option("manual")
    click_and_land(page, "[data-testid=save-mode-buy-cash]")
    expect(page.get_by_test_id("flash")).to_have_text("Flow buy-cash is now manual.")
    modes = {row["flow"]: row["mode"]["mode"] for row in control(dashboard, "GET", "/lifecycles")}
    assert modes["buy-cash"] == "manual"
    try:
        order = buy(http)["orders"][0]
    finally:
        control(dashboard, "PUT", "/lifecycles/buy-cash/mode", json={"mode": "immediate"})
    assert order["status_name"] == "Created"

    page.goto(f"{UI}/orders/{order['order_code']}")
    expect(page.get_by_test_id("flow-mode")).to_have_text("immediate")  # set back; this order waits anyway
    assert history(page) == ["Created"]
    shot(page, tmp_path, "order-manual-created")
    for expected in (["Created", "Processing"], ["Created", "Processing", "Completed"]):
        click_and_land(page, "[data-testid=advance]")
        assert history(page) == expected
        expect(page.get_by_test_id("order-status")).to_have_text(expected[-1])
        expect(page.get_by_test_id("flash")).to_have_text(
            f"{order['order_code']}: {' → '.join(expected[-2:])}."
        )
        assert get_order(http, order["guid"])["status_name"] == expected[-1]

    expect(page.get_by_test_id("final")).to_be_visible()
    expect(page.get_by_test_id("advance")).to_have_count(0)
    shot(page, tmp_path, "order-manual-completed")


def test_a_delivery_moves_along_its_flow_to_the_chosen_status(
    page: Page, http: httpx.Client, tmp_path: Path
) -> None:
    listed = data(http.get("/partner/orders", params={"type": "Delivery", "status": "Created"}))["data"]
    order = next(o for o in listed if o["payment_type"] == "cash")  # delivery-cash: manual by default
    page.goto(f"{UI}/orders/{order['order_code']}")
    assert history(page) == ["Created"]
    assert texts(page, "[data-testid=advance-to-select] option") == [
        "Preparing", "Cancelled", "Packed", "Shipped", "Completed"
    ]  # fmt: skip

    page.get_by_test_id("advance-to-select").select_option("Shipped")
    click_and_land(page, "[data-testid=advance-to]")

    assert history(page) == ["Created", "Preparing", "Packed", "Shipped"]
    rendered = get_order(http, order["guid"])
    assert rendered["status_name"] == "Shipped"
    assert rendered["delivery"]["cargo_tracking_number"].startswith("MNG")
    assert texts(page, "[data-testid=advance-to-select] option") == ["Completed"]
    shot(page, tmp_path, "order-delivery-shipped")


def test_a_pending_3d_payment_is_approved_from_the_order_page(
    page: Page, http: httpx.Client, tmp_path: Path
) -> None:
    order = card_buy(http)["orders"][0]
    assert order["status_name"] == "Pending"
    page.goto(f"{UI}/orders/{order['order_code']}")
    expect(page.get_by_test_id("pending-3d")).to_be_visible()
    expect(page.get_by_test_id("payment-state")).to_have_text("new")
    shot(page, tmp_path, "order-3d-pending")

    click_and_land(page, "[data-testid=approve-3d]")

    expect(page.get_by_test_id("order-status")).to_have_text("Completed")
    expect(page.get_by_test_id("payment-state")).to_have_text("success")
    expect(page.get_by_test_id("pending-3d")).to_have_count(0)
    assert history(page) == ["Pending", "Payment Confirmed", "Completed"]
    rendered = get_order(http, order["guid"])
    assert (rendered["status_name"], rendered["payment"]["state"]) == ("Completed", "success")
    shot(page, tmp_path, "order-3d-approved")


def test_a_pending_3d_payment_is_declined_after_confirming(page: Page, http: httpx.Client) -> None:
    order = card_buy(http)["orders"][0]
    page.goto(f"{UI}/orders/{order['order_code']}")

    click_and_land(page, "[data-testid=decline-3d]")  # the confirm dialog is accepted

    expect(page.get_by_test_id("order-status")).to_have_text("Cancelled")
    expect(page.get_by_test_id("payment-error")).to_contain_text("3D-02")
    rendered = get_order(http, order["guid"])
    assert (rendered["status_name"], rendered["payment"]["error_code"]) == ("Cancelled", "3D-02")


def test_clock_buttons_freeze_and_move_the_sandbox_clock(
    page: Page, dashboard: SandboxServer, tmp_path: Path
) -> None:
    page.goto(UI)
    try:
        click_and_land(page, "[data-testid=clock-freeze]")
        frozen = control(dashboard, "GET", "/clock")
        assert frozen["mode"] == "frozen"
        expect(page.get_by_test_id("clock-mode")).to_have_text("frozen")

        click_and_land(page, "[data-testid=clock-advance-3600]")
        moved = control(dashboard, "GET", "/clock")
        later = datetime.fromisoformat(frozen["now"]) + timedelta(hours=1)
        assert datetime.fromisoformat(moved["now"]) == later
        shown = f"{moved['now'][:10]} {moved['now'][11:19]}"  # Istanbul wall time, to the second
        expect(page.get_by_test_id("flash")).to_have_text(f"Sandbox clock: {shown} (frozen).")
        expect(page.get_by_test_id("clock-now")).to_have_text(shown)
        shot(page, tmp_path, "overview-clock-frozen")

        page.get_by_test_id("advance-seconds").fill("90")
        click_and_land(page, "[data-testid=clock-advance]")
        now = datetime.fromisoformat(control(dashboard, "GET", "/clock")["now"])
        assert now == later + timedelta(seconds=90)
    finally:
        page.goto(UI)
        click_and_land(page, "[data-testid=clock-real]")
    assert control(dashboard, "GET", "/clock")["mode"] == "real"


def test_reset_button_brings_the_seeded_world_back(
    page: Page, dashboard: SandboxServer, http: httpx.Client
) -> None:
    made = buy(http)["orders"][0]
    page.goto(UI)

    click_and_land(page, "[data-testid=reset]")  # after the confirm dialog

    expect(page.get_by_test_id("flash")).to_contain_text("World reset in ")
    seeded = 400 + DOCUMENTED_ORDERS  # the dashboard's world, and the orders the docs name
    expect(page.get_by_test_id("flash")).to_contain_text(f": {seeded} orders.")
    assert http.get(f"/partner/order/{made['guid']}").status_code == 404
    state = control(dashboard, "GET", "/state")
    assert sum(sum(s.values()) for r in state["partners"] for s in r["orders"].values()) == seeded


def test_fault_rules_are_added_fire_and_are_deleted(
    page: Page, dashboard: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    page.goto(f"{UI}/faults")
    click_and_land(page, "[data-testid=preset-pricefix-503]")

    (rule,) = control(dashboard, "GET", "/faults")["faults"]
    assert (rule["match"]["method"], rule["match"]["path"], rule["effect"], rule["times"]) == (
        "POST", "/partner/pricefix", {"type": "error", "status": 503, "error": "service_unavailable"}, 1
    )  # fmt: skip
    expect(page.get_by_test_id("flash")).to_have_text(
        f"Fault rule {rule['id']} added: error=503:service_unavailable on POST /partner/pricefix."
    )
    assert http.post("/partner/pricefix", json={"type": "digital"}).status_code == 503
    page.reload()
    expect(page.get_by_test_id("fault-fired")).to_have_text("1 / 1")

    page.get_by_test_id("custom-path").fill("/partner/orders")
    page.get_by_test_id("custom-status").fill("429")
    page.get_by_test_id("custom-times").fill("2")
    click_and_land(page, "[data-testid=custom-add]")
    rules = control(dashboard, "GET", "/faults")["faults"]
    assert [(r["match"]["path"], r["effect"]["status"], r["times"]) for r in rules] == [
        ("/partner/pricefix", 503, 1), ("/partner/orders", 429, 2)
    ]  # fmt: skip
    expect(page.get_by_test_id("fault-row")).to_have_count(2)
    shot(page, tmp_path, "faults-two-rules")

    click_and_land(page, f"[data-testid=delete-fault-{rule['id']}]")
    assert [r["match"]["path"] for r in control(dashboard, "GET", "/faults")["faults"]] == ["/partner/orders"]
    click_and_land(page, "[data-testid=delete-all-faults]")
    assert control(dashboard, "GET", "/faults")["faults"] == []
    expect(page.get_by_test_id("no-faults")).to_be_visible()


def test_a_fault_rule_is_disabled_and_enabled_by_clicking(
    page: Page, dashboard: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    match = {"method": "POST", "path": "/partner/pricefix"}
    body = {"match": match, "effect": {"type": "error", "status": 503}, "times": 2}
    rule = control(dashboard, "POST", "/faults", json=body)
    row = page.locator(f"[data-testid=fault-row][data-fault-id='{rule['id']}']")
    toggle = f"[data-testid=toggle-fault-{rule['id']}]"
    described = "error=503:service_unavailable on POST /partner/pricefix."

    def pricefix() -> int:
        return http.post("/partner/pricefix", json={"type": "digital"}).status_code

    def stored() -> tuple[bool, int]:
        (listed,) = control(dashboard, "GET", "/faults")["faults"]
        return listed["enabled"], listed["fired"]

    try:
        assert pricefix() == 503
        page.goto(f"{UI}/faults")
        expect(row.get_by_test_id("fault-state")).to_have_text("on")
        expect(page.locator(toggle)).to_have_text("Disable")

        click_and_land(page, toggle)
        expect(page.get_by_test_id("flash")).to_have_text(f"Fault rule {rule['id']} disabled: {described}")
        assert stored() == (False, 1)
        assert [pricefix(), pricefix()] == [200, 200]  # the next partner request already passes
        assert stored() == (False, 1)  # and the rule's times are not used
        page.reload()
        expect(row.get_by_test_id("fault-state")).to_have_text("off")
        expect(row).to_have_attribute("data-enabled", "false")
        expect(row).to_have_class("off")
        expect(row.get_by_test_id("fault-fired")).to_have_text("1 / 2")
        expect(page.locator(toggle)).to_have_text("Enable")
        shot(page, tmp_path, "faults-rule-disabled")

        click_and_land(page, toggle)
        expect(page.get_by_test_id("flash")).to_have_text(f"Fault rule {rule['id']} enabled: {described}")
        expect(row.get_by_test_id("fault-state")).to_have_text("on")
        expect(row).to_have_attribute("data-enabled", "true")
        assert stored() == (True, 1)
        assert [pricefix(), pricefix()] == [503, 200]  # the firing it had left, then used up
        assert stored() == (True, 2)
    finally:
        control(dashboard, "DELETE", "/faults")


def test_webhook_events_appear_without_reloading(page: Page, http: httpx.Client, tmp_path: Path) -> None:
    page.goto(f"{UI}/webhooks")
    page.evaluate("window.stillTheSamePage = true")

    order = buy(http)["orders"][0]  # immediate: Created, Processing, Completed

    rows = page.locator(f"[data-testid=webhook-row][data-order='{order['order_code']}']")
    expect(rows).to_have_count(3)
    assert texts(page, f"[data-order='{order['order_code']}'] [data-testid=webhook-status]") == [
        "Completed", "Processing", "Created"
    ]  # fmt: skip
    assert page.evaluate("window.stillTheSamePage") is True
    shot(page, tmp_path, "webhooks-live")


def test_an_endpoint_set_on_the_page_gets_the_deliveries_and_the_list_shows_the_attempts(
    page: Page, dashboard: SandboxServer, http: httpx.Client
) -> None:
    with socket.socket() as probe:  # a port nobody listens on: every attempt is refused
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/hooks"
    page.goto(f"{UI}/webhooks")
    page.get_by_test_id("endpoint-url").fill(url)
    try:
        click_and_land(page, "[data-testid=endpoint-save]")
        (demo,) = [row for row in control(dashboard, "GET", "/webhooks") if row["partner"] == "demo"]
        assert demo["url"] == url and demo["secret"].startswith("whsec_")
        expect(page.get_by_test_id("flash")).to_have_text(f"Webhooks of demo now go to {url}.")

        order = buy(http)["orders"][0]
        created = page.locator(f"[data-testid=webhook-row][data-order='{order['order_code']}']").last
        expect(created.locator(".http.bad")).to_contain_text("ConnectError")  # polled, no reload
        events = control(dashboard, "GET", "/webhooks/deliveries", params={"order": order["guid"]})
        event = events[-1]  # newest first: the last is the Created event
        assert str(event["id"]) == created.get_attribute("data-event-id")
        assert (event["status_name"], event["state"]) == ("Created", "pending")
        assert event["attempts"] >= 1
        assert [attempt["url"] for attempt in event["deliveries"]] == [url] * event["attempts"]
    finally:
        page.goto(f"{UI}/webhooks")
        click_and_land(page, "[data-testid=endpoint-demo] button")  # Remove, after the confirm dialog
    assert [row["url"] for row in control(dashboard, "GET", "/webhooks")] == [None, None]


def test_journal_lists_partner_requests_without_reloading(
    page: Page, dashboard: SandboxServer, http: httpx.Client, tmp_path: Path
) -> None:
    page.goto(f"{UI}/journal")
    click_and_land(page, "[data-testid=journal-clear]")
    assert control(dashboard, "GET", "/requests")["requests"] == []
    page.evaluate("window.stillTheSamePage = true")

    assert http.get("/partner/order/ALS8HEVP").status_code == 200
    assert http.get("/partner/orders/statuses").status_code == 200

    expect(page.get_by_test_id("journal-row")).to_have_count(3)  # the Digest challenge, then both answers
    journal = control(dashboard, "GET", "/requests")["requests"]
    assert [(e["path"], e["status"]) for e in journal] == [
        ("/partner/order/ALS8HEVP", 401),
        ("/partner/order/ALS8HEVP", 200),
        ("/partner/orders/statuses", 200),
    ]  # the dashboard's own requests (this page's polling included) are not in it
    rows = page.get_by_test_id("journal-row")
    assert [row.get_attribute("data-entry-id") for row in rows.all()] == [
        str(e["id"]) for e in reversed(journal)
    ]
    assert page.evaluate("window.stillTheSamePage") is True
    shot(page, tmp_path, "journal-live")

    rows.first.get_by_test_id("journal-link").click()
    expect(page.get_by_test_id("entry-status")).to_have_text("200")
    body = json.loads(page.get_by_test_id("response-body").inner_text())  # shown indented
    assert body == json.loads(journal[-1]["response_body"])
    assert (body["success"], len(body["data"])) == (True, 12)
    shot(page, tmp_path, "journal-entry")
