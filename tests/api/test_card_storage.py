"""Card storage (sandbox decision, REFERENCE.md §2 row 24): Add, List and Delete a customer's cards, through
a dedicated server on a frozen clock (2025-03-10 12:30:15 Istanbul), with real Digest clients."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from sandbox.core.errors import SandboxError
from sandbox.partner.cards import service
from sandbox.partner.cards.schemas import CardDeleted, StoredCardList, StoredCardRecord
from sandbox.partner.schemas import Envelope
from sandbox.store.models import StoredCard
from sandbox.testing.server import SandboxServer
from tests.api.helpers import error_body, field_errors, ok_data
from tests.api.trading_helpers import (
    FROZEN_AT,
    FROZEN_ORDER_AT,
    add_customer,
    customer_row,
    dedicated_server,
    new_id,
    partner_client,
)
from tests.conftest import ACME, DEMO

SAVE = "/partner/card/storage/save"
LIST = "/partner/card/storage/list"
STORAGE = "/partner/card/storage"
VISA = "4048095010857528"  # the documented test card: 404809******7528
VISA_SPACED = "4048 0950 1085 7528"
RECORD_KEYS = [
    "card_token", "customer_external_id", "card_holder", "card_number", "card_expiry",
    "card_association", "created_at",
]  # fmt: skip
EN = {"Accept-Language": "en"}
BAD_NUMBERS = {
    "luhn": "4048095010857529", "too-short": "404809501085", "too-long": "40480950108575280000",
    "dashes": "4048-0950-1085-7528", "unknown-network": "6011111111111117",
    "arabic-indic-digits": "٤٠٤٨٠٩٥٠١٠٨٥٧٥٢٨",
}  # fmt: skip


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with dedicated_server(tmp_path_factory, "card-storage") as running:
        yield running


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


def customer(server: SandboxServer, partner: str = "demo") -> str:
    external_id = new_id("CARD")
    add_customer(server, external_id, partner=partner)
    return external_id


def card_body(customer_external_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "customer_external_id": customer_external_id, "card_holder": "Ayşe Yılmaz", "card_number": VISA,
        "card_expiry": "12/30", "card_cvv": "739",
    } | overrides  # fmt: skip


def save(http: httpx.Client, customer_external_id: str, **overrides: Any) -> dict[str, Any]:
    response = http.post(SAVE, json=card_body(customer_external_id, **overrides))
    Envelope[StoredCardRecord].model_validate(response.json())
    return ok_data(response)


def listed(http: httpx.Client, customer_external_id: str) -> list[dict[str, Any]]:
    response = http.post(LIST, json={"customer_external_id": customer_external_id})
    Envelope[StoredCardList].model_validate(response.json())
    return ok_data(response)["cards"]


def delete(http: httpx.Client, customer_external_id: str, token: str, **headers: str) -> httpx.Response:
    body = {"customer_external_id": customer_external_id, "card_token": token}
    return http.request("DELETE", STORAGE, json=body, headers=headers)


def raw_rows(server: SandboxServer, external_id: str, columns: str = "*") -> list[tuple[Any, ...]]:
    """The customer's `stored_card` rows as SQLite holds them, oldest first."""
    query = text(f"SELECT {columns} FROM stored_card WHERE customer_id = :id ORDER BY id")
    with server.sandbox.store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query, {"id": customer_row(server, external_id).id})]


def rows_of(server: SandboxServer, external_id: str) -> list[tuple[Any, ...]]:
    return raw_rows(server, external_id, "token")


def find(server: SandboxServer, external_id: str, token: str) -> StoredCard:
    """`service.find_card` as the card-payments package calls it, for a demo customer."""
    owner = customer_row(server, external_id)
    with server.sandbox.store.session() as session:
        return service.find_card(session, owner.partner_id, owner.id, token)


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
    assert service.fingerprint(VISA, 42) == fingerprint != service.fingerprint(VISA, 7)


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


def test_save_card_missing_and_unknown_fields_are_refused(demo: httpx.Client, owner: str) -> None:
    body = card_body(owner, card_pin="0000")
    del body["card_cvv"]

    response = demo.post(SAVE, json=body, headers=EN)

    assert field_errors(response) == {
        "card_cvv": ["This field is required."],
        "card_pin": ["This field is not allowed."],
    }


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


