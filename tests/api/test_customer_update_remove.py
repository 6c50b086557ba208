"""Update Customer (PATCH /partner/customer/{id}) and Remove Customer Id (DELETE /partner/customer/{id})."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.core.clock import Clock
from sandbox.domain.customers.lookup import find_customer
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from sandbox.wire.customers import CustomerRecord, CustomerRemoved
from tests.api.customer_support import (
    COMPANY_TAX_NUMBER,
    FROZEN_SQL,
    OTHER_PERSON_ID,
    PERSON_ID,
    company_body,
    create,
    frozen,
    new_person,
    partner_id,
    person_body,
    seeded_customers,
    stored_customer,
    unique_id,
)
from tests.api.helpers import error_body, field_errors, notices, ok_data

LATER_SQL = "2025-03-14 13:30:00"  # FROZEN_SQL + 1 hour
REQUIRED_TR = "Bu alan zorunludur."
REQUIRED_EN = "This field is required."
ID_IGNORED_NOTICE = "update_external_id: the body's external_id was ignored; the path names the customer"


@pytest.fixture
def clock(server: SandboxServer) -> Iterator[Clock]:
    yield from frozen(server)


def person_update(**overrides: Any) -> dict[str, Any]:
    """The documented Update Customer example's fields (its identity number replaced by a valid one)."""
    body = {
        "firstname": "John",
        "middlename": "",
        "lastname": "Due",
        "email": "john.due@example.com",
        "phone": "+905071112233",
        "gender": "M",
        "identity_number": PERSON_ID,
        "birthdate": "1970-01-31",
    }
    return body | overrides


def company_update(**overrides: Any) -> dict[str, Any]:
    return {
        "firstname": "Yeni Unvan AŞ",
        "phone": "+902161112233",
        "identity_number": "9876543210",
    } | overrides


# -- Update Customer -----------------------------------------------------------------------------------


def test_update_person_returns_updated_record(
    client: httpx.Client, server: SandboxServer, clock: Clock
) -> None:
    external_id = unique_id("patch-person")
    created = create(client, person_body(external_id, middlename="Nur"))
    clock.advance(3600)

    data = ok_data(
        client.patch(f"/partner/customer/{external_id}", json=person_update(external_id=external_id))
    )

    assert data == {
        "id": created["id"],
        "external_id": external_id,
        "company_id": partner_id(server, "demo"),
        "user_id": None,
        "firstname": "John",
        "middlename": "",
        "lastname": "Due",
        "fullname": "John Due",
        "email": "john.due@example.com",
        "phone": "+905071112233",
        "gender": "M",
        "identity_number": PERSON_ID,
        "birthdate": "1970-01-31",
        "created_at": FROZEN_SQL,
        "updated_at": LATER_SQL,
        "account_type": "person",
        "tax_office": None,
    }


def test_update_response_validates_against_wire_model(client: httpx.Client) -> None:
    external_id = unique_id("patch-model")
    create(client, person_body(external_id))

    response = client.patch(f"/partner/customer/{external_id}", json=person_update())

    assert Envelope[CustomerRecord].model_validate(response.json()).data.fullname == "John Due"


def test_update_is_visible_on_get_customer(client: httpx.Client) -> None:
    external_id = unique_id("patch-get")
    create(client, person_body(external_id))
    client.patch(f"/partner/customer/{external_id}", json=person_update(birthdate="02-03-1981"))

    data = ok_data(client.get(f"/partner/customer/{external_id}"))

    assert (data["firstname"], data["lastname"], data["birthdate"]) == ("John", "Due", "1981-03-02")


def test_update_keeps_optional_fields_not_sent(client: httpx.Client) -> None:
    external_id = unique_id("patch-keep")
    create(client, person_body(external_id, middlename="Nur"))
    required = {
        "firstname": "John",
        "lastname": "Due",
        "phone": "+905071112233",
        "identity_number": PERSON_ID,
    }

    data = ok_data(client.patch(f"/partner/customer/{external_id}", json=required))

    assert (data["middlename"], data["email"], data["gender"], data["birthdate"]) == (
        "Nur", "ayse.yilmaz@example.com", "F", "1970-01-31",
    )  # fmt: skip


def test_update_company_without_lastname_returns_200(client: httpx.Client) -> None:
    external_id = unique_id("patch-company")
    create(client, company_body(external_id))

    data = ok_data(client.patch(f"/partner/customer/{external_id}", json=company_update()))

    assert (data["account_type"], data["fullname"], data["identity_number"], data["tax_office"]) == (
        "company", "Yeni Unvan AŞ", "9876543210", "Ümraniye",
    )  # fmt: skip


