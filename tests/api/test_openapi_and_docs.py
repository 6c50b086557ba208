"""/openapi.json tells partners how to call every route; /docs works offline (local assets only)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer

# docs/design/contract.md §2: rows 29 and 30 are documented; Get Orders, Order Statusses and Product Prices
# are ours.
FIDELITY = {
    ("get", "/partner/order/{external_order_id}"): "documented",
    ("post", "/partner/order"): "documented",
    ("get", "/partner/orders"): "sandbox-decision",
    ("get", "/partner/orders/statuses"): "sandbox-decision",
    ("get", "/partner/prices"): "sandbox-decision",
    ("post", "/partner/pricefix"): "documented",
    ("post", "/partner/pricefix/calculate"): "sandbox-decision",
    ("post", "/partner/order/digital/buy"): "documented",
    ("post", "/partner/order/digital/sell"): "documented",
    ("post", "/partner/customer"): "partly documented",
    ("get", "/partner/customer/{external_customer_id}"): "partly documented",
    ("patch", "/partner/customer/{external_customer_id}"): "partly documented",
    ("delete", "/partner/customer/{external_customer_id}"): "partly documented",
    ("get", "/partner/customer/{external_customer_id}/kyc"): "sandbox-decision",
    ("post", "/partner/customer/kyc"): "sandbox-decision",
    ("post", "/partner/customer/kyc/bulk"): "sandbox-decision",
    ("get", "/partner/balance"): "sandbox-decision",
    ("get", "/partner/balance/customer/{customer_external_id}"): "partly documented",
    ("patch", "/partner/balance/customer/{customer_external_id}"): "sandbox-decision",
    ("post", "/partner/balance/stats"): "sandbox-decision",
    ("get", "/partner/balance/customer/{customer_external_id}/stats"): "sandbox-decision",
    ("get", "/partner/payment/types"): "sandbox-decision",
    ("post", "/partner/payment/bin"): "sandbox-decision",
    ("post", "/partner/card/storage/save"): "sandbox-decision",
    ("post", "/partner/card/storage/list"): "sandbox-decision",
    ("delete", "/partner/card/storage"): "sandbox-decision",
    ("post", "/partner/delivery/wallets"): "sandbox-decision",
    ("post", "/partner/delivery/calculate"): "sandbox-decision",
    ("post", "/partner/delivery/create"): "partly documented",
    ("post", "/partner/legal"): "sandbox-decision",
}
ERROR_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
ASSET = re.compile(r'(?:href|src)="([^"]+)"')


@pytest.fixture(scope="module")
def spec(server: SandboxServer) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, methods in spec["paths"].items()
        if path.startswith("/partner/")
        for method, operation in methods.items()
    }


@pytest.fixture(scope="module")
def docs_html(server: SandboxServer) -> str:
    response = httpx.get(f"{server.url}/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_openapi_without_credentials_returns_200(anonymous: httpx.Client) -> None:
    response = anonymous.get("/openapi.json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_openapi_declares_digest_security_scheme(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["digest"]

    assert (scheme["type"], scheme["scheme"]) == ("http", "digest")


def test_openapi_lists_every_partner_operation(operations: dict[tuple[str, str], dict[str, Any]]) -> None:
    assert set(operations) == set(FIDELITY)


def test_openapi_every_partner_operation_requires_digest(
    operations: dict[tuple[str, str], dict[str, Any]],
) -> None:
    security = {key: op.get("security") for key, op in operations.items()}

    assert security == {key: [{"digest": []}] for key in FIDELITY}


def test_openapi_every_partner_operation_has_fidelity(
    operations: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert {key: op.get("x-fidelity") for key, op in operations.items()} == FIDELITY


def test_openapi_every_partner_operation_has_a_summary(
    operations: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert [key for key, op in operations.items() if not op.get("summary") or not op.get("description")] == []


def test_openapi_every_partner_operation_declares_the_three_headers(
    operations: dict[tuple[str, str], dict[str, Any]],
) -> None:
    for key, operation in operations.items():
        headers = {p["name"]: p["required"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == {"x-client-id": True, "api-version": False, "Accept-Language": False}, key


def test_openapi_client_id_defaults_to_web(operations: dict[tuple[str, str], dict[str, Any]]) -> None:
    schemas = [
        p["schema"] for op in operations.values() for p in op["parameters"] if p["name"] == "x-client-id"
    ]

    assert schemas == [{"type": "string", "default": "web"}] * len(FIDELITY)


def test_openapi_every_partner_operation_documents_422_error_envelope(
    operations: dict[tuple[str, str], dict[str, Any]],
) -> None:
    refs = {
        key: op["responses"]["422"]["content"]["application/json"]["schema"] for key, op in operations.items()
    }

    assert refs == dict.fromkeys(FIDELITY, ERROR_REF)


def test_openapi_every_partner_operation_documents_401(
    operations: dict[tuple[str, str], dict[str, Any]],
) -> None:
    refs = {
        key: op["responses"]["401"]["content"]["application/json"]["schema"] for key, op in operations.items()
    }

    assert refs == dict.fromkeys(FIDELITY, ERROR_REF)


@pytest.mark.parametrize(("key", "code"), [
    (("get", "/partner/order/{external_order_id}"), "404"), (("post", "/partner/order"), "404"),
    (("post", "/partner/order"), "413"), (("post", "/partner/order"), "415"),
])  # fmt: skip
def test_openapi_order_routes_document_their_errors(
    operations: dict[tuple[str, str], dict[str, Any]], key: tuple[str, str], code: str
) -> None:
    assert operations[key]["responses"][code]["content"]["application/json"]["schema"] == ERROR_REF


def test_openapi_error_envelope_schema_has_the_four_keys(spec: dict[str, Any]) -> None:
    schema = spec["components"]["schemas"]["ErrorEnvelope"]

    assert list(schema["properties"]) == ["data", "success", "code", "message"]
    assert schema["properties"]["data"] == {"$ref": "#/components/schemas/ErrorData"}


def test_openapi_get_order_alternative_body_forbids_extra_fields(spec: dict[str, Any]) -> None:
    body = spec["components"]["schemas"]["GetOrderRequest"]

    assert list(body["properties"]) == ["guid", "order_code", "external_id", "push_hook"]
    assert body["additionalProperties"] is False


def test_openapi_hides_docs_and_static_routes(spec: dict[str, Any]) -> None:
    """Only the partner API and the sandbox's own control API are described; /docs and assets are not."""
    assert [path for path in spec["paths"] if not path.startswith(("/partner/", "/_sandbox/"))] == []
    assert [path for path in spec["paths"] if path.startswith("/_sandbox/static")] == []


