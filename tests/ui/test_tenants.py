"""The dashboard's tenant selector in headless Chromium: it lists the default world and every tenant,
switching sets the `sandbox_tenant` cookie and reloads the page, and every page and button then works
on the chosen world alone (checked through the partner and control APIs). A tenant removed while the
dashboard shows it leaves the default world on screen with a notice; its buttons do nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import FloatRect, Locator, Page, expect

from sandbox.testing.server import SandboxServer
from tests.support.clients import partner_client
from tests.support.tenants import credentials, tenants_on
from tests.ui.support import UI, buy, click_and_land, control, shot, texts

COOKIE = "sandbox_tenant"


@pytest.fixture
def make_tenant(dashboard: SandboxServer) -> Iterator[Callable[..., dict[str, Any]]]:
    with tenants_on(dashboard) as make:
        yield make


def switch(page: Page, tenant: str) -> None:
    """Choose a world in the header's selector ("" = the default one): it submits and reloads."""
    with page.expect_navigation():
        page.get_by_test_id("tenant-select").select_option(tenant)


def tenant_cookies(page: Page) -> list[tuple[str, str, str]]:
    return [(c["value"], c["path"], c["sameSite"]) for c in page.context.cookies() if c["name"] == COOKIE]


def test_switching_tenants_shows_each_worlds_orders_on_the_same_page(
    page: Page, dashboard: SandboxServer, make_tenant: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    first = make_tenant()
    make_tenant(id="ci-job-7")
    with partner_client(dashboard, credentials(first)) as in_first:
        code = buy(in_first)["orders"][0]["order_code"]
    page.goto(f"{UI}/orders?q={code}")
    default_rows = page.get_by_test_id("order-row").count()
    assert texts(page, "[data-testid=tenant-select] option") == ["default", first["tenant"], "ci-job-7"]

    switch(page, first["tenant"])
    in_first_rows = texts(page, "[data-col=code]")
    first_url, first_cookies = page.url, tenant_cookies(page)
    shot(page, tmp_path, "orders-in-a-tenant")
    switch(page, "ci-job-7")
    expect(page.get_by_test_id("tenant-select")).to_have_value("ci-job-7")
    in_second_rows = page.get_by_test_id("order-row").count()
    switch(page, "")

    assert (default_rows, in_first_rows, in_second_rows) == (0, [code], 0)
    assert first_url == f"{dashboard.url}{UI}/orders?q={code}"  # the same page, reloaded
    assert first_cookies == [(first["tenant"], UI, "Lax")]
    expect(page.get_by_test_id("tenant-select")).to_have_value("")
    expect(page.get_by_test_id("order-row")).to_have_count(0)
    assert tenant_cookies(page) == []


def test_a_button_on_a_tenants_page_acts_on_that_tenant_alone(
    page: Page, dashboard: SandboxServer, make_tenant: Callable[..., dict[str, Any]]
) -> None:
    tenant = make_tenant()["tenant"]
    page.goto(UI)
    switch(page, tenant)

    click_and_land(page, "[data-testid=clock-freeze]")

    expect(page.get_by_test_id("clock-mode")).to_have_text("frozen")
    in_tenant = control(dashboard, "GET", "/clock", headers={"X-Sandbox-Tenant": tenant})
    assert (in_tenant["mode"], control(dashboard, "GET", "/clock")["mode"]) == ("frozen", "real")


def test_a_removed_tenant_leaves_the_default_world_shown_with_a_notice(
    page: Page, dashboard: SandboxServer, make_tenant: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    tenant = make_tenant()["tenant"]
    page.goto(f"{UI}/orders")
    switch(page, tenant)
    control(dashboard, "DELETE", f"/tenants/{tenant}")

    page.reload()

    expect(page.get_by_test_id("tenant-gone")).to_have_text(
        f"Tenant {tenant} no longer exists: this is the default world."
    )
    expect(page.get_by_test_id("tenant-select")).to_have_value("")
    expect(page.get_by_test_id("order-row")).to_have_count(25)
    assert tenant_cookies(page) == []
    shot(page, tmp_path, "tenant-gone")
    page.reload()
    expect(page.get_by_test_id("tenant-gone")).to_have_count(0)


def test_a_button_pressed_for_a_removed_tenant_does_nothing(
    dashboard: SandboxServer, make_tenant: Callable[..., dict[str, Any]]
) -> None:
    tenant = make_tenant()["tenant"]
    control(dashboard, "DELETE", f"/tenants/{tenant}")
    cookie = {"Cookie": f"{COOKIE}={tenant}"}

    pressed = httpx.post(f"{dashboard.url}{UI}/clock", data={"action": "freeze"}, headers=cookie)
    shown = httpx.get(f"{dashboard.url}{pressed.headers['location']}", headers=cookie)

    assert pressed.status_code == 303
    assert pressed.headers["location"].startswith(f"{UI}?error=Tenant+{tenant}+no+longer+exists")
    assert control(dashboard, "GET", "/clock")["mode"] == "real"
    assert shown.status_code == 200
    assert f"Tenant {tenant} no longer exists: nothing was done." in shown.text
    assert shown.headers["set-cookie"].startswith(f'{COOKIE}=""; expires=')
    assert "Path=/_sandbox/ui" in shown.headers["set-cookie"]


@pytest.mark.parametrize(
    ("form", "location"),
    [
        ({"tenant": "nobody", "back": f"{UI}/orders"}, f"{UI}/orders?error=There+is+no+tenant+nobody."),
        ({"tenant": "", "back": "https://evil.example/"}, UI),
        ({"tenant": "", "back": "//evil.example/_sandbox/ui"}, UI),
        ({"tenant": "", "back": f"{UI}nope"}, UI),
        ({}, UI),
    ],
)
def test_the_selector_goes_only_to_tenants_that_exist_and_back_only_to_dashboard_pages(
    dashboard: SandboxServer, form: dict[str, str], location: str
) -> None:
    answer = httpx.post(f"{dashboard.url}{UI}/tenant", data=form)

    assert (answer.status_code, answer.headers["location"]) == (303, location)
    assert f"{COOKIE}=nobody" not in answer.headers.get("set-cookie", "")


def test_the_header_holds_at_1024_px_with_a_tenant_chosen(
    page: Page, make_tenant: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    tenant = make_tenant(id="ci-job-with-a-rather-long-name-123456789")["tenant"]  # the longest id
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{UI}/orders")
    switch(page, tenant)

    def box(element: Locator) -> FloatRect:
        found = element.bounding_box()
        assert found is not None
        return found

    nav, select, clock = (box(page.get_by_test_id(name)) for name in ("nav", "tenant-select", "clock"))
    link_rows = {box(link)["y"] for link in page.get_by_test_id("nav").locator("a").all()}
    assert page.evaluate("document.documentElement.scrollWidth") == 1024  # nothing sticks out sideways
    assert len(link_rows) == 1  # the nav keeps its line
    assert nav["y"] + nav["height"] <= select["y"]  # the selector and the clock go to the next one
    assert select["x"] + select["width"] <= clock["x"] <= clock["x"] + clock["width"] <= 1024
    shot(page, tmp_path, "header-1024-tenant")
