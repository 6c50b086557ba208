"""Customer Wallet Kyc: Get (GET /partner/customer/{id}/kyc) and Upsert (POST /partner/customer/kyc),
decided by the sandbox's magic identity numbers (Bulk Upsert: test_kyc_bulk.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.core.clock import Clock
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from sandbox.wire.customers import KycRecord
from tests.api.customer_support import (
    COMPANY_TAX_NUMBER,
    DOCS_PERSON_ID,
    FROZEN_SQL,
    OTHER_PERSON_ID,
    PERSON_ID,
    create,
    frozen,
    get_kyc,
    kyc_body,
    new_company,
    new_person,
    seeded_customers,
    stored_customer,
    unique_id,
)
from tests.api.helpers import error_body, field_errors, notices, ok_data

KYC_KEYS = ["customer_external_id", "status", "identity_number", "reason", "updated_at"]
MISMATCH_EN = "The KYC identity number does not match the customer's."


@pytest.fixture
def clock(server: SandboxServer) -> Iterator[Clock]:
    yield from frozen(server)


# -- Get -----------------------------------------------------------------------------------------------


def test_get_kyc_new_customer_returns_pending_without_submission(client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-get-new")

    data = get_kyc(client, external_id)

    assert list(data) == KYC_KEYS
    assert data == {
        "customer_external_id": external_id,
        "status": "pending",
        "identity_number": PERSON_ID,
        "reason": None,
        "updated_at": None,
    }


def test_get_kyc_seeded_rejected_customer_returns_reason(client: httpx.Client, server: SandboxServer) -> None:
    customer = next(row[0] for row in seeded_customers(server, "demo") if row[0].kyc_status == "rejected")

    data = get_kyc(client, customer.external_id)

    assert (data["status"], data["reason"], data["identity_number"]) == (
        "rejected", "identity_verification_failed", customer.identity_number,
    )  # fmt: skip


def test_get_kyc_validates_against_wire_model(client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-get-model")

    record = (
        Envelope[KycRecord].model_validate(client.get(f"/partner/customer/{external_id}/kyc").json()).data
    )

    assert record.status == "pending"


def test_get_kyc_unknown_customer_returns_404(client: httpx.Client) -> None:
    error_body(client.get("/partner/customer/no-such-customer/kyc"), 404, "customer_not_found")


def test_get_kyc_other_partners_customer_returns_404(client: httpx.Client, acme_client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-get-tenant")

    error_body(acme_client.get(f"/partner/customer/{external_id}/kyc"), 404, "customer_not_found")


# -- Upsert --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "status", "reason"),
    [
        ("11111111110", "rejected", "identity_verification_failed"),
        ("22222222220", "pending", "manual_review"),
        (PERSON_ID, "approved", None),
    ],
)
def test_upsert_person_magic_number_decides_status(
    client: httpx.Client, clock: Clock, number: str, status: str, reason: str | None
) -> None:
    external_id = new_person(client, "kyc-person", identity_number=number)

    data = ok_data(client.post("/partner/customer/kyc", json=kyc_body(external_id, number)))

    assert data == {
        "customer_external_id": external_id,
        "status": status,
        "identity_number": number,
        "reason": reason,
        "updated_at": FROZEN_SQL,
    }
    assert get_kyc(client, external_id) == data
    assert ok_data(client.get(f"/partner/customer/{external_id}"))["kyc_status"] == status


@pytest.mark.parametrize(
    ("number", "status", "reason"),
    [
        ("1111111111", "rejected", "identity_verification_failed"),
        ("2222222222", "pending", "manual_review"),
        (COMPANY_TAX_NUMBER, "approved", None),
    ],
)
def test_upsert_company_magic_tax_number_decides_status(
    client: httpx.Client, number: str, status: str, reason: str | None
) -> None:
    external_id = new_company(client, "kyc-company", identity_number=number)

    data = ok_data(client.post("/partner/customer/kyc", json=kyc_body(external_id, number)))

    assert (data["status"], data["reason"], data["identity_number"]) == (status, reason, number)


def test_upsert_again_replaces_decision(client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-again", identity_number=None)
    ok_data(client.post("/partner/customer/kyc", json=kyc_body(external_id, "22222222220")))
    client.patch(
        f"/partner/customer/{external_id}",
        json={
            "firstname": "Ayşe",
            "lastname": "Yılmaz",
            "phone": "+905321112233",
            "identity_number": PERSON_ID,
        },
    )

    data = ok_data(client.post("/partner/customer/kyc", json=kyc_body(external_id, PERSON_ID)))

    assert (data["status"], data["reason"], data["identity_number"]) == ("approved", None, PERSON_ID)


def test_upsert_response_validates_against_wire_model(client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-model")

    response = client.post("/partner/customer/kyc", json=kyc_body(external_id))

    assert Envelope[KycRecord].model_validate(response.json()).data.status == "approved"


def test_upsert_customer_without_identity_number_stores_it_and_fills_blanks(
    client: httpx.Client, server: SandboxServer, clock: Clock
) -> None:
    external_id = unique_id("kyc-fill")
    created = create(client, {"external_id": external_id, "firstname": "Ali", "lastname": "Kaya"})
    clock.advance(60)
    body = kyc_body(external_id, PERSON_ID, firstname="Başka", lastname="Soyad", birthdate="31-12-1990")

    data = ok_data(client.post("/partner/customer/kyc", json=body))

    assert (data["status"], data["identity_number"], data["updated_at"]) == (
        "approved", PERSON_ID, "2025-03-14 12:31:00",
    )  # fmt: skip
    profile = ok_data(client.get(f"/partner/customer/{external_id}"))
    assert (profile["firstname"], profile["lastname"], profile["birthdate"]) == ("Ali", "Kaya", "1990-12-31")
    assert stored_customer(server, created["id"]).updated_at == clock.now()


def test_upsert_then_other_number_returns_identity_mismatch(client: httpx.Client) -> None:
    external_id = unique_id("kyc-fill-then")
    create(client, {"external_id": external_id, "firstname": "Ali", "lastname": "Kaya"})
    ok_data(client.post("/partner/customer/kyc", json=kyc_body(external_id, PERSON_ID)))

    response = client.post("/partner/customer/kyc", json=kyc_body(external_id, OTHER_PERSON_ID))

    error_body(response, 422, "kyc_identity_mismatch")


def test_upsert_number_other_than_stored_returns_422_and_keeps_status(client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-mismatch")

    response = client.post(
        "/partner/customer/kyc", json=kyc_body(external_id, "11111111110"), headers={"Accept-Language": "en"}
    )

    body = error_body(response, 422, "kyc_identity_mismatch")
    assert body["message"] == MISMATCH_EN
    assert body["data"]["errors"] == {"identity_number": [MISMATCH_EN]}
    assert get_kyc(client, external_id)["status"] == "pending"


def test_upsert_docs_example_number_strict_fails_checksum_422(client: httpx.Client, strict: None) -> None:
    external_id = new_person(client, "kyc-docs", identity_number=None)

    response = client.post("/partner/customer/kyc", json=kyc_body(external_id, DOCS_PERSON_ID))

    assert field_errors(response) == {
        "identity_number": ["Geçerli bir T.C. kimlik numarası olmalıdır (11 hane, sağlama toplamı)."]
    }
    assert get_kyc(client, external_id)["identity_number"] is None


def test_upsert_docs_example_number_lenient_approves_with_notice(client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-docs-lenient", identity_number=None)

    response = client.post("/partner/customer/kyc", json=kyc_body(external_id, DOCS_PERSON_ID))

    assert (ok_data(response)["status"], ok_data(response)["identity_number"]) == ("approved", DOCS_PERSON_ID)
    assert notices(response) == ["identity_number: identity_number accepted without the T.C. kimlik no check"]


def test_upsert_company_with_eleven_digits_strict_returns_422(client: httpx.Client, strict: None) -> None:
    external_id = new_company(client, "kyc-co-tckn", identity_number=None)

    response = client.post(
        "/partner/customer/kyc", json=kyc_body(external_id, PERSON_ID), headers={"Accept-Language": "en"}
    )

    assert field_errors(response) == {"identity_number": ["Must be a 10-digit tax number."]}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"customer_external_id": "kyc-someone"}, {"identity_number": ["This field is required."]}),
        ({"identity_number": PERSON_ID}, {"customer_external_id": ["This field is required."]}),
        ({**kyc_body("kyc-someone"), "birthdate": "1990.12.31"},
         {"birthdate": ["Must be a date between 1900 and 2999 as YYYY-MM-DD or DD-MM-YYYY."]}),
    ],
)  # fmt: skip
def test_upsert_invalid_body_returns_422(client: httpx.Client, body: dict[str, Any], errors: dict) -> None:
    response = client.post("/partner/customer/kyc", json=body, headers={"Accept-Language": "en"})

    assert field_errors(response) == errors


def test_upsert_unknown_field_strict_returns_422(client: httpx.Client, strict: None) -> None:
    body = {**kyc_body("kyc-someone"), "status": "approved"}

    response = client.post("/partner/customer/kyc", json=body, headers={"Accept-Language": "en"})

    assert field_errors(response) == {"status": ["This field is not allowed."]}


def test_upsert_unknown_customer_returns_404(client: httpx.Client) -> None:
    error_body(
        client.post("/partner/customer/kyc", json=kyc_body("no-such-customer")), 404, "customer_not_found"
    )


def test_upsert_other_partners_customer_returns_404(client: httpx.Client, acme_client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-tenant")

    error_body(
        acme_client.post("/partner/customer/kyc", json=kyc_body(external_id)), 404, "customer_not_found"
    )

    assert get_kyc(client, external_id)["status"] == "pending"


def test_update_identity_number_resets_kyc_to_pending(client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-reset")
    ok_data(client.post("/partner/customer/kyc", json=kyc_body(external_id)))
    update = {"firstname": "Ayşe", "lastname": "Yılmaz", "phone": "+905321112233"}

    client.patch(f"/partner/customer/{external_id}", json={**update, "identity_number": OTHER_PERSON_ID})

    assert get_kyc(client, external_id) | {"customer_external_id": None} == {
        "customer_external_id": None,
        "status": "pending",
        "identity_number": OTHER_PERSON_ID,
        "reason": None,
        "updated_at": None,
    }


def test_update_same_identity_number_keeps_kyc(client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-keep")
    ok_data(client.post("/partner/customer/kyc", json=kyc_body(external_id)))
    update = {
        "firstname": "Ayşe",
        "lastname": "Yılmaz",
        "phone": "+905321112233",
        "identity_number": PERSON_ID,
    }

    client.patch(f"/partner/customer/{external_id}", json=update)

    assert get_kyc(client, external_id)["status"] == "approved"
