"""Live pages in headless Chromium: the order, orders, customer and overview pages follow the world as
it changes through the partner and control APIs, without a reload and without losing the user's place;
the order page's flow timeline shows the steps done, the current one and those ahead, with the
requests and webhook events beside each step."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from playwright.sync_api import Page, expect

from sandbox.testing.server import SandboxServer
from tests.ui.support import UI, buy, control, data, partner

LIVE = 2000  # ms: the bound for a change to show on an open page


@pytest.fixture
def http(dashboard: SandboxServer) -> Iterator[httpx.Client]:
    with partner(dashboard) as client:
        yield client


@pytest.fixture
def manual_buys(dashboard: SandboxServer) -> Iterator[None]:
    control(dashboard, "PUT", "/lifecycles/buy-cash/mode", json={"mode": "manual"})
    yield
    control(dashboard, "PUT", "/lifecycles/buy-cash/mode", json={"mode": "immediate"})


def steps(page: Page) -> list[tuple[str, str]]:
    items = page.get_by_test_id("step")
    return [
        (item.get_attribute("data-status") or "", item.get_attribute("data-state") or "")
        for item in items.all()
    ]


def mark_the_page(page: Page) -> None:
    """A value only this page load holds, and a scroll position: a reload would lose both."""
    page.evaluate("() => { window.stillThisPage = true; window.scrollTo(0, 200); }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => [window.stillThisPage === true, window.scrollY]") == [True, 200]


def test_an_advance_through_the_control_api_shows_on_the_open_order_page_within_2_s(
    page: Page, dashboard: SandboxServer, http: httpx.Client, manual_buys: None
) -> None:
    order = buy(http)["orders"][0]
    page.set_viewport_size({"width": 1400, "height": 600})
    page.goto(f"{UI}/orders/{order['order_code']}")
    expect(page.get_by_test_id("order-status")).to_have_text("Created")
    assert steps(page) == [("Created", "current"), ("Processing", "ahead"), ("Completed", "ahead")]
    mark_the_page(page)

    control(dashboard, "POST", f"/orders/{order['guid']}/advance", json={})

    expect(page.get_by_test_id("order-status")).to_have_text("Processing", timeout=LIVE)
    expect(page.get_by_test_id("advance")).to_have_text("Advance → Completed")
    assert steps(page) == [("Created", "done"), ("Processing", "current"), ("Completed", "ahead")]
    assert '"status_name": "Processing"' in page.get_by_test_id("order-json").text_content()
    expect(page.get_by_test_id("page-live")).to_have_text("live")
    assert_not_reloaded(page)

    control(dashboard, "POST", f"/orders/{order['guid']}/advance", json={})
    expect(page.get_by_test_id("order-status")).to_have_text("Completed", timeout=LIVE)
    expect(page.get_by_test_id("final")).to_be_visible()
    assert steps(page) == [("Created", "done"), ("Processing", "done"), ("Completed", "current")]
    assert_not_reloaded(page)


def test_the_timeline_puts_each_request_and_webhook_event_beside_the_step_it_belongs_to(
    page: Page, dashboard: SandboxServer, http: httpx.Client, manual_buys: None, webhook_sink: str
) -> None:
    order = buy(http)["orders"][0]
    page.goto(f"{UI}/orders/{order['guid']}")
    created = page.locator("[data-testid=step][data-status=Created]")
    expect(created.get_by_test_id("step-request")).to_have_count(1)
    expect(created.get_by_test_id("step-request")).to_contain_text("POST /partner/order/digital/buy")

    data(http.get(f"/partner/order/{order['guid']}"))  # while the order is Created
    control(dashboard, "POST", f"/orders/{order['guid']}/advance", json={})

    processing = page.locator("[data-testid=step][data-status=Processing]")
    expect(processing).to_have_attribute("data-state", "current", timeout=LIVE)
    expect(created.get_by_test_id("step-request")).to_have_text(
        ["request POST /partner/order/digital/buy 200", f"request GET /partner/order/{order['guid']} 200"]
    )
    expect(processing.get_by_test_id("step-event")).to_contain_text("delivered", timeout=5000)
    expect(processing.get_by_test_id("step-event")).to_contain_text("order.status_change")
    page.locator("[data-testid=step-request] a").first.click()
    expect(page.locator("h1")).to_contain_text("POST /partner/order/digital/buy")


def test_a_new_order_shows_at_the_top_of_the_open_orders_list_keeping_the_typed_filter(
    page: Page, http: httpx.Client
) -> None:
    page.goto(f"{UI}/orders?partner=demo&type=Buy")
    page.get_by_test_id("filter-customer").fill("still typing")
    mark_the_page(page)

    code = buy(http)["orders"][0]["order_code"]

    expect(page.get_by_test_id("order-row").first).to_have_attribute("data-code", code, timeout=LIVE)
    expect(page.get_by_test_id("filter-customer")).to_have_value("still typing")
    assert_not_reloaded(page)


def test_a_top_up_shows_on_the_open_customer_page(page: Page, http: httpx.Client) -> None:
    page.goto(f"{UI}/customers/demo/92440753")
    before = Decimal(page.get_by_test_id("balance-TRY").inner_text())

    http.patch("/partner/balance/customer/92440753", json={"amount": 125.5}).raise_for_status()

    expect(page.get_by_test_id("balance-TRY")).to_have_text(f"{before + Decimal('125.50'):.2f}", timeout=LIVE)


def test_the_overview_follows_modes_and_counts_but_leaves_a_select_the_user_holds(
    page: Page, dashboard: SandboxServer, http: httpx.Client
) -> None:
    page.goto(UI)
    created = page.get_by_test_id("count-demo-buy-completed")
    before = int(created.inner_text())

    buy(http)
    control(dashboard, "PUT", "/lifecycles/sell/mode", json={"mode": "manual"})
    try:
        expect(created).to_have_text(str(before + 1), timeout=LIVE)
        expect(page.get_by_test_id("mode-sell")).to_have_value("manual", timeout=LIVE)

        page.get_by_test_id("mode-sell").focus()  # the user is about to choose
        control(dashboard, "PUT", "/lifecycles/sell/mode", json={"mode": "timed", "step_seconds": 5})
        buy(http)
        expect(created).to_have_text(str(before + 2), timeout=LIVE)  # the partners region moved on
        expect(page.get_by_test_id("mode-sell")).to_have_value("manual")  # this one waits for the user
        page.get_by_test_id("seed-input").focus()
        expect(page.get_by_test_id("mode-sell")).to_have_value("timed", timeout=LIVE)
    finally:
        control(dashboard, "PUT", "/lifecycles/sell/mode", json={"mode": "immediate"})


def test_a_fault_rule_added_and_fired_through_the_api_shows_on_the_open_faults_page(
    page: Page, dashboard: SandboxServer, http: httpx.Client
) -> None:
    page.set_viewport_size({"width": 1400, "height": 500})  # room to scroll
    page.goto(f"{UI}/faults")
    expect(page.get_by_test_id("no-faults")).to_be_visible()
    mark_the_page(page)

    rule = {"match": {"method": "GET", "path": "/partner/orders"}, "effect": {"type": "error", "status": 503}}
    control(dashboard, "POST", "/faults", json=rule | {"times": 2})
    expect(page.get_by_test_id("fault-fired")).to_have_text("0 / 2", timeout=LIVE)
    assert http.get("/partner/orders").status_code == 503

    expect(page.get_by_test_id("fault-fired")).to_have_text("1 / 2", timeout=LIVE)
    assert_not_reloaded(page)
