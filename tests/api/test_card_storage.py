"""Card storage (sandbox decision, docs/design/contract.md §2 row 24): List and Delete a customer's cards
and the
find_card lookup card-token payments use, through a dedicated server on a frozen clock (2025-03-10
12:30:15 Istanbul), with real Digest clients. Add is in test_card_storage_save.py."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.core.errors import SandboxError
from sandbox.domain.payments import find_card
from sandbox.partner.cards.schemas import CardDeleted
from sandbox.store.models import StoredCard
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from tests.api.card_storage_support import EN, LIST, STORAGE, VISA, customer, delete, listed, rows_of, save
from tests.api.helpers import error_body, field_errors, ok_data
from tests.support.clients import partner_client
from tests.support.constants import ACME, DEMO
from tests.support.trading import FROZEN_AT, customer_row


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


def find(server: SandboxServer, external_id: str, token: str) -> StoredCard:
    """`find_card` as the card-payments package calls it, for a demo customer."""
    owner = customer_row(server, external_id)
    with server.sandbox.store.session() as session:
        return find_card(session, owner.partner_id, owner.id, token)


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
