"""Card Storage Add (sandbox decision, docs/design/contract.md §2 row 24): saving a customer's card, its
token, masked
record and stored row, and every refusal, through a dedicated server on a frozen clock (2025-03-10
12:30:15 Istanbul), with real Digest clients. List, Delete and find_card are in test_card_storage.py."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import httpx
import pytest

from sandbox.domain import cards as payment_cards
from sandbox.testing.server import SandboxServer
from tests.api.card_storage_support import (
    EN,
    SAVE,
    VISA,
    card_body,
    customer,
    delete,
    listed,
    raw_rows,
    rows_of,
    save,
)
from tests.api.helpers import error_body, field_errors, notices, ok_data, partner_profile
from tests.support.clients import partner_client
from tests.support.constants import ACME, DEMO
from tests.support.trading import FROZEN_AT, FROZEN_ORDER_AT

VISA_SPACED = "4048 0950 1085 7528"
RECORD_KEYS = [
    "card_token", "customer_external_id", "card_holder", "card_number", "card_expiry",
    "card_association", "created_at",
]  # fmt: skip
BAD_NUMBERS = {
    "luhn": "4048095010857529", "too-short": "404809501085", "too-long": "40480950108575280000",
    "dashes": "4048-0950-1085-7528", "unknown-network": "6011111111111117",
    "arabic-indic-digits": "٤٠٤٨٠٩٥٠١٠٨٥٧٥٢٨",
}  # fmt: skip


@pytest.fixture
def cards(trading: SandboxServer) -> SandboxServer:
    """The session server on a fresh world, its clock frozen (tests/support/fixtures.py)."""
    return trading


@pytest.fixture(autouse=True)
def at_frozen_instant(cards: SandboxServer) -> None:
    cards.sandbox.clock.freeze(FROZEN_AT)


@pytest.fixture
def demo(cards: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(cards, DEMO) as http:
        yield http


@pytest.fixture
def acme(cards: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(cards, ACME) as http:
        yield http


@pytest.fixture
def owner(cards: SandboxServer) -> str:
    """A fresh demo customer without cards."""
    return customer(cards)


# -- Add -----------------------------------------------------------------------------------------------


def test_save_card_returns_token_and_masked_record(demo: httpx.Client, owner: str) -> None:
    data = save(demo, owner)

    assert list(data) == RECORD_KEYS
    assert re.fullmatch(r"[A-Za-z0-9]{32}", data["card_token"])
    assert {key: value for key, value in data.items() if key != "card_token"} == {
        "customer_external_id": owner,
        "card_holder": "Ayşe Yılmaz",
        "card_number": "404809******7528",
        "card_expiry": "12/30",
        "card_association": "Visa",
        "created_at": FROZEN_ORDER_AT,
    }


@pytest.mark.parametrize(
    ("number", "cvv", "association", "masked"),
    [
        ("5555555555554444", "123", "Mastercard", "555555******4444"),
        ("2223003122003222", "123", "Mastercard", "222300******3222"),
        ("378282246310005", "1234", "Amex", "378282*****0005"),
        ("9792030000000018", "123", "Troy", "979203******0018"),
        ("4222222222222", "123", "Visa", "422222***2222"),
    ],
)
def test_save_card_names_the_association_and_masks_every_length(
    demo: httpx.Client, owner: str, number: str, cvv: str, association: str, masked: str
) -> None:
    data = save(demo, owner, card_number=number, card_cvv=cvv)

    assert (data["card_association"], data["card_number"]) == (association, masked)


def test_save_card_expiring_this_month_is_accepted(demo: httpx.Client, owner: str) -> None:
    assert save(demo, owner, card_expiry="03/25")["card_expiry"] == "03/25"


def test_save_same_card_twice_even_with_spaces_returns_same_token_and_one_row(
    demo: httpx.Client, owner: str, cards: SandboxServer
) -> None:
    first = save(demo, owner)
    second = save(demo, owner, card_number=VISA_SPACED, card_cvv="512")

    assert second["card_token"] == first["card_token"]
    assert rows_of(cards, owner) == [(first["card_token"],)]


def test_save_same_card_again_refreshes_holder_and_expiry(demo: httpx.Client, owner: str) -> None:
    first = save(demo, owner)

    again = save(demo, owner, card_holder="AYSE YILMAZ", card_expiry="01/31")

    assert again == first | {"card_holder": "AYSE YILMAZ", "card_expiry": "01/31"}
    assert listed(demo, owner) == [again]


def test_save_same_card_for_two_customers_gives_different_tokens(
    demo: httpx.Client, cards: SandboxServer
) -> None:
    first, second = customer(cards), customer(cards)

    assert save(demo, first)["card_token"] != save(demo, second)["card_token"]


def test_save_card_after_delete_gets_a_new_random_token(demo: httpx.Client, owner: str) -> None:
    old = save(demo, owner)["card_token"]
    ok_data(delete(demo, owner, old))

    assert save(demo, owner)["card_token"] != old


def test_save_card_row_holds_neither_the_full_number_nor_the_cvv(
    demo: httpx.Client, owner: str, cards: SandboxServer
) -> None:
    save(demo, owner, card_number=VISA_SPACED, card_cvv="739")
    save(demo, owner, card_number="378282246310005", card_cvv="8461")
    secrets = (VISA, VISA_SPACED, "739", "378282246310005", "8461")

    rows = raw_rows(cards, owner)

    assert len(rows) == 2
    assert [
        (secret, cell) for secret in secrets for row in rows for cell in map(str, row) if secret in cell
    ] == []


def test_save_card_fingerprint_is_keyed_not_a_plain_hash(
    demo: httpx.Client, owner: str, cards: SandboxServer
) -> None:
    save(demo, owner)

    [(fingerprint,)] = raw_rows(cards, owner, "fingerprint")

    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    assert fingerprint != hashlib.sha256(VISA.encode()).hexdigest()
    assert payment_cards.fingerprint(VISA, 42) == fingerprint != payment_cards.fingerprint(VISA, 7)


@pytest.mark.parametrize("number", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_save_card_invalid_number_is_refused(demo: httpx.Client, owner: str, number: str) -> None:
    response = demo.post(SAVE, json=card_body(owner, card_number=number), headers=EN)

    assert field_errors(response) == {"card_number": ["Must be a valid card number."]}


@pytest.mark.parametrize("expiry", ["13/30", "1/30", "12/2030", "00/30", "1230", "", "12/30\n", "١٢/٣٠"])
def test_save_card_malformed_expiry_is_refused(demo: httpx.Client, owner: str, expiry: str) -> None:
    response = demo.post(SAVE, json=card_body(owner, card_expiry=expiry), headers=EN)

    assert field_errors(response) == {"card_expiry": ["Must be MM/YY."]}


def test_save_card_expired_last_month_is_refused(demo: httpx.Client, owner: str) -> None:
    response = demo.post(SAVE, json=card_body(owner, card_expiry="02/25"), headers=EN)

    assert field_errors(response) == {"card_expiry": ["The card has expired."]}


def test_save_card_expires_when_the_clock_passes_its_month(demo: httpx.Client, cards: SandboxServer) -> None:
    cards.sandbox.clock.advance(22 * 86_400)  # 2025-04-01 12:30 Istanbul

    response = demo.post(SAVE, json=card_body(customer(cards), card_expiry="03/25"))

    assert list(field_errors(response)) == ["card_expiry"]


@pytest.mark.parametrize(
    ("number", "cvv"),
    [(VISA, "12"), (VISA, "1234"), (VISA, "12a"), (VISA, " 123"), ("378282246310005", "123")],
    ids=["visa-2", "visa-4", "visa-letter", "visa-space", "amex-3"],
)
def test_save_card_wrong_cvv_is_refused(demo: httpx.Client, owner: str, number: str, cvv: str) -> None:
    body = card_body(owner, card_number=number, card_cvv=cvv)

    assert field_errors(demo.post(SAVE, json=body, headers=EN)) == {"card_cvv": ["Must be 3 or 4 digits."]}


def test_save_card_reports_every_broken_card_field_at_once(demo: httpx.Client, owner: str) -> None:
    body = card_body(owner, card_number="4111111111111112", card_expiry="01/24", card_cvv="1")

    response = demo.post(SAVE, json=body)

    assert set(field_errors(response)) == {"card_number", "card_expiry", "card_cvv"}
    assert response.json()["message"] == "Parametre hatası: gönderilen veri geçersiz."


@pytest.mark.parametrize("holder", ["A", "x" * 51, "  A  "])
def test_save_card_holder_outside_2_to_50_characters_is_refused(
    demo: httpx.Client, owner: str, holder: str
) -> None:
    response = demo.post(SAVE, json=card_body(owner, card_holder=holder))

    assert list(field_errors(response)) == ["card_holder"]


def test_save_card_missing_cvv_is_refused(demo: httpx.Client, owner: str) -> None:
    body = card_body(owner)
    del body["card_cvv"]

    assert field_errors(demo.post(SAVE, json=body, headers=EN)) == {"card_cvv": ["This field is required."]}


def test_save_card_unknown_field_is_ignored_with_a_notice(demo: httpx.Client, owner: str) -> None:
    """Lenient (the default): profile rule `unknown_fields`."""
    response = demo.post(SAVE, json=card_body(owner, card_pin="0000"))

    assert ok_data(response)["card_number"] == "404809******7528"
    assert notices(response) == ["unknown_fields: ignored card_pin"]


def test_save_card_under_strict_refuses_missing_and_unknown_fields_at_once(
    demo: httpx.Client, owner: str, cards: SandboxServer
) -> None:
    body = card_body(owner, card_pin="0000")
    del body["card_cvv"]

    with partner_profile(cards, "strict"):
        response = demo.post(SAVE, json=body, headers=EN)

    assert field_errors(response) == {
        "card_cvv": ["This field is required."],
        "card_pin": ["This field is not allowed."],
    }
    assert rows_of(cards, owner) == []


def test_save_card_refused_writes_no_row(demo: httpx.Client, owner: str, cards: SandboxServer) -> None:
    demo.post(SAVE, json=card_body(owner, card_cvv="1"))

    assert rows_of(cards, owner) == []


def test_save_card_unknown_customer_is_404(demo: httpx.Client) -> None:
    response = demo.post(SAVE, json=card_body("NO-SUCH-CUSTOMER"), headers=EN)

    assert error_body(response, 404, "customer_not_found")["message"] == "Customer not found."


def test_save_card_for_another_partners_customer_is_404(acme: httpx.Client, cards: SandboxServer) -> None:
    demo_customer = customer(cards)

    error_body(acme.post(SAVE, json=card_body(demo_customer)), 404, "customer_not_found")
    assert rows_of(cards, demo_customer) == []
