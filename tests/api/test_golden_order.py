"""The documented Get Order (Alternative) example (api-3874525), answered byte for byte."""

from __future__ import annotations

import json

import httpx
import pytest

from sandbox.wire.base import Envelope
from sandbox.wire.orders import Order
from tests.api.helpers import error_body, golden_fixture
from tests.support.constants import GOLDEN_GUID

FIXTURE = golden_fixture()
GOLDEN = FIXTURE["response"]["data"]
EXPECTED_BYTES = json.dumps(FIXTURE["response"], ensure_ascii=False, separators=(",", ":")).encode()


def post_fixture_request(client: httpx.Client) -> httpx.Response:
    request = FIXTURE["request"]
    return client.request(
        request["method"], request["path"], json=request["body"], headers=request["headers"]
    )


def test_golden_fixture_is_the_documented_example_order() -> None:
    assert FIXTURE["request"]["body"] == {"guid": GOLDEN_GUID, "push_hook": True}
    assert (GOLDEN["guid"], GOLDEN["order_code"]) == (GOLDEN_GUID, "ALS8HEVP")
    assert GOLDEN["external_id"] == "1699255128879-05ee3052-47fe-4747-adff-2cde45d8d9ec"


def test_golden_order_alternative_fixture_request_returns_documented_bytes(client: httpx.Client) -> None:
    response = post_fixture_request(client)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == EXPECTED_BYTES


@pytest.mark.parametrize(
    "identifier",
    [GOLDEN["guid"], GOLDEN["order_code"], GOLDEN["external_id"], GOLDEN["guid"].lower(), "als8hevp"],
    ids=["guid", "order_code", "external_id", "lower_guid", "lower_order_code"],
)
def test_golden_get_order_by_identifier_returns_documented_bytes(
    client: httpx.Client, identifier: str
) -> None:
    response = client.get(f"/partner/order/{identifier}")

    assert response.status_code == 200
    assert response.content == EXPECTED_BYTES


@pytest.mark.parametrize(
    "body",
    [
        {"guid": GOLDEN["guid"]},
        {"order_code": GOLDEN["order_code"]},
        {"external_id": GOLDEN["external_id"]},
        {"guid": GOLDEN["guid"].lower()},
        {"guid": GOLDEN["guid"], "order_code": GOLDEN["order_code"], "external_id": GOLDEN["external_id"]},
    ],
    ids=["guid", "order_code", "external_id", "lower_guid", "all_three"],
)
def test_golden_order_alternative_by_identifier_returns_documented_bytes(
    client: httpx.Client, body: dict[str, str]
) -> None:
    response = client.post("/partner/order", json=body)

    assert response.status_code == 200
    assert response.content == EXPECTED_BYTES


def test_golden_get_order_upper_cased_external_id_returns_404(client: httpx.Client) -> None:
    """guid and order_code are case-insensitive; the partner's own external_id is matched exactly."""
    response = client.get(f"/partner/order/{GOLDEN['external_id'].upper()}")

    error_body(response, 404, "order_not_found")


def test_golden_order_alternative_upper_cased_external_id_returns_404(client: httpx.Client) -> None:
    response = client.post("/partner/order", json={"external_id": GOLDEN["external_id"].upper()})

    error_body(response, 404, "order_not_found")


def test_golden_order_for_other_partner_returns_404(acme_client: httpx.Client) -> None:
    response = post_fixture_request(acme_client)

    error_body(response, 404, "order_not_found")


def test_golden_order_response_validates_against_wire_envelope(client: httpx.Client) -> None:
    response = post_fixture_request(client)

    envelope = Envelope[Order].model_validate_json(response.content)

    assert (envelope.success, envelope.code, envelope.message) == (True, 0, "")
    assert envelope.data.guid == GOLDEN_GUID
    assert envelope.data.items[0].total == 188.97
    assert envelope.data.model_dump(mode="json", exclude_unset=True) == GOLDEN


def test_golden_order_wire_model_rejects_unknown_field() -> None:
    with pytest.raises(ValueError, match=r"extra_forbidden|Extra inputs"):
        Order.model_validate({**GOLDEN, "surprise": 1})
