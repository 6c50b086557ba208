"""Create Customer / Create Business Customer (POST /partner/customer) and Get Customer
(GET /partner/customer/{id}), through the real server with Digest clients."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from sandbox.core.clock import Clock
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from sandbox.wire.customers import CustomerDetail, CustomerRecord
from tests.api.customer_support import (
    COMPANY_TAX_NUMBER,
    DOCS_PERSON_ID,
    FROZEN_SQL,
    PERSON_ID,
    company_body,
    create,
    frozen,
    partner_id,
    person_body,
    seeded_customers,
    unique_id,
)
from tests.api.helpers import error_body, field_errors, notices, ok_data

CHECKSUM_TR = "Geçerli bir T.C. kimlik numarası olmalıdır (11 hane, sağlama toplamı)."
CHECKSUM_EN = "Must be a valid Turkish identity number (11 digits with checksum)."
CHECKSUM_NOTICE = "identity_number: identity_number accepted without the T.C. kimlik no check"
TAX_NUMBER_NOTICE = "identity_number: identity_number accepted without the 10-digit tax number check"
DAY_EN = "Must be a date between 1900 and 2999 as YYYY-MM-DD or DD-MM-YYYY."
RECORD_KEYS = [
    "id", "external_id", "company_id", "user_id", "firstname", "middlename", "lastname", "fullname",
    "email", "phone", "gender", "identity_number", "birthdate", "created_at", "updated_at", "account_type",
    "tax_office",
]  # fmt: skip
DETAIL_KEYS = [
    "external_id", "firstname", "middlename", "lastname", "fullname", "email", "phone", "gender",
    "identity_number", "birthdate", "wallets", "account_type", "tax_office", "kyc_status",
]  # fmt: skip
WALLET_KEYS = [
    "id", "customer_external_id", "name", "currency_id", "currency_symbol", "currency_code", "is_cash",
    "balance", "blocked", "real_balance",
]  # fmt: skip


@pytest.fixture
def clock(server: SandboxServer) -> Iterator[Clock]:
    yield from frozen(server)


# -- Create Customer -----------------------------------------------------------------------------------


def test_create_person_returns_record_in_documented_order(
    client: httpx.Client, server: SandboxServer, clock: Clock
) -> None:
    external_id = unique_id("create-person")

    data = create(client, person_body(external_id))

    assert list(data) == RECORD_KEYS
    assert data == {
        "id": data["id"],
        "external_id": external_id,
        "company_id": partner_id(server, "demo"),
        "user_id": None,
        "firstname": "Ayşe",
        "middlename": "",
        "lastname": "Yılmaz",
        "fullname": "Ayşe Yılmaz",
        "email": "ayse.yilmaz@example.com",
        "phone": "+90 532 280 80 35",
        "gender": "F",
        "identity_number": PERSON_ID,
        "birthdate": "1970-01-31",
        "created_at": FROZEN_SQL,
        "updated_at": FROZEN_SQL,
        "account_type": "person",
        "tax_office": None,
    }


def test_create_person_response_validates_against_wire_model(client: httpx.Client) -> None:
    response = client.post("/partner/customer", json=person_body(unique_id("create-model")))

    parsed = Envelope[CustomerRecord].model_validate(response.json())

    assert parsed.data.fullname == "Ayşe Yılmaz"


def test_create_person_with_middlename_joins_fullname(client: httpx.Client) -> None:
    data = create(client, person_body(unique_id("create-middle"), middlename="Nur"))

    assert (data["middlename"], data["fullname"]) == ("Nur", "Ayşe Nur Yılmaz")


def test_create_company_returns_business_record(client: httpx.Client, clock: Clock) -> None:
    external_id = unique_id("create-company")

    data = create(client, company_body(external_id))

    assert {key: data[key] for key in RECORD_KEYS if key not in ("id", "company_id")} == {
        "external_id": external_id,
        "user_id": None,
        "firstname": "Test AŞ",
        "middlename": None,
        "lastname": None,
        "fullname": "Test AŞ",
        "email": "muhasebe@example.com",
        "phone": "+90 532 280 80 35",
        "gender": None,
        "identity_number": COMPANY_TAX_NUMBER,
        "birthdate": "1970-01-31",
        "created_at": FROZEN_SQL,
        "updated_at": FROZEN_SQL,
        "account_type": "company",
        "tax_office": "Ümraniye",
    }


@pytest.mark.parametrize("birthdate", ["1970-01-31", "31-01-1970"])
def test_create_birthdate_either_documented_format_returns_iso_day(
    client: httpx.Client, birthdate: str
) -> None:
    data = create(client, person_body(unique_id("create-birthdate"), birthdate=birthdate))

    assert data["birthdate"] == "1970-01-31"


def test_create_minimal_person_returns_nulls(client: httpx.Client) -> None:
    external_id = unique_id("create-minimal")

    data = create(client, {"external_id": external_id, "firstname": "Ali", "lastname": "Kaya"})

    assert [data[key] for key in ("email", "phone", "gender", "identity_number", "birthdate")] == [None] * 5


def test_create_duplicate_external_id_returns_409(client: httpx.Client) -> None:
    external_id = unique_id("create-dup")
    create(client, person_body(external_id))

    body = error_body(client.post("/partner/customer", json=person_body(external_id)), 409, "customer_exists")

    assert body["message"] == "Bu external_id ile bir müşteri zaten var."


def test_create_duplicate_external_id_in_english_returns_409_english(client: httpx.Client) -> None:
    external_id = unique_id("create-dup-en")
    create(client, person_body(external_id))

    response = client.post(
        "/partner/customer", json=person_body(external_id), headers={"Accept-Language": "en"}
    )

    assert error_body(response, 409, "customer_exists")["message"] == (
        "A customer with this external_id already exists."
    )


def test_create_same_external_id_for_another_partner_returns_200(
    client: httpx.Client, acme_client: httpx.Client
) -> None:
    external_id = unique_id("create-tenant")
    mine = create(client, person_body(external_id))

    theirs = create(acme_client, person_body(external_id))

    assert theirs["external_id"] == external_id
    assert theirs["id"] != mine["id"]
    assert theirs["company_id"] != mine["company_id"]


def test_create_docs_identity_number_strict_fails_checksum_422(client: httpx.Client, strict: None) -> None:
    response = client.post(
        "/partner/customer", json=person_body(unique_id("create-docs"), identity_number=DOCS_PERSON_ID)
    )

    assert field_errors(response) == {"identity_number": [CHECKSUM_TR]}


def test_create_docs_identity_number_lenient_returns_200_with_notice(client: httpx.Client) -> None:
    body = person_body(unique_id("create-docs-lenient"), identity_number=DOCS_PERSON_ID)

    response = client.post("/partner/customer", json=body)

    assert ok_data(response)["identity_number"] == DOCS_PERSON_ID
    assert notices(response) == [CHECKSUM_NOTICE]


def test_create_checksum_failure_strict_in_english_returns_english(
    client: httpx.Client, strict: None
) -> None:
    response = client.post(
        "/partner/customer",
        json=person_body(unique_id("create-docs-en"), identity_number="10000000147"),
        headers={"Accept-Language": "en"},
    )

    body = error_body(response, 422, "validation_failed")
    assert body["message"] == "Parameter error: the given data was invalid."
    assert body["data"]["errors"] == {"identity_number": [CHECKSUM_EN]}


@pytest.mark.parametrize("number", ["123456789", "12345678901", "12345-6789"])
def test_create_company_tax_number_not_ten_digits_strict_returns_422(
    client: httpx.Client, strict: None, number: str
) -> None:
    body = company_body(unique_id("create-tax"), identity_number=number)

    response = client.post("/partner/customer", json=body, headers={"Accept-Language": "en"})

    assert field_errors(response) == {"identity_number": ["Must be a 10-digit tax number."]}


def test_create_company_with_person_number_strict_returns_422(client: httpx.Client, strict: None) -> None:
    body = company_body(unique_id("create-tax-tckn"), identity_number=PERSON_ID)

    response = client.post("/partner/customer", json=body, headers={"Accept-Language": "en"})

    assert field_errors(response) == {"identity_number": ["Must be a 10-digit tax number."]}


def test_create_company_with_person_number_lenient_returns_200_with_notice(client: httpx.Client) -> None:
    body = company_body(unique_id("create-tax-lenient"), identity_number=PERSON_ID)

    response = client.post("/partner/customer", json=body)

    assert ok_data(response)["identity_number"] == PERSON_ID
    assert notices(response) == [TAX_NUMBER_NOTICE]


def test_create_person_without_lastname_strict_returns_422(client: httpx.Client, strict: None) -> None:
    body = person_body(unique_id("create-nolast"))
    del body["lastname"]

    response = client.post("/partner/customer", json=body, headers={"Accept-Language": "en"})

    assert field_errors(response) == {"lastname": ["This field is required."]}


def test_create_with_only_external_id_lenient_returns_200_without_names(client: httpx.Client) -> None:
    external_id = unique_id("create-only-id")

    response = client.post("/partner/customer", json={"external_id": external_id})

    data = ok_data(response)
    assert (data["external_id"], data["firstname"], data["lastname"]) == (external_id, None, None)
    assert notices(response) == ["customer_names: customer created without firstname and lastname"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"external_id": "ab"}, "external_id", "Must have at least 3 characters."),
        ({"external_id": "a" * 41}, "external_id", "Must have at most 40 characters."),
        ({"external_id": "has space"}, "external_id", "Has an invalid format."),
        ({"firstname": "Al"}, "firstname", "Must have at least 3 characters."),
        ({"email": "not-an-email"}, "email", "Must be a valid email address."),
        ({"phone": "12"}, "phone", "Must be a valid phone number."),
        ({"gender": "X"}, "gender", "Must be one of: 'M' or 'F'."),
        ({"birthdate": "1970/01/31"}, "birthdate", DAY_EN),
        ({"account_type": "robot"}, "account_type", "Must be one of: 'person' or 'company'."),
    ],
)  # fmt: skip
def test_create_invalid_field_returns_422_naming_it(
    client: httpx.Client, overrides: dict[str, str], field: str, message: str
) -> None:
    body = person_body(unique_id("create-bad")) | overrides

    response = client.post("/partner/customer", json=body, headers={"Accept-Language": "en"})

    assert field_errors(response) == {field: [message]}


def test_create_unknown_field_strict_returns_422_naming_it(client: httpx.Client, strict: None) -> None:
    body = person_body(unique_id("create-unknown")) | {"nickname": "x"}

    response = client.post("/partner/customer", json=body, headers={"Accept-Language": "en"})

    assert field_errors(response) == {"nickname": ["This field is not allowed."]}


def test_create_unknown_field_lenient_is_ignored_with_notice(client: httpx.Client) -> None:
    body = person_body(unique_id("create-unknown-lenient")) | {"nickname": "x"}

    response = client.post("/partner/customer", json=body)

    assert "nickname" not in ok_data(response)
    assert notices(response) == ["unknown_fields: ignored nickname"]


def test_create_without_external_id_returns_422(client: httpx.Client) -> None:
    body = person_body("unused")
    del body["external_id"]

    assert field_errors(client.post("/partner/customer", json=body)) == {
        "external_id": ["Bu alan zorunludur."]
    }


def test_create_rejected_body_strict_writes_nothing(client: httpx.Client, strict: None) -> None:
    external_id = unique_id("create-nothing")
    client.post("/partner/customer", json=person_body(external_id, identity_number=DOCS_PERSON_ID))

    error_body(client.get(f"/partner/customer/{external_id}"), 404, "customer_not_found")


# -- Get Customer --------------------------------------------------------------------------------------


def test_get_customer_returns_documented_keys_then_sandbox_additions(client: httpx.Client) -> None:
    external_id = unique_id("get-person")
    create(client, person_body(external_id, middlename="Nur"))

    data = ok_data(client.get(f"/partner/customer/{external_id}"))

    assert list(data) == DETAIL_KEYS
    assert data == {
        "external_id": external_id,
        "firstname": "Ayşe",
        "middlename": "Nur",
        "lastname": "Yılmaz",
        "fullname": "Ayşe Nur Yılmaz",
        "email": "ayse.yilmaz@example.com",
        "phone": "+90 532 280 80 35",
        "gender": "F",
        "identity_number": PERSON_ID,
        "birthdate": "1970-01-31",
        "wallets": [],
        "account_type": "person",
        "tax_office": None,
        "kyc_status": "pending",
    }


def test_get_company_returns_tax_office_and_no_lastname(client: httpx.Client) -> None:
    external_id = unique_id("get-company")
    create(client, company_body(external_id))

    data = ok_data(client.get(f"/partner/customer/{external_id}"))

    assert (data["account_type"], data["lastname"], data["fullname"], data["tax_office"]) == (
        "company", None, "Test AŞ", "Ümraniye",
    )  # fmt: skip


def test_get_seeded_customer_lists_its_wallets(client: httpx.Client, server: SandboxServer) -> None:
    customer, _, holding = next(row for row in seeded_customers(server, "demo") if len(row[2]) >= 2)

    response = client.get(f"/partner/customer/{customer.external_id}")

    data = Envelope[CustomerDetail].model_validate(response.json()).data
    rows = ok_data(response)["wallets"]
    assert data.kyc_status == customer.kyc_status
    assert all(list(row) == WALLET_KEYS for row in rows)
    assert {row["customer_external_id"] for row in rows} == {customer.external_id}
    balances = {row["currency_code"]: Decimal(str(row["balance"])) for row in rows}
    assert {w.asset: balances[w.asset] for w in holding} == {w.asset: w.balance for w in holding}
    assert {row["id"] for row in rows} >= {w.id for w in holding}


def test_get_unknown_customer_returns_404(client: httpx.Client) -> None:
    body = error_body(client.get("/partner/customer/no-such-customer"), 404, "customer_not_found")

    assert body["message"] == "Müşteri bulunamadı."


def test_get_unknown_customer_in_english_returns_404_english(client: httpx.Client) -> None:
    response = client.get("/partner/customer/no-such-customer", headers={"Accept-Language": "en"})

    assert error_body(response, 404, "customer_not_found")["message"] == "Customer not found."


def test_get_other_partners_customer_returns_404(client: httpx.Client, acme_client: httpx.Client) -> None:
    external_id = unique_id("get-tenant")
    create(client, person_body(external_id))

    error_body(acme_client.get(f"/partner/customer/{external_id}"), 404, "customer_not_found")


def test_get_seeded_acme_customer_as_demo_returns_404(client: httpx.Client, server: SandboxServer) -> None:
    demo_ids = {row[0].external_id for row in seeded_customers(server, "demo")}
    acme_only = next(row[0] for row in seeded_customers(server, "acme") if row[0].external_id not in demo_ids)

    error_body(client.get(f"/partner/customer/{acme_only.external_id}"), 404, "customer_not_found")
