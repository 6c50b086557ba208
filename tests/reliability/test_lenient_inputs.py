"""Hostile values in fields a lenient partner's request may carry and the endpoint does not know.

Under the lenient profile (the default) an unknown body field is ignored, never silently: the answer
names it in `X-Sandbox-Notice`. Whatever it holds (a non-finite number, 10,000 items, 100 levels of
nesting, control and right-to-left characters) it is never parsed into anything, never answered with a
5xx, and the rest of the body is judged as if it were absent; nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.reliability.fuzz_support import assert_error_envelope, has_body, operations
from tests.reliability.hostile_cases import NUMBERS, RTL_EMOJI, UNKNOWN_FIELD
from tests.support.constants import DEMO, PARTNER_HEADERS

VALUES = {
    **{f"number {name}": token for name, token in NUMBERS.items()},
    "10000 items": json.dumps(list(range(10_000))),
    "100 levels": '{"a":' * 100 + "1" + "}" * 100,
    "rtl-emoji": json.dumps(RTL_EMOJI),
}
BODY_OPERATIONS = [(method, path) for method, path in operations("/partner/") if has_body(method, path)]


@pytest.fixture(scope="module")
def lenient_client(module_server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=module_server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=30
    ) as http:
        yield http


def _state(server: SandboxServer) -> dict:
    state = httpx.get(f"{server.url}/_sandbox/state").json()["data"]
    state.pop("clock")
    return state


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS, ids=[f"{m} {p}" for m, p in BODY_OPERATIONS])
def test_lenient_unknown_field_with_a_hostile_value_is_ignored_and_named(
    module_server: SandboxServer, lenient_client: httpx.Client, method: str, path: str, value: str
) -> None:
    before = _state(module_server)
    target = path.replace("{external_customer_id}", "92440753").replace("{customer_external_id}", "92440753")

    response = lenient_client.request(
        method,
        target,
        content=f'{{"{UNKNOWN_FIELD}": {value}}}'.encode(),
        headers={"Content-Type": "application/json"},
    )

    assert 400 <= response.status_code < 500, response.text[:300]
    assert_error_envelope(response.json(), response.status_code)
    assert response.headers.get_list("x-sandbox-notice") == [f"unknown_fields: ignored {UNKNOWN_FIELD}"]
    assert _state(module_server) == before


HOSTILE_KEYS = {
    "newline": "a\nb",
    "crlf": "a\r\nX-Injected: 1",
    "nul": "a\x00b",
    "rtl-emoji": RTL_EMOJI,
    "long": "k" * 20_000,
}


@pytest.mark.parametrize(("name", "key"), HOSTILE_KEYS.items(), ids=HOSTILE_KEYS.keys())
def test_lenient_hostile_unknown_field_name_is_named_in_printable_ascii(
    lenient_client: httpx.Client, name: str, key: str
) -> None:
    """The notice quotes the name the client sent: escaped, and cut to 300 characters, so the answer
    (and the write before it) always reaches the client."""
    external_id = f"hostile-key-{name}"
    body = {"external_id": external_id, "firstname": "Deniz", "lastname": "Arslan", key: 1}

    response = lenient_client.post("/partner/customer", json=body)

    assert response.status_code == 200, response.text[:300]
    (notice,) = response.headers.get_list("x-sandbox-notice")
    assert notice.startswith("unknown_fields: ignored ")
    assert len(notice) <= 300 and notice.isascii() and notice.isprintable()
    assert "X-Injected" not in response.headers
    assert lenient_client.get(f"/partner/customer/{external_id}").status_code == 200
