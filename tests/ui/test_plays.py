"""Play a flow, in headless Chromium: each scripted flow runs on a fresh customer at the chosen pace,
step by step through the partner API, the 3-D page and the control API, while the page follows it;
each step links to its journal entry and to the webhook events of the statuses its order entered."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from sandbox.runtime import Sandbox
from sandbox.store.db import Store
from sandbox.store.models import Customer, Order, Play, PriceFix
from sandbox.testing.server import SandboxServer
from tests.support.servers import small_world
from tests.support.tenants import tenants_on
from tests.support.waiting import wait_for
from tests.ui.support import UI, click_and_land, control, data, partner

PLAYED = 30_000  # ms: a fast play of 12 steps takes about 6 s; room for a loaded CI machine
HOLD = "The customer's orders move when the play says"
SETTLE = "The customer's orders settle at once"
ADVANCE = "Advance the order"
GET = "Get the order"
# script → every step's label and the statuses the play's order entered in it
STORIES = {
    "buy-card": [
        ("A fresh customer", []),
        (HOLD, []),
        ("Fix the prices", []),
        ("Buy 1 g of gold by card", ["Pending"]),
        ("The cardholder approves on the 3-D page", ["Payment Confirmed"]),
        (ADVANCE, ["Completed"]),
        (GET, []),
    ],
    "buy-cash": [
        ("A fresh customer", []),
        ("Deposit 100000 TRY", []),
        (HOLD, []),
        ("Fix the prices", []),
        ("Buy 1 g of gold with cash", ["Created"]),
        (ADVANCE, ["Processing"]),
        (ADVANCE, ["Completed"]),
        (GET, []),
    ],
    "sell": [
        ("A fresh customer", []),
        ("Deposit 100000 TRY", []),
        (SETTLE, []),
        ("Fix the prices", []),
        ("Buy the 2 g of gold to sell", []),
        (HOLD, []),
        ("Fix the prices", []),
        ("Sell 1 g of gold", ["Created"]),
        (ADVANCE, ["Processing"]),
        (ADVANCE, ["Transferring"]),
        (ADVANCE, ["Completed"]),
        (GET, []),
    ],
    "delivery": [
        ("A fresh customer", []),
        ("Deposit 100000 TRY", []),
        (SETTLE, []),
        ("Fix the prices", []),
        ("Buy the 5 g of gold to deliver", []),
        (HOLD, []),
        ("Deliver 3 g of gold, the fee paid in cash", ["Created"]),
        (ADVANCE, ["Preparing"]),
        (ADVANCE, ["Packed"]),
        (ADVANCE, ["Shipped"]),
        (ADVANCE, ["Completed"]),
        (GET, []),
    ],
}


def play(page: Page, script: str, speed: str = "fast") -> None:
    page.goto(f"{UI}/plays")
    page.get_by_test_id("play-script").select_option(script)
    page.get_by_test_id("play-speed").select_option(speed)
    click_and_land(page, "[data-testid=play-start]")


def stored_order_code(server: SandboxServer) -> str:
    with server.sandbox.store.session() as session:
        guid = stored_play(server).order_guid
        return session.exec(select(Order.order_code).where(Order.guid == guid)).one()


def start(server: SandboxServer, script: str, speed: str, cookies: dict[str, str] | None = None) -> None:
    """The play form's post, as a browser sends it (without the browser)."""
    form = {"script": script, "speed": speed, "partner": "demo"}
    response = httpx.post(f"{server.url}{UI}/plays", data=form, cookies=cookies, follow_redirects=False)
    assert response.status_code == 303 and "flash=" in response.headers["location"], response.headers


def stored_play(server: SandboxServer) -> Play:
    with server.sandbox.store.session() as session:
        return session.exec(select(Play).order_by(Play.id.desc())).first()  # type: ignore[union-attr]


