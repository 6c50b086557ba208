"""Bad input to the dashboard, over plain HTTP: an unknown order or customer is a 404 page, a bad filter
a 422 page naming the field, a bad form post a redirect back to its page with the error shown there,
a post from another site a 403. Never a 500, and a refused action changes nothing."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.ui.support import UI, control

ERROR = re.compile(r'data-testid="error">(.*?)</div>', re.S)
MESSAGE = re.compile(r'data-testid="error-message">(.*?)</p>', re.S)


@pytest.fixture
def web(dashboard: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dashboard.url, timeout=30) as client:
        yield client


def shown_error(response: httpx.Response) -> str:
    found = ERROR.search(response.text)
    assert found, response.text[:500]
    return html.unescape(found.group(1))


def posted_error(web: httpx.Client, path: str, form: dict[str, str] | None = None) -> tuple[str, str]:
    """Post a form, follow its redirect: (where it went back to, the error the page shows)."""
    answer = web.post(f"{UI}{path}", data=form or {})
    assert answer.status_code == 303, answer.text[:300]
    location = answer.headers["location"]
    assert "error=" in location and "flash=" not in location
    page = web.get(location)
    assert page.status_code == 200
    return location.split("?")[0], shown_error(page)


# -- unknown things: 404 pages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/orders/NOPE1234", "No order has the guid or order code 'NOPE1234'."),
        ("POST", "/orders/NOPE1234/advance", "No order has the guid or order code 'NOPE1234'."),
        ("POST", "/orders/NOPE1234/payment", "No order has the guid or order code 'NOPE1234'."),
        ("GET", "/customers/demo/nobody", "Partner 'demo' has no customer 'nobody'."),
        ("GET", "/customers/zzz/92440753", "Partner 'zzz' has no customer '92440753'."),
        ("GET", "/journal/999999", "The journal holds no request '999999' (it keeps the newest 1000)."),
        ("GET", "/journal/abc", "The journal holds no request 'abc' (it keeps the newest 1000)."),
        ("GET", "/static/nope.css", "There is no dashboard asset named 'nope.css'."),
        ("GET", "/static/router.py", "There is no dashboard asset named 'router.py'."),
    ],
)
def test_unknown_things_are_404_pages(web: httpx.Client, method: str, path: str, message: str) -> None:
    answer = web.request(method, f"{UI}{path}", data={"action": "approve"} if method == "POST" else None)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert html.unescape(MESSAGE.search(answer.text).group(1)) == message


def test_an_unknown_dashboard_route_is_the_api_404_envelope(web: httpx.Client) -> None:
    answer = web.get(f"{UI}/nothing/here")
    assert answer.status_code == 404
    assert answer.json()["data"]["error"] == "route_not_found"


# -- bad filters: the page with the error, 422 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/orders?status=Bogus", "status: Must be an order status name or id (1–12)."),
        ("/orders?type=Swap", "type: Must be one of: Buy, Sell, Delivery."),
        ("/orders?partner=zzz", "partner: Partner not found."),
        ("/orders?page=abc", "page: Must be an integer."),
        ("/orders?page=0", "page: Must be an integer."),
        ("/customers?partner=zzz", "partner: Partner not found."),
        ("/customers?page=-2", "page: Must be an integer."),
        ("/webhooks?state=lost", "state: Must be one of: pending, delivered, failed."),
        ("/webhooks?partner=zzz", "partner: Partner not found."),
        ("/journal?status=abc", "status: Must be at most 599."),
    ],
)
def test_bad_filters_show_the_error_on_the_page(web: httpx.Client, path: str, error: str) -> None:
    answer = web.get(f"{UI}{path}")
    assert answer.status_code == 422
    assert shown_error(answer) == f"Parameter error: the given data was invalid. ({error})"


def test_a_polled_list_with_a_bad_filter_says_so_in_the_list(web: httpx.Client) -> None:
    answer = web.get(f"{UI}/webhooks/rows", params={"partner": "zzz"})
    assert answer.status_code == 200
    assert "(partner: Partner not found.)</p>" in answer.text


# -- bad form posts: back to the page, error shown, nothing changed ------------------------------------


@pytest.mark.parametrize(
    ("path", "form", "back", "error"),
    [
        ("/clock", {"action": "advance", "seconds": "-5"}, UI, "advance: Must be at least 0."),
        ("/clock", {"action": "advance", "seconds": "soon"}, UI, "advance: Must be a number."),
        ("/clock", {"action": "advance"}, UI, "advance: Must be a number."),
        ("/clock", {"action": "warp"}, UI, "action: Must be one of: freeze, real, advance, freeze_at."),
        ("/clock", {}, UI, "action: Must be one of: freeze, real, advance, freeze_at."),
        (
            "/clock",
            {"action": "freeze_at", "at": "tomorrow"},
            UI,
            "at: Expected a date and time, YYYY-MM-DDTHH:MM.",
        ),
        ("/seed", {"seed": "abc"}, UI, "seed: Must be an integer."),
        (
            "/seed",
            {"scenario": "nope"},
            UI,
            "Unknown scenario; valid scenarios: busy, default, empty, every-status.",
        ),
        (
            "/lifecycles/nope",
            {"mode": "manual"},
            UI,
            "flow: Must be one of: buy-cash, buy-card, sell, delivery-cash, delivery-card",
        ),
        ("/lifecycles/sell", {"mode": "fast"}, UI, "mode: Must be one of: 'immediate', 'manual' or 'timed'."),
        ("/lifecycles/sell", {"mode": "timed"}, UI, "This field is required."),
        ("/lifecycles/sell", {"mode": "timed", "step_seconds": "0"}, UI, "step_seconds: Must be at least 1."),
        (
            "/faults",
            {"preset": "meteor"},
            f"{UI}/faults",
            "preset: Must be one of: pricefix-503, buy-429, latency, order-timeout, buy-drop, ",
        ),
        (
            "/faults",
            {"effect": "error", "status": "700"},
            f"{UI}/faults",
            "effect.error.status: Must be at most 599.",
        ),
        (
            "/faults",
            {"effect": "error", "path": "/other/*"},
            f"{UI}/faults",
            "must match /partner/ paths (start with /partner/ or *)",
        ),
        (
            "/faults",
            {"effect": "latency", "partner": "zzz", "latency_ms": "5"},
            f"{UI}/faults",
            "match.partner: Partner not found.",
        ),
        (
            "/faults",
            {"effect": "error", "status": "503", "probability": "2"},
            f"{UI}/faults",
            "probability: Must be at most 1.",
        ),
        (
            "/faults",
            {"effect": "teleport"},
            f"{UI}/faults",
            "Must be one of: error, latency, drop, malformed, timeout.",
        ),
        ("/faults/999/delete", {}, f"{UI}/faults", "Fault rule not found."),
        ("/faults/abc/delete", {}, f"{UI}/faults", "fault_id: Must be an integer."),
        ("/faults/999/enabled", {"enabled": "false"}, f"{UI}/faults", "Fault rule not found."),
        (
            "/faults/99999999999999999999/enabled",
            {"enabled": "true"},
            f"{UI}/faults",
            "Fault rule not found.",
        ),
        ("/faults/abc/enabled", {"enabled": "false"}, f"{UI}/faults", "fault_id: Must be an integer."),
        ("/orders/ALS8HEVP/advance", {}, f"{UI}/orders/ALS8HEVP", "The order is Completed, a final status."),
        ("/orders/ALS8HEVP/advance", {"to": "Bogus"}, f"{UI}/orders/ALS8HEVP", "to: Must be one of:"),
        ("/orders/ALS8HEVP/payment", {"action": "approve"}, f"{UI}/orders/ALS8HEVP", "Payment not found."),
        (
            "/orders/ALS8HEVP/payment",
            {"action": "maybe"},
            f"{UI}/orders/ALS8HEVP",
            "action: Must be one of: approve, decline.",
        ),
        (
            "/webhooks/endpoint",
            {"partner": "demo", "url": "ftp://hooks"},
            f"{UI}/webhooks",
            "url: Has an invalid format.",
        ),
        (
            "/webhooks/endpoint",
            {"partner": "zzz", "url": "http://x.example"},
            f"{UI}/webhooks",
            "Partner not found.",
        ),
        ("/webhooks/endpoint", {"partner": "zzz", "clear": "1"}, f"{UI}/webhooks", "Partner not found."),
        ("/webhooks/999/redeliver", {}, f"{UI}/webhooks", "Webhook delivery not found."),
        ("/webhooks/abc/redeliver", {}, f"{UI}/webhooks", "event_id: Must be an integer."),
    ],
)
def test_bad_forms_come_back_with_the_error(
    web: httpx.Client, path: str, form: dict[str, str], back: str, error: str
) -> None:
    where, message = posted_error(web, path, form)
    assert where == back
    assert error in message


def test_a_refused_move_changes_nothing(web: httpx.Client, dashboard: SandboxServer) -> None:
    def world() -> dict[str, object]:
        return {key: value for key, value in control(dashboard, "GET", "/state").items() if key != "clock"}

    before = world()
    posted_error(web, "/orders/ALS8HEVP/advance", {"to": "Refunded"})
    posted_error(web, "/clock", {"action": "advance", "seconds": "-1"})
    posted_error(web, "/faults", {"effect": "error", "status": "700"})
    assert world() == before
    assert control(dashboard, "GET", "/clock")["mode"] == "real"
    assert control(dashboard, "GET", "/faults")["faults"] == []


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"enabled": "maybe"}, "enabled: Must be true or false."),
        ({"enabled": "False"}, "enabled: Must be true or false."),
        ({"enabled": ""}, "enabled: Must be true or false."),
        ({}, "enabled: This field is required."),
    ],
)
def test_a_bad_fault_switch_changes_nothing(
    web: httpx.Client, dashboard: SandboxServer, form: dict[str, str], error: str
) -> None:
    rule = control(dashboard, "POST", "/faults", json={"effect": {"type": "drop"}})
    try:
        where, message = posted_error(web, f"/faults/{rule['id']}/enabled", form)
        assert (where, error in message) == (f"{UI}/faults", True)
        assert control(dashboard, "GET", "/faults")["faults"] == [rule]
    finally:
        control(dashboard, "DELETE", "/faults")


# -- what is not a form from the dashboard -------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_post_from_another_site_is_refused(
    web: httpx.Client, dashboard: SandboxServer, headers: dict[str, str]
) -> None:
    answer = web.post(f"{UI}/clock", data={"action": "freeze"}, headers=headers)
    assert answer.status_code == 403
    assert answer.json()["data"] == {"error": "foreign_origin"}  # ControlGate, as for every /_sandbox call
    assert control(dashboard, "GET", "/clock")["mode"] == "real"


def test_a_post_from_the_dashboard_itself_is_accepted(web: httpx.Client, dashboard: SandboxServer) -> None:
    origin = {"Origin": dashboard.url, "Sec-Fetch-Site": "same-origin"}
    try:
        answer = web.post(f"{UI}/clock", data={"action": "freeze"}, headers=origin)
        assert answer.status_code == 303
        assert control(dashboard, "GET", "/clock")["mode"] == "frozen"
    finally:
        control(dashboard, "POST", "/clock", json={"mode": "real"})


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"action=\xff\xfe&seconds=\x00", "application/x-www-form-urlencoded"),
        (b'{"action": "freeze"}', "application/json"),
        (b"\x00\x01\x02", "application/octet-stream"),
        (b"action=advance&seconds=1e400", "application/x-www-form-urlencoded"),
        (b"action=advance&seconds=NaN", "application/x-www-form-urlencoded"),
    ],
)
def test_garbage_bodies_are_errors_not_crashes(web: httpx.Client, content: bytes, content_type: str) -> None:
    answer = web.post(f"{UI}/clock", content=content, headers={"Content-Type": content_type})
    assert answer.status_code == 303
    assert "error=" in answer.headers["location"]


def test_advancing_past_the_clock_range_is_refused_as_through_the_api(
    web: httpx.Client, dashboard: SandboxServer
) -> None:
    """The range check lives in Sandbox.move_clock, which the dashboard's button shares with the API."""
    frozen = control(dashboard, "POST", "/clock", json={"at": "2999-12-31T00:00:00Z"})
    try:
        where, message = posted_error(web, "/clock", {"action": "advance", "seconds": "86400"})
        assert where == UI
        assert "advance: Must be at most 86399." in message
        assert control(dashboard, "GET", "/clock")["now"] == frozen["now"]
    finally:
        control(dashboard, "POST", "/clock", json={"mode": "real"})
