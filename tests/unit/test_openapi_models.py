"""/openapi.json has one schema per wire shape and one wire shape per schema name, so that the client
generators integrators run on it (scripts/client_door.py runs two of them in CI) make one model of each.

Two models of one name used to reach the document as `OrderCustomer-Input` / `OrderCustomer-Output`;
openapi-python-client then dropped `Order`, `CreatedDelivery` and the responses of six operations."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from sandbox.app import create_app
from sandbox.config import Settings

DOCUMENTATION = {"title", "description", "examples"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app(Settings(database_url="sqlite://")).openapi()


@pytest.fixture(scope="module")
def schemas(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["components"]["schemas"]


def wire_shape(schema: Any) -> Any:
    """The schema without the keys that only document it."""
    if isinstance(schema, dict):
        return {key: wire_shape(value) for key, value in schema.items() if key not in DOCUMENTATION}
    if isinstance(schema, list):
        return [wire_shape(value) for value in schema]
    return schema


def test_openapi_schema_names_have_no_input_output_split(schemas: dict[str, Any]) -> None:
    assert [name for name in schemas if name.endswith(("-Input", "-Output"))] == []


def test_openapi_schema_titles_are_unique(schemas: dict[str, Any]) -> None:
    """Generators name a model after its title; two schemas of one title become one class or none."""
    names = defaultdict(list)
    for name, schema in schemas.items():
        names[schema.get("title", name)].append(name)

    assert {title: both for title, both in names.items() if len(both) > 1} == {}


def test_openapi_no_two_schemas_describe_one_wire_shape(schemas: dict[str, Any]) -> None:
    names = defaultdict(list)
    for name, schema in schemas.items():
        names[json.dumps(wire_shape(schema), sort_keys=True)].append(name)

    assert [both for both in names.values() if len(both) > 1] == []


def test_openapi_order_customer_request_and_response_are_two_named_models(schemas: dict[str, Any]) -> None:
    refs = [
        schemas["BuyRequest"]["properties"]["customer"]["anyOf"][0],
        schemas["SellRequest"]["properties"]["customer"]["anyOf"][0],
        schemas["Order"]["properties"]["customer"]["anyOf"][0],
        schemas["CreatedDelivery"]["properties"]["customer"],
    ]

    assert [ref["$ref"].rsplit("/", 1)[1] for ref in refs] == ["OrderCustomerRequest"] * 2 + [
        "OrderCustomer"
    ] * 2


def test_openapi_one_customer_body_serves_card_list_and_delivery_wallets(spec: dict[str, Any]) -> None:
    bodies = [
        spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        for path in ("/partner/card/storage/list", "/partner/delivery/wallets")
    ]

    assert bodies == [{"$ref": "#/components/schemas/CustomerRef"}] * 2
    assert list(spec["components"]["schemas"]["CustomerRef"]["properties"]) == ["customer_external_id"]
