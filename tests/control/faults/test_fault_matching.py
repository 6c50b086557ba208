"""Which requests a fault touches: rule matching (method, path glob, partner, external_id), what the
Digest gate and the control API keep out, and the one-off `X-Sandbox-Fault` request header."""

from __future__ import annotations

import json
import string
import time
from collections.abc import Iterator

import httpx
import pytest

from sandbox.control.traffic import EXAMPLE_PARAMS
from sandbox.core.i18n import MESSAGES
from sandbox.testing.server import SandboxServer
from tests.control.traffic_support import (
    BUY,
    ORDERS,
    add_rule,
    applied,
    error_of,
    partner,
    rules,
)
from tests.support.constants import ACME, PARTNER_HEADERS

FAULT = "X-Sandbox-Fault"
UNAVAILABLE = {"type": "error", "status": 503}


@pytest.fixture
def acme(server: SandboxServer) -> Iterator[httpx.Client]:
    with partner(server, ACME) as http:
        yield http


# -- rule matching -----------------------------------------------------------------------------------


def test_rule_for_one_method_leaves_other_methods_alone(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, match={"method": "POST", "path": "*"}, effect=UNAVAILABLE)

    assert (demo.get(ORDERS).status_code, demo.post(BUY, json={}).status_code) == (200, 503)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/partner/order/*", BUY, True),
        ("/partner/order/*", ORDERS, False),
        ("/partner/order/digital/buy", BUY, True),
        ("/partner/order/digital/buy", "/partner/order/digital/buy/x", False),
        ("*/buy", BUY, True),
        ("/partner/*/sell", BUY, False),
    ],
)
def test_rule_path_glob_matches_whole_path(
    server: SandboxServer, demo: httpx.Client, pattern: str, path: str, matches: bool
) -> None:
    add_rule(server, match={"path": pattern}, effect=UNAVAILABLE)

    response = demo.post(path, json={})

    assert (applied(response) is not None) is matches


def test_rule_for_one_partner_leaves_the_other_alone(
    server: SandboxServer, demo: httpx.Client, acme: httpx.Client
) -> None:
    add_rule(server, match={"partner": "acme"}, effect=UNAVAILABLE)

    assert (demo.get(ORDERS).status_code, acme.get(ORDERS).status_code) == (200, 503)


def test_rule_for_external_id_fires_only_for_that_body(server: SandboxServer, demo: httpx.Client) -> None:
    add_rule(server, match={"path": BUY, "external_id": "ORDER-7"}, effect=UNAVAILABLE, times=1)

    other = demo.post(BUY, json={"external_id": "ORDER-8", "items": []})
    no_body = demo.post(BUY)
    matching = demo.post(BUY, json={"external_id": "ORDER-7", "items": []})

    assert (applied(other), applied(no_body)) == (None, None)
    assert error_of(matching) == (503, "service_unavailable")


def test_rule_for_external_id_still_hands_the_body_to_the_handler(
    server: SandboxServer, demo: httpx.Client
) -> None:
    add_rule(server, match={"path": BUY, "external_id": "ORDER-7"}, effect=UNAVAILABLE)

    # The body was read to match it, and the handler still validates the very same body: it names the
    # unknown field it ignored (lenient profile) and the missing one it refuses.
    response = demo.post(BUY, json={"external_id": "ORDER-8", "unexpected": 1})

    assert response.status_code == 422
    assert list(response.json()["data"]["errors"]) == ["items"]
    assert response.headers.get_list("x-sandbox-notice") == ["unknown_fields: ignored unexpected"]


def test_first_terminal_rule_wins_and_later_ones_stay_unfired(
    server: SandboxServer, demo: httpx.Client
) -> None:
    add_rule(server, effect={"type": "error", "status": 429})
    add_rule(server, effect=UNAVAILABLE)

    response = demo.get(ORDERS)

    assert error_of(response) == (429, "rate_limited")
    assert [rule["fired"] for rule in rules(server)] == [1, 0]


def test_request_refused_by_digest_is_not_faulted(server: SandboxServer) -> None:
    add_rule(server, effect=UNAVAILABLE)

    response = httpx.get(server.url + ORDERS, headers=PARTNER_HEADERS)

    assert error_of(response) == (401, "authentication_required")
    assert rules(server)[0]["fired"] == 0