def test_update_person_missing_required_fields_returns_422_naming_each(client: httpx.Client) -> None:
    external_id = unique_id("patch-missing")
    create(client, person_body(external_id))

    response = client.patch(
        f"/partner/customer/{external_id}", json={"firstname": "John", "email": "j@example.com"}
    )

    assert field_errors(response) == {
        "lastname": [REQUIRED_TR],
        "phone": [REQUIRED_TR],
        "identity_number": [REQUIRED_TR],
    }


def test_update_company_missing_required_fields_in_english_returns_422(client: httpx.Client) -> None:
    external_id = unique_id("patch-missing-co")
    create(client, company_body(external_id))

    response = client.patch(f"/partner/customer/{external_id}", json={}, headers={"Accept-Language": "en"})

    assert field_errors(response) == {
        "firstname": [REQUIRED_EN],
        "phone": [REQUIRED_EN],
        "identity_number": [REQUIRED_EN],
    }


def test_update_required_field_sent_as_null_returns_422(client: httpx.Client) -> None:
    external_id = unique_id("patch-null")
    create(client, person_body(external_id))

    response = client.patch(f"/partner/customer/{external_id}", json=person_update(phone=None))

    assert field_errors(response) == {"phone": [REQUIRED_TR]}


def test_update_body_external_id_not_the_paths_strict_returns_422(client: httpx.Client, strict: None) -> None:
    external_id = unique_id("patch-mismatch")
    create(client, person_body(external_id))

    response = client.patch(
        f"/partner/customer/{external_id}",
        json=person_update(external_id="someone-else"),
        headers={"Accept-Language": "en"},
    )

    body = error_body(response, 422, "customer_id_mismatch")
    assert body["message"] == "The body's external_id must equal the customer id in the path."


def test_update_body_external_id_not_the_paths_lenient_is_ignored(client: httpx.Client) -> None:
    external_id = new_person(client, "patch-other-id")

    response = client.patch(f"/partner/customer/{external_id}", json=person_update(external_id="other-id"))

    assert (ok_data(response)["external_id"], ok_data(response)["firstname"]) == (external_id, "John")
    assert notices(response) == [ID_IGNORED_NOTICE]
    error_body(client.get("/partner/customer/other-id"), 404, "customer_not_found")


def test_update_account_type_change_returns_422(client: httpx.Client) -> None:
    external_id = unique_id("patch-type")
    create(client, person_body(external_id))

    response = client.patch(f"/partner/customer/{external_id}", json=person_update(account_type="company"))

    body = error_body(response, 422, "account_type_immutable")
    assert body["message"] == "Müşterinin hesap türü değiştirilemez."


def test_update_account_type_same_as_stored_returns_200(client: httpx.Client) -> None:
    external_id = unique_id("patch-type-same")
    create(client, company_body(external_id))

    data = ok_data(
        client.patch(f"/partner/customer/{external_id}", json=company_update(account_type="company"))
    )

    assert data["account_type"] == "company"


def test_update_company_tax_number_strict_checked_without_account_type(
    client: httpx.Client, strict: None
) -> None:
    external_id = unique_id("patch-co-tckn")
    create(client, company_body(external_id))

    response = client.patch(
        f"/partner/customer/{external_id}",
        json=company_update(identity_number=PERSON_ID),
        headers={"Accept-Language": "en"},
    )

    assert field_errors(response) == {"identity_number": ["Must be a 10-digit tax number."]}


def test_update_person_ten_digit_number_strict_fails_checksum_422(client: httpx.Client, strict: None) -> None:
    external_id = unique_id("patch-person-tax")
    create(client, person_body(external_id))

    response = client.patch(
        f"/partner/customer/{external_id}",
        json=person_update(identity_number=COMPANY_TAX_NUMBER),
        headers={"Accept-Language": "en"},
    )

    assert field_errors(response) == {
        "identity_number": ["Must be a valid Turkish identity number (11 digits with checksum)."]
    }


def test_update_invalid_field_format_returns_422(client: httpx.Client) -> None:
    external_id = unique_id("patch-format")
    create(client, person_body(external_id))

    response = client.patch(f"/partner/customer/{external_id}", json=person_update(gender="X", email="nope"))

    assert set(field_errors(response)) == {"gender", "email"}


def test_update_rejected_body_changes_nothing(client: httpx.Client) -> None:
    external_id = unique_id("patch-nothing")
    create(client, person_body(external_id))
    client.patch(f"/partner/customer/{external_id}", json=person_update(firstname="Changed", phone=None))

    assert ok_data(client.get(f"/partner/customer/{external_id}"))["firstname"] == "Ayşe"


def test_update_unknown_customer_returns_404(client: httpx.Client) -> None:
    error_body(
        client.patch("/partner/customer/no-such-customer", json=person_update()), 404, "customer_not_found"
    )