@pytest.mark.parametrize("script", list(STORIES))
def test_each_flow_plays_to_completed_with_every_step_linked(
    page: Page, dashboard: SandboxServer, webhook_sink: str, script: str
) -> None:
    play(page, script)
    expect(page.get_by_test_id("flash")).to_contain_text("started")
    shown = page.get_by_test_id("play").first
    expect(shown).to_have_attribute("data-state", "done", timeout=PLAYED)

    steps = shown.get_by_test_id("play-step")
    labels = [text.strip() for text in steps.get_by_test_id("play-step-label").all_inner_texts()]
    entered = [step.get_by_test_id("play-step-status").all_inner_texts() for step in steps.all()]
    assert list(zip(labels, entered, strict=True)) == STORIES[script]
    # Every partner call links to its own journal entry; control and 3-D page calls are not journaled.
    partner_steps = shown.locator("[data-testid=play-step][data-kind=partner]")
    expect(partner_steps.get_by_test_id("play-step-request")).to_have_count(partner_steps.count())
    # Each status the order entered raised its webhook, delivered to the endpoint.
    events = shown.get_by_test_id("play-step-event")
    statuses = [status for _, changed in STORIES[script] for status in changed]
    expect(events).to_have_count(len(statuses))
    for index in range(len(statuses)):
        expect(events.nth(index)).to_contain_text("delivered", timeout=5000)

    played = stored_play(dashboard)
    with partner(dashboard) as http:
        order = data(http.get(f"/partner/order/{played.order_guid}"))
    assert (order["status_name"], order["customer"]["external_id"]) == (
        "Completed",
        played.customer_external_id,
    )
    assert control(dashboard, "GET", "/invariants")["violations"] == []
    assert (
        control(dashboard, "GET", f"/customers/demo/{played.customer_external_id}/mode")["mode"] == "manual"
    )


def test_a_step_links_to_its_request_and_webhook_and_the_order_page_tells_why_the_order_waited(
    page: Page, dashboard: SandboxServer
) -> None:
    play(page, "delivery")
    shown = page.get_by_test_id("play").first
    expect(shown).to_have_attribute("data-state", "done", timeout=PLAYED)

    delivery = shown.get_by_test_id("play-step").filter(has_text="Deliver 3 g of gold")
    with page.expect_navigation():
        delivery.get_by_test_id("play-step-request").click()
    expect(page.locator("h1")).to_contain_text("POST /partner/delivery/create")

    page.go_back()
    with page.expect_navigation():
        delivery.get_by_test_id("play-step-event").locator("a").click()
    target = page.locator("tr:target")  # the webhooks page, at the event of the order's Created
    expect(target.get_by_test_id("webhook-status")).to_have_text("Created")
    expect(target).to_have_attribute("data-order", stored_order_code(dashboard))

    page.go_back()
    with page.expect_navigation():
        page.get_by_test_id("play-order").first.click()
    expect(page.get_by_test_id("order-status")).to_have_text("Completed")
    expect(page.get_by_test_id("own-mode")).to_contain_text("manual")


def test_a_play_runs_the_same_whatever_the_flows_modes(page: Page, dashboard: SandboxServer) -> None:
    """Its gold settles by the customer's own `immediate`, its order waits by its own `manual`."""
    control(dashboard, "PUT", "/lifecycles/buy-cash/mode", json={"mode": "manual"})
    control(dashboard, "PUT", "/lifecycles/sell/mode", json={"mode": "immediate"})
    try:
        play(page, "sell")
        shown = page.get_by_test_id("play").first
        expect(shown).to_have_attribute("data-state", "done", timeout=PLAYED)
    finally:
        control(dashboard, "PUT", "/lifecycles/buy-cash/mode", json={"mode": "immediate"})

    labels = [text.strip() for text in shown.get_by_test_id("play-step-label").all_inner_texts()]
    assert labels == [label for label, _ in STORIES["sell"]]


def test_steps_keep_the_chosen_pace(page: Page, dashboard: SandboxServer) -> None:
    play(page, "buy-card", "fast")
    expect(page.get_by_test_id("play").first).to_have_attribute("data-state", "done", timeout=PLAYED)

    times = [datetime.fromisoformat(step["at"]) for step in json.loads(stored_play(dashboard).steps)]
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    assert len(gaps) == 6 and min(gaps) >= 0.5  # the real clock: each step waited its pause


