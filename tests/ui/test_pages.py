"""Every dashboard page in headless Chromium, checked against the control and partner APIs: the
overview's counts are /_sandbox/state's, the orders filters keep only matching rows, the customers'
balances are Customer Balance's. This module only reads; it takes a screenshot of every page."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sandbox.testing.server import SandboxServer
from sandbox.world.documented import DOCUMENTED_ORDERS
from tests.ui.support import UI, control, data, partner, shot, texts

GOLDEN = "ALS8HEVP"
SEEDED_ORDERS = 400 + DOCUMENTED_ORDERS  # the dashboard's world, and the orders the docs name


def test_overview_shows_every_partner_count_of_the_state(
    page: Page, dashboard: SandboxServer, tmp_path: Path
) -> None:
    state = control(dashboard, "GET", "/state")
    page.goto(UI)

    expect(page.get_by_test_id("seed")).to_have_text("42")
    expect(page.get_by_test_id("scenario")).to_have_text("default")
    assert texts(page, "[data-testid^=partner-] h3") == ["demo", "acme"]
    for row in state["partners"]:
        name = row["partner"]
        expect(page.get_by_test_id(f"customers-{name}")).to_have_text(str(row["customers"]))
        total = sum(count for statuses in row["orders"].values() for count in statuses.values())
        expect(page.get_by_test_id(f"orders-{name}")).to_have_text(str(total))
        shown = page.locator(f"[data-testid^=count-{name}-]")
        cells = {
            link.get_attribute("data-testid"): link.inner_text() for link in shown.all()
        }  # every non-empty cell, and nothing else
        expected = {
            f"count-{name}-{kind.lower()}-{status.lower().replace(' ', '-')}": str(count)
            for kind, statuses in row["orders"].items()
            for status, count in statuses.items()
        }
        assert cells == expected
    assert sum(sum(s.values()) for r in state["partners"] for s in r["orders"].values()) == SEEDED_ORDERS
    expect(page.get_by_test_id("clock-mode")).to_have_text("real")
    shot(page, tmp_path, "overview")


def test_a_count_links_to_the_orders_it_counts(page: Page, dashboard: SandboxServer) -> None:
    state = control(dashboard, "GET", "/state")
    completed_buys = state["partners"][0]["orders"]["Buy"]["Completed"]
    page.goto(UI)

    page.get_by_test_id("count-demo-buy-completed").click()

    expect(page.get_by_test_id("page-info")).to_contain_text(f"of {completed_buys}")
    assert set(texts(page, "[data-col=type]")) == {"Buy"}
    assert set(texts(page, "[data-col=status]")) == {"Completed"}
    assert set(texts(page, "[data-col=partner]")) == {"demo"}


def test_orders_filtered_by_partner_type_and_status_match_the_partner_api(
    page: Page, dashboard: SandboxServer, tmp_path: Path
) -> None:
    page.goto(f"{UI}/orders")
    expect(page.get_by_test_id("order-row")).to_have_count(25)
    expect(page.get_by_test_id("page-info")).to_contain_text(f"1–25 of {SEEDED_ORDERS}")

    for field, value in (("partner", "demo"), ("type", "Delivery"), ("status", "Shipped")):
        with page.expect_navigation():
            page.get_by_test_id(f"filter-{field}").select_option(value)  # submits on change

    assert "/orders?partner=demo&type=Delivery&status=Shipped&" in page.url
    with partner(dashboard) as http:
        listed = data(http.get("/partner/orders", params={"type": "Delivery", "status": "Shipped"}))
    codes = sorted(order["order_code"] for order in listed["data"])
    assert len(codes) == listed["total"] == 2
    assert sorted(texts(page, "[data-col=code]")) == codes
    assert set(texts(page, "[data-col=partner]")) == {"demo"}
    assert set(texts(page, "[data-col=type]")) == {"Delivery"}
    assert set(texts(page, "[data-col=status]")) == {"Shipped"}
    expect(page.get_by_test_id("page-info")).to_contain_text("1–2 of 2")
    shot(page, tmp_path, "orders-filtered")


def test_orders_pages_through_every_order(page: Page) -> None:
    page.goto(f"{UI}/orders?type=Sell")
    first = texts(page, "[data-col=code]")
    page.get_by_test_id("page-next").click()

    expect(page.get_by_test_id("page-info")).to_contain_text("26–50 of")
    second = texts(page, "[data-col=code]")
    assert len(first) == len(second) == 25 and not set(first) & set(second)
    assert set(texts(page, "[data-col=type]")) == {"Sell"}


def test_customers_show_the_balances_customer_balance_answers(
    page: Page, dashboard: SandboxServer, tmp_path: Path
) -> None:
    page.goto(f"{UI}/customers")
    expect(page.get_by_test_id("tab-demo")).to_have_class("active")
    expect(page.get_by_test_id("customer-row")).to_have_count(25)
    expect(page.get_by_test_id("page-info")).to_contain_text("1–25 of 50")
    shot(page, tmp_path, "customers")

    row = page.locator("[data-testid=customer-row][data-external-id='92440753']")
    with partner(dashboard) as http:
        rows = data(http.get("/partner/balance/customer/92440753"))
    api = {r["currency_code"]: r for r in rows}
    assert Decimal(row.get_by_test_id("balance-TRY").inner_text().split()[1]) == Decimal(
        str(api["TRY"]["balance"])
    )

    row.get_by_test_id("customer-link").click()
    expect(page.locator("h1")).to_contain_text("Soner Kaya")
    for asset, wire in api.items():
        shown = page.get_by_test_id(f"real-{asset}").inner_text()
        assert Decimal(shown) == Decimal(str(wire["real_balance"])), asset
        assert Decimal(page.get_by_test_id(f"balance-{asset}").inner_text()) == Decimal(str(wire["balance"]))
    assert page.get_by_test_id("real-TRY").inner_text() == f"{Decimal(str(api['TRY']['real_balance'])):.2f}"
    shot(page, tmp_path, "customer")


def test_the_other_partner_tab_lists_its_own_customers(page: Page, dashboard: SandboxServer) -> None:
    page.goto(f"{UI}/customers")
    page.get_by_test_id("tab-acme").click()

    expect(page.get_by_test_id("tab-acme")).to_have_class("active")
    ids = [row.get_attribute("data-external-id") for row in page.get_by_test_id("customer-row").all()]
    with partner(dashboard) as http:
        assert http.get(f"/partner/customer/{ids[0]}").status_code == 404  # not demo's


def test_order_page_shows_the_golden_order_and_its_history(page: Page, tmp_path: Path) -> None:
    page.goto(f"{UI}/orders/{GOLDEN.lower()}")

    expect(page.get_by_test_id("order-status")).to_have_text("Completed")
    assert texts(page, "[data-testid=history-status]") == ["Created", "Processing", "Completed"]
    expect(page.get_by_test_id("order-total")).to_have_text("188.97 TRY")
    expect(page.get_by_test_id("final")).to_be_visible()
    expect(page.get_by_test_id("advance")).to_have_count(0)
    page.get_by_text("What GET /partner/order/").click()  # opens the Get Order JSON
    assert '"guid": "896AE1AC-E26F-4291-80B2-BF80DE0A920A"' in page.get_by_test_id("order-json").inner_text()
    shot(page, tmp_path, "order")


@pytest.mark.parametrize("section", ["faults", "webhooks", "journal"])
def test_traffic_pages_load_with_the_nav_and_clock(page: Page, section: str, tmp_path: Path) -> None:
    page.goto(f"{UI}/{section}")

    expect(page.get_by_test_id(f"nav-{section}")).to_have_class("active")
    expect(page.get_by_test_id("nav-docs")).to_have_attribute("href", "/docs")
    expect(page.get_by_test_id("clock-now")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))
    table = {"faults": "faults-table", "webhooks": "webhook-table", "journal": "journal-table"}[section]
    expect(page.get_by_test_id(table)).to_be_visible()
    shot(page, tmp_path, section)