def test_update_other_partners_customer_returns_404(client: httpx.Client, acme_client: httpx.Client) -> None:
    external_id = unique_id("patch-tenant")
    create(client, person_body(external_id))

    error_body(
        acme_client.patch(f"/partner/customer/{external_id}", json=person_update()), 404, "customer_not_found"
    )

    assert ok_data(client.get(f"/partner/customer/{external_id}"))["firstname"] == "Ayşe"


# -- Remove Customer Id --------------------------------------------------------------------------------


def test_remove_customer_returns_removed(client: httpx.Client) -> None:
    external_id = unique_id("delete-ok")
    create(client, person_body(external_id))

    response = client.delete(f"/partner/customer/{external_id}")

    assert ok_data(response) == {"external_id": external_id, "removed": True}
    assert Envelope[CustomerRemoved].model_validate(response.json()).data.removed is True


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/partner/customer/{}"),
        ("GET", "/partner/customer/{}/kyc"),
        ("DELETE", "/partner/customer/{}"),
    ],
)
def test_removed_customer_is_unknown_afterwards(client: httpx.Client, method: str, path: str) -> None:
    external_id = unique_id("delete-gone")
    create(client, person_body(external_id))
    ok_data(client.delete(f"/partner/customer/{external_id}"))

    error_body(client.request(method, path.format(external_id)), 404, "customer_not_found")


def test_removed_customer_patch_and_kyc_return_404(client: httpx.Client) -> None:
    external_id = unique_id("delete-gone-write")
    create(client, person_body(external_id))
    ok_data(client.delete(f"/partner/customer/{external_id}"))

    error_body(
        client.patch(f"/partner/customer/{external_id}", json=person_update()), 404, "customer_not_found"
    )
    kyc = {"customer_external_id": external_id, "identity_number": PERSON_ID}
    error_body(client.post("/partner/customer/kyc", json=kyc), 404, "customer_not_found")


def test_remove_soft_deletes_and_keeps_the_id_on_the_row(
    client: httpx.Client, server: SandboxServer, clock: Clock
) -> None:
    external_id = unique_id("delete-row")
    created = create(client, person_body(external_id))

    ok_data(client.delete(f"/partner/customer/{external_id}"))

    row = stored_customer(server, created["id"])
    assert row.external_id == external_id
    assert (row.deleted_at, row.updated_at) == (clock.now(), clock.now())
    with server.sandbox.store.session() as session:
        assert find_customer(session, row.partner_id, row.external_id) is None


def test_remove_then_create_same_external_id_returns_new_customer(client: httpx.Client) -> None:
    external_id = unique_id("delete-again")
    first = create(client, person_body(external_id))
    ok_data(client.delete(f"/partner/customer/{external_id}"))

    second = create(client, person_body(external_id, firstname="Zeynep", identity_number=OTHER_PERSON_ID))

    assert second["id"] != first["id"]
    assert ok_data(client.get(f"/partner/customer/{external_id}"))["firstname"] == "Zeynep"


def test_remove_customer_with_open_orders_returns_422(client: httpx.Client, server: SandboxServer) -> None:
    customer = next(row[0] for row in seeded_customers(server, "demo") if row[1])

    response = client.delete(f"/partner/customer/{customer.external_id}", headers={"Accept-Language": "en"})

    body = error_body(response, 422, "customer_has_open_orders")
    assert body["message"] == "The customer cannot be removed while it has open orders."
    assert (
        ok_data(client.get(f"/partner/customer/{customer.external_id}"))["external_id"]
        == customer.external_id
    )


def test_remove_customer_holding_metal_returns_422(client: httpx.Client, server: SandboxServer) -> None:
    customer = next(
        row[0]
        for row in seeded_customers(server, "demo")
        if not row[1] and any(wallet.asset not in ("TRY", "USD", "EUR", "GBP") for wallet in row[2])
    )

    body = error_body(client.delete(f"/partner/customer/{customer.external_id}"), 422, "customer_has_assets")

    assert body["message"] == "Müşterinin cüzdanlarında bakiye varken silinemez."
    assert stored_customer(server, customer.id).deleted_at is None


def test_remove_unknown_customer_returns_404(client: httpx.Client) -> None:
    error_body(client.delete("/partner/customer/no-such-customer"), 404, "customer_not_found")


def test_remove_other_partners_customer_returns_404(client: httpx.Client, acme_client: httpx.Client) -> None:
    external_id = unique_id("delete-tenant")
    create(client, person_body(external_id))

    error_body(acme_client.delete(f"/partner/customer/{external_id}"), 404, "customer_not_found")

    assert ok_data(client.get(f"/partner/customer/{external_id}"))["external_id"] == external_id
