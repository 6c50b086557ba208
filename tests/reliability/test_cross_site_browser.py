"""Issue 13, finding 3, in a real browser: another site's page (headless Chromium) tries to reset and
reseed the sandbox with a self-submitting form and with no-cors fetches, and a DNS-rebinding page
tries to read the request journal. Each is refused and nothing changes.

Chromium's own Local Network Access checks would stop some of these requests before they leave the
browser; Firefox and Safari have no such checks, so they are switched off here: the sandbox must not
count on them. `--host-resolver-rules` plays the rebinding DNS server: `rebind.test` resolves to
127.0.0.1 while the attacker's page (served by the route handler, as the attacker's server would) runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Route

from sandbox.testing.server import SandboxServer
from tests.browser import chromium
from tests.reliability.cross_site_support import witness_rule
from tests.support.servers import ServerPool

ATTACK_FLAGS = (
    "--host-resolver-rules=MAP rebind.test 127.0.0.1",
    "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,"
    "PrivateNetworkAccessRespectPreflightResults",
)
EVIL_PAGE = "http://evil.test/"


@pytest.fixture(scope="module")
def world(server_pool: ServerPool) -> Iterator[SandboxServer]:
    """The `empty` scenario (a hostile reseed would bring `default` back), control API open."""
    with server_pool.fresh(scenario="empty") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium(*ATTACK_FLAGS) as launched:
        yield launched


@pytest.fixture
def witness(world: SandboxServer) -> Iterator[int]:
    yield from witness_rule(world.url)


def assert_untouched(server: SandboxServer, rule_id: int) -> None:
    faults = httpx.get(f"{server.url}/_sandbox/faults").json()["data"]["faults"]
    assert [rule["id"] for rule in faults] == [rule_id]
    assert httpx.get(f"{server.url}/_sandbox/state").json()["data"]["scenario"] == "empty"


def in_chromium(browser: Browser, pages: dict[str, str], scenario: Callable[[BrowserContext], Any]) -> Any:
    """Run `scenario` in a fresh browser context whose requests for the URLs in `pages` are answered
    with that HTML (the attacker's server); everything else goes to the network."""

    def serve(route: Route) -> None:
        if route.request.url in pages:
            route.fulfill(status=200, content_type="text/html", body=pages[route.request.url])
        else:
            route.continue_()

    context = browser.new_context()
    try:
        context.set_default_timeout(15_000)
        context.route("**/*", serve)
        return scenario(context)
    finally:
        context.close()


@pytest.mark.parametrize("target", ["/_sandbox/reset?everything=true", "/_sandbox/seed"])
def test_a_self_submitting_form_on_another_site_changes_nothing(
    browser: Browser, world: SandboxServer, witness: int, target: str
) -> None:
    form = (
        f'<form id="f" method="post" action="{world.url}{target}"></form>'
        '<script>document.getElementById("f").submit()</script>'
    )

    def attack(context: BrowserContext) -> tuple[int, Any]:
        page = context.new_page()
        with page.expect_response(lambda response: response.url.startswith(world.url)) as answer:
            page.goto(EVIL_PAGE)
        return answer.value.status, answer.value.json()

    status, body = in_chromium(browser, {EVIL_PAGE: form}, attack)
    assert (status, body["data"]) == (403, {"error": "foreign_origin"})
    assert "http://evil.test" in body["message"]
    assert_untouched(world, witness)


def test_no_cors_fetches_from_another_site_change_nothing(
    browser: Browser, world: SandboxServer, witness: int
) -> None:
    script = f"""<script>
      window.done = Promise.allSettled([
        fetch("{world.url}/_sandbox/seed", {{method: "POST", mode: "no-cors", body: '{{"seed": 7}}'}}),
        fetch("{world.url}/_sandbox/reset?everything=true", {{method: "POST", mode: "no-cors"}}),
      ]).then(results => results.map(result => result.status));
    </script>"""

    def attack(context: BrowserContext) -> Any:
        page = context.new_page()
        page.goto(EVIL_PAGE)
        return page.evaluate("window.done")

    assert in_chromium(browser, {EVIL_PAGE: script}, attack) == ["fulfilled"] * 2
    assert_untouched(world, witness)


def test_a_dns_rebinding_page_can_neither_read_nor_reset(
    browser: Browser, world: SandboxServer, witness: int
) -> None:
    rebound = f"http://rebind.test:{world.port}/"
    script = """<script>
      const JSON_TYPE = "application/json";
      async function call(path, init) {
        const answer = await fetch(path, init);
        return [answer.status, await answer.json()];
      }
      window.done = Promise.all([
        call("/_sandbox/requests"),
        call("/_sandbox/reset?everything=true", {method: "POST", headers: {"Content-Type": JSON_TYPE}}),
      ]);
    </script>"""
    with httpx.Client(base_url=world.url) as http:  # a partner request, so the journal has something
        assert http.get("/partner/orders/statuses").status_code == 401
    assert httpx.get(f"{world.url}/_sandbox/requests").json()["data"]["requests"]

    def attack(context: BrowserContext) -> Any:
        page = context.new_page()
        page.goto(rebound)
        return page.evaluate("window.done")

    answers = in_chromium(browser, {rebound: script}, attack)
    for status, body in answers:
        assert (status, body["data"]) == (421, {"error": "host_not_allowed"})
        assert f"rebind.test:{world.port}" in body["message"]
    assert_untouched(world, witness)
