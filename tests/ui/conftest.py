"""Headless Chromium for the dashboard tests (tests/browser.py: Debian's /usr/bin/chromium driven by
Playwright). Every page refuses requests that leave the sandbox (no CDN, no fonts from elsewhere) and
fails the test on a script error or a console error (a CSP violation included)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, Route

from sandbox.testing.server import SandboxServer
from tests.browser import chromium
from tests.ui.support import control
from tests.webhooks.receiver import Receiver

SUBRESOURCES = {"stylesheet", "script", "fetch", "xhr", "image", "font"}


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One browser for tests/ui, closed when the package is done (see tests/browser.py for why)."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def dashboard(fresh_server: SandboxServer) -> SandboxServer:
    """The server the dashboard tests drive: the session server holding a fresh world on the real clock."""
    return fresh_server


@pytest.fixture
def webhook_sink(dashboard: SandboxServer) -> Iterator[str]:
    """demo's webhooks go to a receiver answering 200, for the test only."""
    with Receiver() as running:
        control(dashboard, "PUT", "/webhooks", json={"partner": "demo", "url": running.url})
        try:
            yield running.url
        finally:
            control(dashboard, "DELETE", "/webhooks/demo")


@pytest.fixture
def page(browser: Browser, dashboard: SandboxServer) -> Iterator[Page]:
    """A fresh browser context on the dashboard server: 1360×900, confirm dialogs accepted."""
    context = browser.new_context(base_url=dashboard.url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(10_000)
    outside: list[str] = []
    problems: list[str] = []
    broken: list[Response] = []

    def only_the_sandbox(route: Route) -> None:
        if route.request.url.startswith(dashboard.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    context.route("**/*", only_the_sandbox)
    opened = context.new_page()
    opened.on("dialog", lambda dialog: dialog.accept())
    opened.on("console", console)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("response", lambda answer: broken.append(answer) if _broken(answer) else None)
    yield opened
    context.close()
    assert outside == [], "the dashboard loaded something from outside the sandbox"
    assert [f"{answer.status} {answer.url}" for answer in broken] == []  # CSS, script, polled lists
    # Pages that answer 404 or 422 on purpose log "Failed to load resource"; anything else is a bug.
    assert [p for p in problems if "the server responded with a status of 4" not in p] == []


def _broken(answer: Response) -> bool:
    return answer.request.resource_type in SUBRESOURCES and answer.status >= 400