def test_openapi_control_routes_are_tagged_and_need_no_digest(spec: dict[str, Any]) -> None:
    control = [
        op for path, ops in spec["paths"].items() if path.startswith("/_sandbox/") for op in ops.values()
    ]
    assert control
    assert all(op["tags"] == ["Sandbox control"] and "security" not in op for op in control)


def test_openapi_control_operations_take_a_tenant_header_but_the_tenants_own(spec: dict[str, Any]) -> None:
    def tenant_header(op: dict[str, Any]) -> list[tuple[bool, str]]:
        return [
            (p["required"], p["schema"]["pattern"])
            for p in op.get("parameters", [])
            if (p["in"], p["name"]) == ("header", "X-Sandbox-Tenant")
        ]

    found = {
        (method, path): tenant_header(op)
        for path, ops in spec["paths"].items()
        if path.startswith("/_sandbox/")
        for method, op in ops.items()
    }
    tenants = {key for key in found if key[1].startswith("/_sandbox/tenants")}

    assert tenants == {
        ("get", "/_sandbox/tenants"),
        ("post", "/_sandbox/tenants"),
        ("delete", "/_sandbox/tenants/{tenant_id}"),
    }
    assert all(found[key] == [] for key in tenants)
    assert {key: header for key, header in found.items() if key not in tenants} == {
        key: [(False, "^[a-z0-9][a-z0-9-]{0,39}$")] for key in found if key not in tenants
    }


def test_docs_reference_no_remote_url(docs_html: str) -> None:
    assert re.findall(r"https?://\S+", docs_html) == []


def test_docs_assets_are_local_static_files(docs_html: str) -> None:
    assets = ASSET.findall(docs_html)

    assert sorted(assets) == [
        "/_sandbox/static/swagger/favicon-32x32.png",
        "/_sandbox/static/swagger/swagger-ui-bundle.js",
        "/_sandbox/static/swagger/swagger-ui.css",
    ]
    assert "url: '/openapi.json'" in docs_html


@pytest.mark.parametrize(("asset", "media_type"), [
    ("swagger-ui-bundle.js", ("text/javascript", "application/javascript")),
    ("swagger-ui.css", ("text/css",)),
    ("favicon-32x32.png", ("image/png",)),
])  # fmt: skip
def test_docs_asset_returns_200(anonymous: httpx.Client, asset: str, media_type: tuple[str, ...]) -> None:
    response = anonymous.get(f"/_sandbox/static/swagger/{asset}")

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] in media_type
    assert len(response.content) > 500


def test_docs_missing_asset_returns_404_envelope(anonymous: httpx.Client) -> None:
    response = anonymous.get("/_sandbox/static/swagger/missing.js")

    assert response.status_code == 404
    assert response.json()["data"] == {"error": "route_not_found"}