def test_a_refused_step_ends_the_play_there_saying_why(page: Page, dashboard: SandboxServer) -> None:
    control(dashboard, "POST", "/faults", json={
        "match": {"method": "POST", "path": "/partner/pricefix"}, "effect": {"type": "error", "status": 503},
    })  # fmt: skip
    try:
        play(page, "buy-cash")
        shown = page.get_by_test_id("play").first
        expect(shown).to_have_attribute("data-state", "failed", timeout=PLAYED)
    finally:
        control(dashboard, "DELETE", "/faults")

    labels = shown.get_by_test_id("play-step-label").all_inner_texts()
    assert labels == ["A fresh customer", "Deposit 100000 TRY", HOLD, "Fix the prices"]
    expect(shown.get_by_test_id("play-step").last).to_contain_text("503")
    expect(shown.get_by_test_id("play-error")).not_to_be_empty()
    assert (
        shown.get_by_test_id("play-error").inner_text()
        == shown.get_by_test_id("play-step-message").inner_text()
    )


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"script": "teleport", "speed": "fast", "partner": "demo"}, "script"),
        ({"script": "buy-cash", "speed": "warp", "partner": "demo"}, "speed"),
        ({"script": "buy-cash", "speed": "fast", "partner": "nobody"}, "partner"),
        ({"speed": "fast", "partner": "demo"}, "script"),
    ],
)
def test_a_bad_play_form_is_refused_and_starts_nothing(
    dashboard: SandboxServer, form: dict, error: str
) -> None:
    response = httpx.post(f"{dashboard.url}{UI}/plays", data=form, follow_redirects=False)

    assert response.status_code == 303
    assert (
        "error=" in response.headers["location"]
        and error in httpx.URL(response.headers["location"]).params["error"]
    )
    assert stored_play(dashboard) is None


def test_a_play_in_a_tenants_world_stays_in_it(dashboard: SandboxServer) -> None:
    with tenants_on(dashboard) as make:
        tenant_id = make(id="playground")["tenant"]
        start(dashboard, "buy-cash", "fast", cookies={"sandbox_tenant": tenant_id})
        world = dashboard.app.state.tenants.get(tenant_id)
        played = wait_for(lambda: ended(world), PLAYED / 1000, "the tenant's play to end")

        assert played.state == "done"
        assert customer_in(world, played.customer_external_id)
        assert stored_play(dashboard) is None  # nothing played in the default world
        assert not customer_in(dashboard.sandbox, played.customer_external_id)


def ended(world: Sandbox) -> Play | None:
    with world.store.session() as session:
        found = session.exec(select(Play)).first()
    return found if found is not None and found.state != "running" else None


def customer_in(world: Sandbox, external_id: str) -> bool:
    with world.store.session() as session:
        return session.exec(select(Customer).where(Customer.external_id == external_id)).first() is not None


def test_a_reset_ends_a_running_play_before_its_next_step_touches_the_new_world(
    dashboard: SandboxServer,
) -> None:
    start(dashboard, "buy-card", "normal")  # 2 s between steps
    played = wait_for(lambda: steps_taken(dashboard, 2), 30, "the play's first two steps")

    control(dashboard, "POST", "/reset")  # before the third step, a price fix for the play's customer
    wait_for(lambda: not dashboard.app.state.plays, 30, "the play to end")

    assert stored_play(dashboard) is None
    with dashboard.sandbox.store.session() as session:
        fixes = session.exec(
            select(PriceFix).where(PriceFix.customer_external_id == played.customer_external_id)
        )
        assert fixes.all() == []
    assert not customer_in(dashboard.sandbox, played.customer_external_id)


def test_a_stopping_server_marks_its_running_plays_stopped(tmp_path: Path) -> None:
    server = small_world(tmp_path)
    with server:
        start(server, "delivery", "slow")
        wait_for(lambda: steps_taken(server, 1), 30, "the play's first step")
    store = Store(server.settings.database_url)
    try:
        with store.session() as session:
            (played,) = session.exec(select(Play)).all()
    finally:
        store.dispose()

    assert (played.state, len(json.loads(played.steps))) == ("stopped", 1)


def steps_taken(server: SandboxServer, count: int) -> Play | None:
    played = stored_play(server)
    return played if played is not None and len(json.loads(played.steps)) >= count else None
