"""GET/POST /_sandbox/clock: real, frozen, advanced; what depends on time follows, Digest nonces do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sandbox.core.clock import ISTANBUL
from sandbox.testing.server import SandboxServer
from tests.support.constants import DEMO, PARTNER_HEADERS

FROZEN_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
GOLDEN_CUSTOMER = "92440753"
TTL = 240  # the default SANDBOX_PRICE_FIX_TTL

# The session server, its world reset and its clock back on real time for every test.
pytestmark = pytest.mark.usefixtures("fresh_server")


def clock(server: SandboxServer, **body: Any) -> httpx.Response:
    if body:
        return httpx.post(f"{server.url}/_sandbox/clock", json=body)
    return httpx.get(f"{server.url}/_sandbox/clock")


def view(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def partner(server: SandboxServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS)


def fix_price(http: httpx.Client) -> dict[str, Any]:
    assert http.patch(f"/partner/balance/customer/{GOLDEN_CUSTOMER}", json={"amount": 50_000}).is_success
    response = http.post(
        "/partner/pricefix", json={"type": "digital", "customer_external_id": GOLDEN_CUSTOMER}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def buy_with(http: httpx.Client, token: str, external_id: str) -> httpx.Response:
    return http.post(
        "/partner/order/digital/buy",
        json={"price_token": token, "external_id": external_id, "customer": {"external_id": GOLDEN_CUSTOMER},
              "items": [{"sku": "GAU", "amount": 0.5}]},
    )  # fmt: skip


# -- reading and moving it --------------------------------------------------------------------------


def test_clock_by_default_is_real_time_in_istanbul(server: SandboxServer) -> None:
    data = view(clock(server))

    now = datetime.fromisoformat(data["now"])
    assert (data["mode"], data["offset_seconds"]) == ("real", 0.0)
    assert now.utcoffset() == timedelta(hours=3)
    assert abs((now - datetime.now(UTC)).total_seconds()) < 5


def test_clock_at_freezes_at_that_instant(server: SandboxServer) -> None:
    data = view(clock(server, at="2026-11-02T09:30:00Z"))

    assert (data["mode"], data["now"]) == ("frozen", "2026-11-02T12:30:00+03:00")
    assert view(clock(server))["now"] == "2026-11-02T12:30:00+03:00"
    assert server.sandbox.clock.now() == FROZEN_AT


def test_clock_advance_on_a_frozen_clock_moves_it_by_that_many_seconds(server: SandboxServer) -> None:
    clock(server, at=FROZEN_AT.isoformat())

    data = view(clock(server, advance=90.5))

    assert (data["mode"], data["now"]) == ("frozen", "2026-11-02T12:31:30.500000+03:00")


def test_clock_at_and_advance_together_freeze_then_move(server: SandboxServer) -> None:
    data = view(clock(server, at=FROZEN_AT.isoformat(), advance=3600))

    assert data["now"] == "2026-11-02T13:30:00+03:00"


def test_clock_advance_on_real_time_keeps_running_with_an_offset(server: SandboxServer) -> None:
    data = view(clock(server, advance=86_400))

    assert (data["mode"], data["offset_seconds"]) == ("real", 86_400.0)
    ahead = datetime.fromisoformat(data["now"]) - datetime.now(UTC)
    assert abs(ahead.total_seconds() - 86_400) < 5


def test_clock_mode_frozen_stops_it_at_the_current_instant(server: SandboxServer) -> None:
    first = view(clock(server, mode="frozen"))

    assert first["mode"] == "frozen"
    assert view(clock(server))["now"] == first["now"]


def test_clock_mode_real_unfreezes_and_drops_the_offset(server: SandboxServer) -> None:
    clock(server, at=FROZEN_AT.isoformat(), advance=60)

    data = view(clock(server, mode="real"))

    assert (data["mode"], data["offset_seconds"]) == ("real", 0.0)


@pytest.mark.parametrize(
    "body",
    [
        {"advance": -1},
        {"at": "2026-11-02T09:30:00"},  # no zone
        {"at": "2026-11-02T09:30:00Z", "mode": "real"},
        {"mode": "paused"},
        {"speed": 2},
    ],
)
def test_clock_refuses_an_invalid_move_with_422_and_stays_put(server: SandboxServer, body: dict) -> None:
    response = clock(server, **body)

    assert (response.status_code, response.json()["data"]["error"]) == (422, "validation_failed")
    assert view(clock(server))["mode"] == "real"


def test_clock_moves_never_touch_the_digest_nonce_clock(server: SandboxServer) -> None:
    clock(server, at="2020-01-01T00:00:00Z", advance=10 * 86_400)

    assert abs((server.sandbox.nonce_clock.now() - datetime.now(UTC)).total_seconds()) < 5
    with partner(server) as http:
        assert http.get("/partner/orders/statuses").status_code == 200


# -- what follows it --------------------------------------------------------------------------------


def test_price_fix_expires_when_the_clock_passes_its_ttl(server: SandboxServer) -> None:
    clock(server, at=FROZEN_AT.isoformat())
    with partner(server) as http:
        fix = fix_price(http)
        assert datetime.fromisoformat(fix["expires_at"]) == FROZEN_AT + timedelta(seconds=TTL)

        clock(server, advance=TTL + 1)
        response = buy_with(http, fix["token"], "clock-expired")

    assert (response.status_code, response.json()["data"]["error"]) == (403, "price_token_expired")


def test_price_fix_is_still_good_just_before_its_ttl(server: SandboxServer) -> None:
    clock(server, at=FROZEN_AT.isoformat())
    with partner(server) as http:
        fix = fix_price(http)
        clock(server, advance=TTL - 1)
        response = buy_with(http, fix["token"], "clock-in-time")

    assert response.status_code == 200, response.text
    assert response.json()["data"]["order_at"] == (FROZEN_AT + timedelta(seconds=TTL - 1)).astimezone(
        ISTANBUL
    ).strftime("%Y-%m-%d %H:%M:%S")


def test_price_feed_follows_the_clock(server: SandboxServer) -> None:
    clock(server, at=FROZEN_AT.isoformat())
    with partner(server) as http:
        before = http.get("/partner/prices").json()["data"]
        assert http.get("/partner/prices").json()["data"] == before
        clock(server, advance=6 * 3600)
        assert http.get("/partner/prices").json()["data"] != before


def test_clock_move_lets_timed_orders_catch_up(server: SandboxServer) -> None:
    clock(server, at=FROZEN_AT.isoformat())
    mode = {"mode": "timed", "step_seconds": 60}
    httpx.put(f"{server.url}/_sandbox/lifecycles/buy-cash/mode", json=mode).raise_for_status()
    with partner(server) as http:
        fix = fix_price(http)
        order = buy_with(http, fix["token"], "clock-timed").json()["data"]
        assert order["orders"][0]["status_name"] == "Created"

        clock(server, advance=60)
        moved = http.post("/partner/order", json={"guid": order["guid"][0]}).json()["data"]

    assert moved["status_name"] == "Processing"
