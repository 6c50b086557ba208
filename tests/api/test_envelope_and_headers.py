"""The partner headers, the error envelope on every failure path, hostile input, and Product Prices."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest

from sandbox.catalog import PRODUCTS
from sandbox.testing.server import SandboxServer
from tests.api.helpers import ENVELOPE_KEYS, error_body, field_errors, notices, ok_data
from tests.support import postgres
from tests.support.constants import GOLDEN_GUID

JSON = {"content-type": "application/json"}
LIMIT = 1_048_576
HOSTILE = {
    "emoji": "😀🪙💰",
    "rtl": "مرحبا بالعالم",
    "rtl_override": "\u202eDIUG\u202c",
    "null_byte": "abc\x00def",
    "sql_injection": "' OR '1'='1'; DROP TABLE orders; --",
    "path_traversal": "../../../etc/passwd",
    "superscript_digit": "²",
    "arabic_digit": "٣",
}


# -- x-client-id ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "message"), [
    (None, "x-client-id başlığı zorunludur."),
    ("en", "The x-client-id header is required."),
    ("en-US,en;q=0.9", "The x-client-id header is required."),
])  # fmt: skip
def test_missing_client_id_returns_422_naming_header(
    bare_client: httpx.Client, language: str | None, message: str
) -> None:
    headers = {"Accept-Language": language} if language else {}

    body = error_body(bare_client.get("/partner/orders/statuses", headers=headers), 422, "missing_header")

    assert body["message"] == message
    assert body["data"]["errors"] == {"x-client-id": [message]}


def test_empty_client_id_is_the_documented_default_returns_200(bare_client: httpx.Client) -> None:
    response = bare_client.get("/partner/orders/statuses", headers={"x-client-id": ""})

    assert len(ok_data(response)) == 12
    assert notices(response) == []


def test_docs_curl_headers_empty_beside_real_ones_return_200(bare_client: httpx.Client) -> None:
    """Every docs curl sample sends `--header 'api-version;' --header 'x-client-id;'` before the real ones."""
    headers = [("api-version", ""), ("x-client-id", ""), ("api-version", "2"), ("Accept-Language", "tr")]

    assert len(ok_data(bare_client.get("/partner/orders/statuses", headers=headers))) == 12


def test_header_sent_twice_with_different_values_returns_422_conflicting_header(client: httpx.Client) -> None:
    headers = [("api-version", "2"), ("api-version", "3"), ("Accept-Language", "en")]

    body = error_body(client.get("/partner/orders/statuses", headers=headers), 422, "conflicting_header")

    assert body["message"] == "The api-version header was sent with different values."


def test_any_client_id_value_returns_200(bare_client: httpx.Client) -> None:
    assert len(ok_data(bare_client.get("/partner/orders/statuses", headers={"x-client-id": "mobile"}))) == 12


# -- api-version ------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2", "3", None], ids=["v2", "v3", "absent"])
def test_api_version_2_3_or_absent_returns_200(client: httpx.Client, version: str | None) -> None:
    headers = {"api-version": version} if version else {}

    assert len(ok_data(client.get("/partner/orders/statuses", headers=headers))) == 12


@pytest.mark.parametrize("version", ["4", "abc", "1", "2.0"])
def test_api_version_other_value_strict_returns_422_invalid_header(
    client: httpx.Client, strict: None, version: str
) -> None:
    body = error_body(
        client.get("/partner/orders/statuses", headers={"api-version": version}), 422, "invalid_header"
    )

    assert body["message"] == "api-version başlığı geçersiz; izin verilen değerler: 2, 3."
    assert list(body["data"]["errors"]) == ["api-version"]


def test_api_version_invalid_strict_in_english_returns_english_message(
    client: httpx.Client, strict: None
) -> None:
    response = client.get("/partner/orders/statuses", headers={"api-version": "4", "Accept-Language": "en"})

    body = error_body(response, 422, "invalid_header")
    assert body["message"] == "The api-version header is invalid; allowed values: 2, 3."


def test_api_version_other_number_lenient_returns_200_with_notice(client: httpx.Client) -> None:
    response = client.get("/partner/orders/statuses", headers={"api-version": "4"})

    assert len(ok_data(response)) == 12
    assert notices(response) == ["api_version: api-version 4 accepted"]


# -- Accept-Language --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "de-DE,de;q=0.9", "*", ""])
def test_unsupported_language_falls_back_to_turkish(client: httpx.Client, language: str) -> None:
    response = client.get("/partner/order/UNKNOWN1", headers={"Accept-Language": language})

    assert error_body(response, 404, "order_not_found")["message"] == "Sipariş bulunamadı."


def test_english_language_returns_english_message(client: httpx.Client) -> None:
    response = client.get("/partner/order/UNKNOWN1", headers={"Accept-Language": "en"})

    assert error_body(response, 404, "order_not_found")["message"] == "Order not found."


# -- routing and body failures ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/partner/nope", "/partner/orders/1/2", "/nope", "/partner"])
def test_unknown_route_returns_404_envelope(client: httpx.Client, path: str) -> None:
    body = error_body(client.get(path), 404, "route_not_found")

    assert body["data"] == {"error": "route_not_found"}


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", "/partner/orders"), ("GET", "/partner/order"), ("PUT", "/partner/order"),
    ("POST", "/partner/prices"), ("PATCH", "/partner/orders/statuses"),
])  # fmt: skip
def test_wrong_method_returns_405_envelope(client: httpx.Client, method: str, path: str) -> None:
    body = error_body(client.request(method, path, headers=JSON), 405, "method_not_allowed")

    assert body["message"] == f"Bu adres {method} yöntemini desteklemiyor."


def test_wrong_method_405_lists_allowed_methods(client: httpx.Client) -> None:
    """RFC 9110 §15.5.6: a 405 response MUST carry an Allow header."""
    response = client.delete("/partner/orders")

    assert response.status_code == 405
    assert response.headers.get("allow") == "GET"


@pytest.mark.parametrize("body", [b'{"guid": ', b"{'guid': 'x'}", b'{"guid": "x",}', b"nul"])
def test_malformed_json_returns_422_malformed_json(client: httpx.Client, body: bytes) -> None:
    response = client.post("/partner/order", content=body, headers=JSON)

    assert error_body(response, 422, "malformed_json")["message"] == "İstek gövdesi geçerli bir JSON değil."


def test_json_body_not_utf8_returns_422_malformed_json(client: httpx.Client) -> None:
    response = client.post("/partner/order", content=b'{"guid": "\xff\xfe"}', headers=JSON)

    error_body(response, 422, "malformed_json")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_body_not_json_returns_415(client: httpx.Client, content_type: str) -> None:
    response = client.post("/partner/order", content=b'{"guid": "x"}', headers={"content-type": content_type})

    error_body(response, 415, "unsupported_media_type")


def test_body_json_charset_content_type_is_accepted(client: httpx.Client) -> None:
    response = client.post(
        "/partner/order",
        content=json.dumps({"guid": GOLDEN_GUID}),
        headers={"content-type": "application/json; charset=utf-8"},
    )

    assert ok_data(response)["guid"] == GOLDEN_GUID


def test_body_over_1_mib_returns_413(client: httpx.Client) -> None:
    body = b'{"guid":"' + b"a" * (2 * LIMIT) + b'"}'

    response = client.post("/partner/order", content=body, headers=JSON)

    assert (
        error_body(response, 413, "payload_too_large")["message"]
        == f"İstek gövdesi {LIMIT} bayttan büyük olamaz."
    )


def test_chunked_body_over_1_mib_returns_413(client: httpx.Client) -> None:
    ok_data(client.get("/partner/orders/statuses"))  # Digest challenge first: a stream cannot be replayed

    response = client.post("/partner/order", content=(b"a" * 65_536 for _ in range(32)), headers=JSON)

    error_body(response, 413, "payload_too_large")


def test_body_of_exactly_1_mib_is_read_and_validated(client: httpx.Client) -> None:
    body = b'{"guid":"' + b"a" * (LIMIT - 11) + b'"}'
    assert len(body) == LIMIT

    response = client.post("/partner/order", content=body, headers=JSON)

    assert field_errors(response) == {"guid": ["En fazla 64 karakter olabilir."]}


def test_duplicate_json_keys_last_value_wins(client: httpx.Client) -> None:
    body = f'{{"guid": "00000000-0000-4000-8000-000000000000", "guid": "{GOLDEN_GUID}"}}'.encode()

    assert ok_data(client.post("/partner/order", content=body, headers=JSON))["guid"] == GOLDEN_GUID


def test_100_level_nested_arrays_returns_422(client: httpx.Client) -> None:
    body = '{"guid":' + "[" * 100 + "]" * 100 + "}"

    assert field_errors(client.post("/partner/order", content=body.encode(), headers=JSON)) == {
        "guid": ["Metin olmalıdır."]
    }


def test_100_level_nested_objects_strict_returns_422(client: httpx.Client, strict: None) -> None:
    body = '{"x":' * 100 + "1" + "}" * 100

    assert field_errors(client.post("/partner/order", content=body.encode(), headers=JSON)) == {
        "x": ["Bu alan tanınmıyor."]
    }


def test_100_level_nested_objects_lenient_are_ignored_with_notice(client: httpx.Client) -> None:
    body = '{"x":' * 100 + "1" + "}" * 100

    response = client.post("/partner/order", content=body.encode(), headers=JSON)

    error_body(response, 422, "order_identifier_required")
    assert notices(response) == ["unknown_fields: ignored x"]


@pytest.mark.parametrize("body", [b"[]", b"null", b'"guid"', b"42"])
def test_json_body_not_object_returns_422(client: httpx.Client, body: bytes) -> None:
    error_body(client.post("/partner/order", content=body, headers=JSON), 422, "validation_failed")


# -- hostile strings --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_path_id_returns_404_envelope(client: httpx.Client, text: str) -> None:
    response = client.get(f"/partner/order/{quote(text, safe='')}")

    if postgres.refuses(text):
        error_body(response, 422, "text_with_nul")
        return
    assert response.status_code == 404
    assert set(response.json()) == ENVELOPE_KEYS
    assert response.json()["data"]["error"] in ("order_not_found", "route_not_found")


@pytest.mark.parametrize("field", ["guid", "order_code", "external_id"])
@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_body_identifier_returns_404(client: httpx.Client, field: str, text: str) -> None:
    refused = postgres.refuses(text)
    answer = client.post("/partner/order", json={field: text})

    error_body(answer, *((422, "text_with_nul") if refused else (404, "order_not_found")))


@pytest.mark.parametrize("field", ["status", "sku", "type", "startDate", "endDate", "sortBy", "sortType"])
@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_list_filter_returns_422_naming_it(client: httpx.Client, field: str, text: str) -> None:
    response = client.get("/partner/orders", params={field: text})

    assert response.status_code == 422, response.text
    assert set(response.json()) == ENVELOPE_KEYS
    assert list(response.json()["data"]["errors"]) == [field]


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_customer_filter_returns_empty_page(client: httpx.Client, text: str) -> None:
    answer = client.get("/partner/orders", params={"customer_external_id": text})

    if postgres.refuses(text):
        error_body(answer, 422, "text_with_nul")
        return
    page = ok_data(answer)
    assert (page["total"], page["data"]) == (0, [])


# -- the envelope on every failure ------------------------------------------------------------------

FAILURES = [
    ("GET", "/partner/orders", {"x-client-id": "web", "authorization": "Basic ZGVtbzpkZW1v"}, None, 401),
    ("GET", "/partner/nope", {}, None, 404),
    ("DELETE", "/partner/orders", {}, None, 405),
    ("GET", "/partner/order/NOPE", {}, None, 404),
    ("POST", "/partner/order", JSON, b"{", 422),
    ("POST", "/partner/order", JSON, b"{}", 422),
    ("POST", "/partner/order", {"content-type": "text/plain"}, b"hi", 415),
    ("POST", "/partner/order", JSON, b"[" * (LIMIT + 1), 413),
    ("GET", "/partner/orders?total=99", {}, None, 422),
    ("GET", "/partner/orders/statuses", {"api-version": "9"}, None, 422),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "status"), FAILURES, ids=lambda v: str(v)[:20])
def test_error_body_has_exactly_envelope_keys(
    server: SandboxServer,
    strict: None,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    status: int,
) -> None:
    """Under the strict profile, so that the rules the docs do not state (api-version) fail too."""
    auth = None if "authorization" in headers else httpx.DigestAuth("demo", "demo-secret")
    with httpx.Client(base_url=server.url, auth=auth, headers={"x-client-id": "web"}) as http:
        response = http.request(method, path, headers=headers, content=body)

    payload = response.json()
    assert response.status_code == status
    assert sorted(payload) == ["code", "data", "message", "success"]
    assert (payload["success"], payload["code"]) == (False, status)
    assert "detail" not in json.dumps(payload)


# -- Product Prices ---------------------------------------------------------------------------------

ROW_KEYS = ["currency_id", "product_id", "spot_price", "buy_price", "sell_price", "buy_amount", "sku"]


def test_prices_returns_6_rows_in_documented_key_order(client: httpx.Client) -> None:
    data = ok_data(client.get("/partner/prices"))

    assert list(data) == ["prices", "currency"]
    assert data["currency"] == "TRY"
    assert [list(row) for row in data["prices"]] == [ROW_KEYS] * 6
    assert [(r["sku"], r["product_id"], r["currency_id"]) for r in data["prices"]] == [
        (p.sku, p.product_id, p.currency_id) for p in PRODUCTS
    ]
    assert {row["buy_amount"] for row in data["prices"]} == {None}


@pytest.mark.parametrize("currency", ["TRY", "USD", "EUR", "GBP"])
def test_prices_buy_above_spot_above_sell(client: httpx.Client, currency: str) -> None:
    data = ok_data(client.get("/partner/prices", params={"currency": currency}))

    assert data["currency"] == currency
    assert [
        r["sku"] for r in data["prices"] if not r["buy_price"] > r["spot_price"] > r["sell_price"] > 0
    ] == []


def test_prices_in_usd_are_below_prices_in_try(client: httpx.Client) -> None:
    usd = ok_data(client.get("/partner/prices", params={"currency": "USD"}))["prices"]
    lira = ok_data(client.get("/partner/prices"))["prices"]

    assert all(u["spot_price"] * 20 < t["spot_price"] for u, t in zip(usd, lira, strict=True))


@pytest.mark.parametrize("currency", ["XYZ", "usd", ""])
def test_prices_unknown_currency_returns_422(client: httpx.Client, currency: str) -> None:
    assert list(field_errors(client.get("/partner/prices", params={"currency": currency}))) == ["currency"]
