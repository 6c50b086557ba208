"""With SANDBOX_CONTROL_TOKEN set the dashboard is locked like the rest of /_sandbox: a browser is sent
to the login page, comes back where it was going after signing in, and every button and live list
works with the cookie. Without the cookie nothing is shown and no form is accepted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from sandbox.store.models import Play
from sandbox.testing.server import SandboxServer
from tests.support.constants import CONTROL_TOKEN as TOKEN
from tests.support.waiting import wait_for
from tests.ui.support import UI, click_and_land, data, partner, shot

BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def dashboard(pooled: Callable[..., SandboxServer]) -> SandboxServer:
    """A server locked with SANDBOX_CONTROL_TOKEN, holding a fresh world."""
    return pooled(control_token=TOKEN)


def test_the_dashboard_sends_a_browser_to_sign_in_and_works_after(
    page: Page, dashboard: SandboxServer, tmp_path: Path
) -> None:
    page.goto(f"{UI}/orders?type=Sell")
    assert page.url == f"{dashboard.url}/_sandbox/login?next=%2F_sandbox%2Fui%2Forders%3Ftype%3DSell"
    shot(page, tmp_path, "login")

    page.fill("#token", "not-the-token")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_have_text("The sandbox control token is invalid.")

    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{dashboard.url}{UI}/orders?type=Sell")
    expect(page.get_by_test_id("order-row")).to_have_count(25)

    page.goto(UI)
    try:
        click_and_land(page, "[data-testid=clock-freeze]")  # a form post carries the cookie
        clock = data(httpx.get(f"{dashboard.url}/_sandbox/clock", headers=BEARER))
        assert clock["mode"] == "frozen"
        expect(page.get_by_test_id("clock-mode")).to_have_text("frozen")
    finally:
        httpx.post(f"{dashboard.url}/_sandbox/clock", json={"mode": "real"}, headers=BEARER)

    page.goto(f"{UI}/journal")
    with partner(dashboard) as http:
        assert http.get("/partner/orders/statuses").status_code == 200
    # The polled list (a fetch with the cookie) shows the request without a reload.
    rows = page.locator("[data-testid=journal-row][data-path='/partner/orders/statuses']")
    expect(rows).to_have_count(2)  # Digest's challenge, then the answer; newest first
    assert [row.get_attribute("data-status") for row in rows.all()] == ["200", "401"]
    expect(page.locator("[data-live-for=journal-rows]")).to_have_text("live")


def test_without_the_token_nothing_is_shown_or_accepted(dashboard: SandboxServer) -> None:
    page = httpx.get(f"{dashboard.url}{UI}/orders")  # not a browser: no redirect, the API's 401
    assert page.status_code == 401
    assert page.json()["data"]["error"] == "control_token_required"

    posted = httpx.post(f"{dashboard.url}{UI}/reset", data={"everything": "1"})
    assert posted.status_code == 401
    wrong = httpx.post(f"{dashboard.url}{UI}/reset", headers={"Cookie": "sandbox_control=nope"})
    assert wrong.status_code == 403
    assert wrong.json()["data"]["error"] == "control_token_invalid"

    browser_like = httpx.get(f"{dashboard.url}{UI}", headers={"Accept": "text/html"})
    assert browser_like.status_code == 303
    assert browser_like.headers["location"] == "/_sandbox/login?next=%2F_sandbox%2Fui"


def test_a_play_started_by_a_signed_in_user_passes_the_token_on(dashboard: SandboxServer) -> None:
    """Its control calls (the customer's mode, each advance) carry the token: without it they get 401."""
    form = {"script": "buy-cash", "speed": "fast", "partner": "demo"}
    cookie = {"Cookie": f"sandbox_control={TOKEN}"}
    started = httpx.post(f"{dashboard.url}{UI}/plays", data=form, headers=cookie, follow_redirects=False)
    assert "flash=" in started.headers["location"]

    def ended() -> Play | None:
        with dashboard.sandbox.store.session() as session:
            found = session.exec(select(Play)).first()
        return found if found is not None and found.state != "running" else None

    played = wait_for(ended, 30, "the play to end")
    assert (played.state, played.error) == ("done", None)
