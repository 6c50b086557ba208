"""Customer Wallet Kyc - Bulk Upsert (POST /partner/customer/kyc/bulk): 1–100 upserts in one request,
each succeeding or failing on its own (a failed record writes nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.core.clock import Clock
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from sandbox.wire.customers import KycBulkResponse
from tests.api.customer_support import (
    DOCS_PERSON_ID,
    FROZEN_SQL,
    OTHER_PERSON_ID,
    PERSON_ID,
    frozen,
    get_kyc,
    kyc_body,
    new_company,
    new_person,
)
from tests.api.helpers import field_errors, notices, ok_data

RESULT_KEYS = ["customer_external_id", "success", "kyc", "error", "errors"]
MISMATCH_EN = "The KYC identity number does not match the customer's."
MISMATCH_TR = "KYC kimlik numarası müşterinin kimlik numarasıyla eşleşmiyor."


@pytest.fixture
def clock(server: SandboxServer) -> Iterator[Clock]:
    yield from frozen(server)


def test_bulk_mixed_records_strict_each_succeed_or_fail_alone(
    client: httpx.Client, clock: Clock, strict: None
) -> None:
    approved = new_person(client, "kyc-bulk-ok")
    mismatched = new_person(client, "kyc-bulk-mismatch")
    rejected = new_company(client, "kyc-bulk-co", identity_number="1111111111")
    records = [
        kyc_body(approved),
        kyc_body(mismatched, "22222222220"),
        kyc_body(approved, DOCS_PERSON_ID),
        kyc_body("kyc-bulk-nobody"),
        {"identity_number": PERSON_ID, "extra": 1},
        kyc_body(rejected, "1111111111"),
    ]

    data = ok_data(client.post("/partner/customer/kyc/bulk", json={"records": records}))

    record = {"status": "approved", "identity_number": PERSON_ID, "reason": None, "updated_at": FROZEN_SQL}
    assert data == {
        "results": [
            {"customer_external_id": approved, "success": True,
             "kyc": {"customer_external_id": approved, **record}, "error": None, "errors": None},
            {"customer_external_id": mismatched, "success": False, "kyc": None,
             "error": "kyc_identity_mismatch", "errors": {"identity_number": [MISMATCH_TR]}},
            {"customer_external_id": approved, "success": False, "kyc": None, "error": "validation_failed",
             "errors": {"identity_number": [
                 "Geçerli bir T.C. kimlik numarası olmalıdır (11 hane, sağlama toplamı)."]}},
            {"customer_external_id": "kyc-bulk-nobody", "success": False, "kyc": None,
             "error": "customer_not_found", "errors": None},
            {"customer_external_id": None, "success": False, "kyc": None, "error": "validation_failed",
             "errors": {"customer_external_id": ["Bu alan zorunludur."], "extra": ["Bu alan tanınmıyor."]}},
            {"customer_external_id": rejected, "success": True,
             "kyc": {"customer_external_id": rejected, "status": "rejected", "identity_number": "1111111111",
                     "reason": "identity_verification_failed", "updated_at": FROZEN_SQL},
             "error": None, "errors": None},
        ]
    }  # fmt: skip
    assert all(list(result) == RESULT_KEYS for result in data["results"])


def test_bulk_failed_records_strict_write_nothing(client: httpx.Client, strict: None) -> None:
    good = new_person(client, "kyc-bulk-good")
    bad = new_person(client, "kyc-bulk-bad")
    blank = new_person(client, "kyc-bulk-blank", identity_number=None, birthdate=None)
    records = [
        kyc_body(bad, OTHER_PERSON_ID),
        kyc_body(blank, DOCS_PERSON_ID, birthdate="1990-12-31"),
        kyc_body(good),
    ]

    results = ok_data(client.post("/partner/customer/kyc/bulk", json={"records": records}))["results"]

    assert [result["success"] for result in results] == [False, False, True]
    assert get_kyc(client, bad) == {
        "customer_external_id": bad, "status": "pending", "identity_number": PERSON_ID, "reason": None,
        "updated_at": None,
    }  # fmt: skip
    blank_profile = ok_data(client.get(f"/partner/customer/{blank}"))
    assert (blank_profile["kyc_status"], blank_profile["identity_number"], blank_profile["birthdate"]) == (
        "pending", None, None,
    )  # fmt: skip
    assert get_kyc(client, good)["status"] == "approved"


def test_bulk_records_breaking_lenient_rules_succeed_with_notices(client: httpx.Client) -> None:
    records = [
        kyc_body(new_person(client, "kyc-bulk-docs", identity_number=None), DOCS_PERSON_ID),
        kyc_body(new_person(client, "kyc-bulk-extra"), extra=1),
    ]

    response = client.post("/partner/customer/kyc/bulk", json={"records": records})

    assert [result["kyc"]["status"] for result in ok_data(response)["results"]] == ["approved", "approved"]
    assert notices(response) == [
        "identity_number: identity_number accepted without the T.C. kimlik no check",
        "unknown_fields: ignored extra",
    ]


def test_bulk_errors_follow_accept_language(client: httpx.Client) -> None:
    records = [kyc_body("kyc-bulk-en", "12"), kyc_body(new_person(client, "kyc-bulk-en"), OTHER_PERSON_ID)]

    response = client.post(
        "/partner/customer/kyc/bulk", json={"records": records}, headers={"Accept-Language": "en"}
    )

    assert [result["errors"] for result in ok_data(response)["results"]] == [
        {"identity_number": ["Must have at least 3 characters."]},
        {"identity_number": [MISMATCH_EN]},
    ]


def test_bulk_same_customer_twice_applies_both_in_order(client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-bulk-twice", identity_number=None)
    records = [kyc_body(external_id, "22222222220"), kyc_body(external_id, "22222222220")]

    results = ok_data(client.post("/partner/customer/kyc/bulk", json={"records": records}))["results"]

    assert [result["kyc"]["status"] for result in results] == ["pending", "pending"]
    assert get_kyc(client, external_id)["reason"] == "manual_review"


def test_bulk_response_validates_against_wire_model(client: httpx.Client) -> None:
    records = [kyc_body(new_person(client, "kyc-bulk-model")), kyc_body("kyc-bulk-nobody")]

    response = client.post("/partner/customer/kyc/bulk", json={"records": records})

    parsed = Envelope[KycBulkResponse].model_validate(response.json()).data
    assert [result.success for result in parsed.results] == [True, False]


def test_bulk_hundred_records_returns_hundred_results(client: httpx.Client) -> None:
    external_id = new_person(client, "kyc-bulk-100")

    response = client.post("/partner/customer/kyc/bulk", json={"records": [kyc_body(external_id)] * 100})

    assert [result["success"] for result in ok_data(response)["results"]] == [True] * 100


@pytest.mark.parametrize(
    ("count", "message"), [(0, "Must have at least 1 items."), (101, "Must have at most 100 items.")]
)
def test_bulk_record_count_out_of_range_returns_422(client: httpx.Client, count: int, message: str) -> None:
    external_id = new_person(client, "kyc-bulk-count")

    response = client.post(
        "/partner/customer/kyc/bulk",
        json={"records": [kyc_body(external_id)] * count},
        headers={"Accept-Language": "en"},
    )

    assert field_errors(response) == {"records": [message]}
    assert get_kyc(client, external_id)["status"] == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "records"), ({"records": ["not-an-object"]}, "records.0"), ({"records": {}}, "records")],
)
def test_bulk_malformed_body_returns_422(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    assert list(field_errors(client.post("/partner/customer/kyc/bulk", json=body))) == [field]