# -- List ----------------------------------------------------------------------------------------------


def test_list_cards_in_creation_order(demo: httpx.Client, owner: str) -> None:
    saved = [
        save(demo, owner, card_number=number, card_cvv=cvv)
        for number, cvv in (("5555555555554444", "123"), (VISA, "123"), ("378282246310005", "1234"))
    ]

    assert listed(demo, owner) == saved


def test_list_cards_shows_only_this_customers_cards(demo: httpx.Client, cards: SandboxServer) -> None:
    owner, other = customer(cards), customer(cards)
    mine = save(demo, owner)
    save(demo, other, card_number="5555555555554444")

    assert listed(demo, owner) == [mine]


def test_list_cards_customer_without_cards_is_empty(demo: httpx.Client, owner: str) -> None:
    assert listed(demo, owner) == []


def test_list_cards_unknown_customer_is_404(demo: httpx.Client) -> None:
    error_body(demo.post(LIST, json={"customer_external_id": "NO-SUCH-CUSTOMER"}), 404, "customer_not_found")


def test_list_cards_of_another_partners_customer_is_404(
    demo: httpx.Client, owner: str, acme: httpx.Client
) -> None:
    save(demo, owner)

    error_body(acme.post(LIST, json={"customer_external_id": owner}), 404, "customer_not_found")


# -- Delete --------------------------------------------------------------------------------------------


def test_delete_card_forgets_it(demo: httpx.Client, owner: str, cards: SandboxServer) -> None:
    kept = save(demo, owner, card_number="5555555555554444")
    token = save(demo, owner)["card_token"]

    response = delete(demo, owner, token)

    Envelope[CardDeleted].model_validate(response.json())
    assert ok_data(response) == {"card_token": token, "deleted": True}
    assert listed(demo, owner) == [kept]
    assert rows_of(cards, owner) == [(kept["card_token"],)]


def test_delete_card_unknown_token_is_404(demo: httpx.Client, owner: str) -> None:
    response = delete(demo, owner, "x" * 32, **EN)

    assert error_body(response, 404, "card_token_not_found")["message"] == "Stored card not found."


def test_delete_card_of_another_customer_is_404_and_keeps_it(
    demo: httpx.Client, cards: SandboxServer
) -> None:
    owner, other = customer(cards), customer(cards)
    card = save(demo, owner)

    error_body(delete(demo, other, card["card_token"]), 404, "card_token_not_found")
    assert listed(demo, owner) == [card]


def test_delete_card_by_another_partner_is_404_and_keeps_it(
    demo: httpx.Client, owner: str, acme: httpx.Client
) -> None:
    card = save(demo, owner)

    error_body(delete(acme, owner, card["card_token"]), 404, "customer_not_found")
    assert listed(demo, owner) == [card]


def test_delete_card_with_own_customer_and_another_partners_token_is_404(
    demo: httpx.Client, acme: httpx.Client, cards: SandboxServer
) -> None:
    acme_card = save(acme, customer(cards, partner="acme"))

    error_body(delete(demo, customer(cards), acme_card["card_token"]), 404, "card_token_not_found")


def test_delete_card_missing_token_is_refused(demo: httpx.Client, owner: str) -> None:
    response = demo.request("DELETE", STORAGE, json={"customer_external_id": owner})

    assert list(field_errors(response)) == ["card_token"]


# -- find_card (for card-token payments) -----------------------------------------------------------------


def test_find_card_returns_the_customers_stored_card(
    demo: httpx.Client, owner: str, cards: SandboxServer
) -> None:
    token = save(demo, owner)["card_token"]

    card = find(cards, owner, token)

    assert (card.token, card.card_number, card.scenario) == (token, "404809******7528", "approve")


def test_find_card_keeps_what_the_magic_card_does(
    demo: httpx.Client, owner: str, cards: SandboxServer
) -> None:
    token = save(demo, owner, card_number="4000000000009995")["card_token"]

    assert find(cards, owner, token).scenario == "insufficient_funds"


def test_find_card_of_another_customer_raises_card_token_not_found(
    demo: httpx.Client, cards: SandboxServer
) -> None:
    token = save(demo, customer(cards))["card_token"]

    with pytest.raises(SandboxError) as raised:
        find(cards, customer(cards), token)

    assert (raised.value.key, raised.value.status_code) == ("card_token_not_found", 404)
