"""What the dashboard looks like at the widths a demo runs at (1024 and 1400 px) and what it says: the
navigation on one line, code chips never broken inside a word, no page wider than the window, one date
format everywhere, statuses in the order of a flow's story, and labels that say what is true."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from sandbox.store.models import Play
from sandbox.testing.server import SandboxServer
from sandbox.ui.common import STATUS_ORDER
from tests.support.waiting import wait_for
from tests.ui.support import UI, buy, card_buy, control, partner, texts

GOLDEN = "896AE1AC-E26F-4291-80B2-BF80DE0A920A"
PAGES = [
    "",
    "/orders",
    f"/orders/{GOLDEN}",
    "/customers",
    "/customers/demo/92440753",
    "/faults",
    "/webhooks",
    "/journal",
    "/plays",
]
ONE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
ANY_DATE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}[^\s<]*|\d{2}-\d{2}-\d{4} \d{2}:\d{2}")

# Per element: does it wrap onto a second line (taller than one line box), and is it wider than its
# page? Rects, not screenshots: they hold on any font the machine has.
WRAPPED_CHIPS = """() => Array.from(document.querySelectorAll("code.id, .badge"))
  .filter((node) => node.getClientRects().length > 1)
  .map((node) => node.textContent)"""
NAV_LINES = """() => new Set(Array.from(document.querySelectorAll("[data-testid=nav] a"),
  (link) => Math.round(link.getBoundingClientRect().top))).size"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def play(dashboard: SandboxServer) -> None:
    form = {"script": "buy-card", "speed": "fast", "partner": "demo"}
    assert httpx.post(f"{dashboard.url}{UI}/plays", data=form).status_code == 303

    def ended() -> bool:
        with dashboard.sandbox.store.session() as session:
            return session.exec(select(Play).where(Play.state == "running")).first() is None

    wait_for(ended, 30, "the play to end")


@pytest.fixture
def http(dashboard: SandboxServer) -> Iterator[httpx.Client]:
    with partner(dashboard) as client:
        yield client


@pytest.mark.parametrize("width", [1024, 1400])
def test_every_page_keeps_the_nav_on_one_line_chips_whole_and_no_sideways_scroll(
    page: Page, dashboard: SandboxServer, http: httpx.Client, width: int
) -> None:
    code = buy(http)["orders"][0]["order_code"]  # journal and webhook rows with paths and event names
    url = "http://127.0.0.1:9/a-long-path/of-a-receiver/that-a-team-runs/webhooks"
    control(dashboard, "PUT", "/webhooks", json={"partner": "demo", "url": url})  # and a 70-character secret
    play(dashboard)  # its steps: control paths with an order's guid
    page.set_viewport_size({"width": width, "height": 900})
    try:
        for path in [*PAGES, f"/orders/{code}"]:
            page.goto(UI + path)
            found = (page.evaluate(NAV_LINES), page.evaluate(WRAPPED_CHIPS), page.evaluate(OVERFLOW))
            assert found == (1, [], 0), path
        page.goto(f"{UI}/webhooks")
        page.locator("[data-testid=endpoint-demo] button").click(trial=True)  # nothing lies over it
    finally:
        control(dashboard, "DELETE", "/webhooks/demo")


def test_every_time_on_the_pages_is_in_one_format(page: Page, http: httpx.Client) -> None:
    code = buy(http)["orders"][0]["order_code"]
    for path in [*PAGES, f"/orders/{code}"]:
        page.goto(UI + path)
        main = page.locator("header, main").all_inner_texts()
        shown = [match for text in main for match in ANY_DATE.findall(text)]
        assert shown, path
        assert [date for date in shown if not ONE_FORMAT.fullmatch(date)] == [], path


def test_the_overview_lists_statuses_in_story_order_cancelled_last(page: Page) -> None:
    page.goto(UI)
    rows = texts(page, "[data-testid=counts-demo] tbody [data-testid=badge]")

    assert rows == [status for status in STATUS_ORDER if status in rows]
    assert rows[-1] == "Cancelled" and rows.index("Completed") > rows.index("Processing")


def test_a_card_payment_says_its_state_once(page: Page, http: httpx.Client) -> None:
    order = card_buy(http)["orders"][0]
    page.goto(f"{UI}/orders/{order['order_code']}")

    expect(page.get_by_test_id("payment").locator("dd").first).to_have_text("new")


def test_a_pending_event_says_whether_it_waits_for_an_endpoint_or_is_being_sent(
    page: Page, dashboard: SandboxServer, http: httpx.Client
) -> None:
    code = buy(http)["orders"][0]["order_code"]  # demo has no endpoint: its events wait
    page.goto(f"{UI}/webhooks")
    labels = page.locator(f"[data-testid=webhook-row][data-order='{code}'] [data-testid=webhook-pending]")
    expect(labels).to_have_text(["waiting for an endpoint"] * 3)

    control(dashboard, "PUT", "/webhooks", json={"partner": "demo", "url": "http://127.0.0.1:9/refused"})
    try:
        page.goto(f"{UI}/webhooks")
        shown = labels.all_inner_texts()
    finally:
        control(dashboard, "DELETE", "/webhooks/demo")
    # The first event goes at once (refused, its row then shows the attempt); the ones behind it in the
    # order's queue are due now: none says that an endpoint is missing.
    assert shown and set(shown) == {"due now: sending"}, shown


def test_the_sandbox_root_and_the_control_root_lead_a_browser_to_the_dashboard(
    page: Page, dashboard: SandboxServer
) -> None:
    for root in ("/", "/_sandbox", "/_sandbox/"):
        page.goto(dashboard.url + root)
        expect(page).to_have_url(f"{dashboard.url}{UI}")
        expect(page.locator("h1")).to_have_text("Overview")
        script = httpx.get(dashboard.url + root)
        assert (script.status_code, script.json()["data"]["dashboard"]) == (200, UI)
