"""Edges of number parsing, query strings and JSON nesting: each input a clear 4xx, never a value the
client did not mean.

Found reviewing issue 13's edges: amounts written in another script's digits ("١٢", Arabic-Indic
twelve) were read as 12, `?page=1&page=2` quietly meant page 2, and a body nested 1,000 levels deep
got a bare 400 `http_error` (the JSON parser's recursion limit) instead of saying what was wrong.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.support.clients import partner_client

NOT_ASCII = {"arabic-indic": "١٢", "devanagari": "१२", "fullwidth": "１２", "math-bold": "𝟏𝟐"}
NUMBER_MESSAGE = ["Sayı olmalıdır."]


@pytest.fixture
def demo(fresh_server: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(fresh_server) as http:
        yield http


def _token(demo: httpx.Client) -> str:
    return demo.post("/partner/pricefix", json={"type": "digital"}).json()["data"]["token"]


def _refused_field(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.text
    return response.json()["data"]["errors"]


@pytest.mark.parametrize("digits", NOT_ASCII.values(), ids=NOT_ASCII.keys())
def test_amount_in_another_scripts_digits_is_refused(demo: httpx.Client, digits: str) -> None:
    body = {
        "price_token": _token(demo),
        "external_id": f"digits-{digits}",
        "items": [{"sku": "GAG", "amount": digits}],
    }

    assert _refused_field(demo.post("/partner/order/digital/buy", json=body)) == {
        "items.0.amount": NUMBER_MESSAGE
    }
    assert demo.get(f"/partner/order/digits-{digits}").status_code == 404


@pytest.mark.parametrize("digits", NOT_ASCII.values(), ids=NOT_ASCII.keys())
def test_money_in_another_scripts_digits_is_refused(demo: httpx.Client, digits: str) -> None:
    top_up = demo.patch(
        "/partner/balance/customer/none-such", json={"amount": digits, "currency_code": "TRY"}
    )
    fix = demo.post("/partner/pricefix", json={"type": "digital", "total": digits})
    delivery = demo.post("/partner/delivery/calculate", json={"sku": "GAU", "amount": digits})

    assert _refused_field(top_up) == {"amount": NUMBER_MESSAGE}
    assert _refused_field(fix) == {"total": NUMBER_MESSAGE}
    assert _refused_field(delivery) == {"amount": NUMBER_MESSAGE}


def test_amount_as_ascii_text_with_spaces_is_the_number(demo: httpx.Client) -> None:
    """Documented (docs/manual/trading.md): numbers may come as numeric strings; surrounding spaces are
    not a value."""
    customer = {"external_id": "ascii-text", "firstname": "Deniz", "lastname": "Arslan"}
    assert demo.post("/partner/customer", json=customer).status_code == 200
    item = {"sku": "GAG", "amount": " 1.5 "}
    body = {"price_token": _token(demo), "external_id": "ascii-text", "customer": customer, "items": [item]}

    response = demo.post("/partner/order/digital/buy", json=body)

    assert response.status_code == 200, response.text
    assert response.json()["data"]["orders"][0]["items"][0]["amount"] == 1.5


@pytest.mark.parametrize("query", ["page=1&page=2", "total=5&total=30", "sortType=asc&sortType=desc"])
def test_query_parameter_sent_twice_is_refused(demo: httpx.Client, query: str) -> None:
    name = query.split("=", 1)[0]

    response = demo.get(f"/partner/orders?{query}")

    assert _refused_field(response) == {name: ["Bu parametre yalnızca bir kez gönderilebilir."]}


def _nested(depth: int) -> str:
    return '{"items": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [129, 1000, 100_000])
def test_body_nested_too_deep_is_refused_with_the_limit(
    fresh_server: SandboxServer, demo: httpx.Client, depth: int
) -> None:
    content = {"content": _nested(depth), "headers": {"content-type": "application/json"}}

    partner = demo.post("/partner/order/digital/buy", **content)
    control = httpx.post(f"{fresh_server.url}/_sandbox/customers", **content)

    for response in (partner, control):
        assert response.status_code == 422, response.text
        assert response.json()["data"] == {"error": "body_too_deep"}
        assert (
            response.json()["message"]
            == "İstek gövdesi en fazla 128 düzey iç içe dizi ya da nesne içerebilir."
        )


def test_body_at_the_depth_limit_reaches_validation(demo: httpx.Client) -> None:
    # 128 levels: the outer object plus 127 arrays. Brackets inside strings never count.
    body = '{"external_id": "' + "[" * 500 + '", "items": ' + "[" * 127 + "]" * 127 + "}"

    response = demo.post(
        "/partner/order/digital/buy", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422, response.text
    assert response.json()["data"]["error"] == "validation_failed"