def test_control_routes_are_never_faulted(server: SandboxServer) -> None:
    add_rule(server, effect=UNAVAILABLE)

    response = httpx.get(f"{server.url}/_sandbox/faults", headers={FAULT: "drop"})

    assert (response.status_code, applied(response)) == (200, None)


# -- the X-Sandbox-Fault header ----------------------------------------------------------------------


def test_header_error_status_answers_default_key(demo: httpx.Client) -> None:
    response = demo.get(ORDERS, headers={FAULT: "error=503"})

    assert error_of(response) == (503, "service_unavailable")
    assert applied(response) == "error=503:service_unavailable"


def test_header_error_with_key_answers_that_key_localized(demo: httpx.Client) -> None:
    response = demo.get(ORDERS, headers={FAULT: "error=422:insufficient_balance", "Accept-Language": "en"})

    assert error_of(response) == (422, "insufficient_balance")
    assert response.json()["message"] == "Insufficient balance (TRY)."


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("en", "An order cannot move from Processing to Created; allowed next: Completed, Cancelled."),
        ("tr", "Processing durumundan Created durumuna geçilemez; izin verilenler: Completed, Cancelled."),
    ],
)
def test_header_error_with_a_key_that_names_values_says_example_values_not_placeholders(
    demo: httpx.Client, locale: str, message: str
) -> None:
    headers = {FAULT: "error=409:transition_not_allowed", "Accept-Language": locale}
    response = demo.get(ORDERS, headers=headers)

    assert (error_of(response), response.json()["message"]) == ((409, "transition_not_allowed"), message)


def test_every_catalogue_key_with_placeholders_has_an_example_for_each_of_them() -> None:
    """An injected error borrows any key; none may show a placeholder's name or braces."""
    formatter = string.Formatter()
    named = {
        key: {name for text in texts for _, name, _, _ in formatter.parse(text) if name}
        for key, (_, *texts) in MESSAGES.items()
    }

    assert {key: set(EXAMPLE_PARAMS.get(key, ())) for key in named if named[key]} == {
        key: names for key, names in named.items() if names
    }


def test_header_latency_delays_then_answers_normally(demo: httpx.Client) -> None:
    started = time.monotonic()
    response = demo.get(ORDERS, headers={FAULT: "latency=250"})

    assert (response.status_code, time.monotonic() - started >= 0.25) == (200, True)
    assert applied(response) == "latency=250"


def test_header_timeout_answers_504_after_the_delay(demo: httpx.Client) -> None:
    started = time.monotonic()
    response = demo.get(ORDERS, headers={FAULT: "timeout=300"})

    assert (error_of(response), time.monotonic() - started >= 0.3) == ((504, "gateway_timeout"), True)


def test_header_drop_breaks_the_connection(demo: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        demo.get(ORDERS, headers={FAULT: "drop"})


def test_header_malformed_answers_json_that_does_not_parse(demo: httpx.Client) -> None:
    response = demo.get(ORDERS, headers={FAULT: "malformed"})

    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_header_applies_once_and_leaves_the_next_request_alone(demo: httpx.Client) -> None:
    assert demo.get(ORDERS, headers={FAULT: "error=503"}).status_code == 503
    assert demo.get(ORDERS).status_code == 200


def test_header_takes_precedence_over_rules_and_consumes_none(
    server: SandboxServer, demo: httpx.Client
) -> None:
    add_rule(server, effect=UNAVAILABLE, times=1)

    response = demo.get(ORDERS, headers={FAULT: "error=429"})

    assert error_of(response) == (429, "rate_limited")
    assert rules(server)[0]["fired"] == 0


@pytest.mark.parametrize(
    "value",
    [
        "explode",
        "error",
        "error=99",
        "error=600",
        "error=abc",
        "error=503:no_such_key",
        "latency=0",
        "latency=60001",
        "latency=fast",
        "timeout=120001",
        "drop=1",
        "malformed=yes",
        "",
    ],
)
def test_header_with_bad_value_returns_422_naming_the_header(demo: httpx.Client, value: str) -> None:
    response = demo.get(ORDERS, headers={FAULT: value, "Accept-Language": "en"})

    assert error_of(response) == (422, "invalid_header")
    assert list(response.json()["data"]["errors"]) == [FAULT]
    assert FAULT in response.json()["message"]
