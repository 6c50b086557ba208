"""Every response example the partner docs print is matched by the sandbox's answer to its request:
keys and their order at every level, JSON types, date and money formats, guid and order_code casing.

A cut-off example is compared on its visible text; what a page differs in on purpose is declared in
tests/contract/fidelity.py with its reason (and printed in docs/contract.md's Fidelity table).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.contract.compare import compare, visible
from tests.contract.docs import Docs, fresh_id, ok
from tests.contract.fidelity import DIFFERENCES
from tests.contract.pages import bind, pages, request_example, response_example

sandbox_only = pytest.mark.sandbox_only


def assert_matches(name: str, response: httpx.Response) -> None:
    """The answer's structure is the page's example's, but for the page's declared differences."""
    ok(response)
    example = response_example(name)
    if isinstance(example, str):
        shown = visible(example)
        problems = compare(
            shown.document,
            response.json(),
            DIFFERENCES[name],
            open_paths=shown.open_paths,
            partial_key=shown.partial_key,
        )
    else:
        problems = compare(example, response.json(), DIFFERENCES[name])
    assert problems == [], "\n".join(problems)


def test_price_fix_answer_matches_the_example(docs: Docs) -> None:
    customer = docs.create_customer()
    body = bind(
        request_example("price-fix-get-prices-from-amount"), {"external_customer_id": customer["external_id"]}
    )
    assert_matches("price-fix-get-prices-from-amount", docs.send("price-fix-get-prices-from-amount", body))


@sandbox_only
def test_get_order_alternative_answer_matches_the_example(docs: Docs) -> None:
    """The seed page's own order, seeded as printed (its request names it by guid)."""
    body = {"guid": "896AE1AC-E26F-4291-80B2-BF80DE0A920A", "push_hook": True}
    assert_matches("get-order-alternative", docs.send("get-order-alternative", body))


@sandbox_only
def test_card_payment_get_order_answer_matches_the_example(docs: Docs) -> None:
    response = docs.send("card-payment-get-order", variables={"external_order_id": "HYAQA01714rqz"})
    assert_matches("card-payment-get-order", response)


def test_get_order_answer_matches_the_older_example_but_for_the_newer_shape(docs: Docs) -> None:
    external_id = docs.buy(customer_external_id=fresh_id("MTD"))["orders"][0]["external_id"]
    assert_matches("get-order", docs.send("get-order", variables={"external_order_id": external_id}))


@sandbox_only
def test_card_payment_buy_answer_matches_the_visible_example(docs: Docs) -> None:
    body = bind(
        request_example("card-payment-buy-with-card-token"), {"price_token": docs.price_fix("1801262568")}
    )
    assert_matches("card-payment-buy-with-card-token", docs.send("card-payment-buy-with-card-token", body))


def test_create_customer_answer_matches_the_visible_example(docs: Docs) -> None:
    """Sent with the fields the example's customer shows (the rest come back null, as printed)."""
    body = {
        "external_id": fresh_id("MTD"),
        "firstname": "Mehmet",
        "lastname": "Gülbilge",
        "email": "m@example.com",
    }
    assert_matches("create-customer", docs.send("create-customer", body))


@sandbox_only
def test_get_customer_answer_matches_the_visible_example(docs: Docs) -> None:
    assert_matches("get-customer", docs.send("get-customer", path="/partner/customer/555555"))


@sandbox_only
def test_customer_balance_answer_as_printed_matches_the_visible_example(docs: Docs) -> None:
    assert_matches("customer-balance", docs.send("customer-balance"))


def test_customer_balance_answer_for_your_customer_matches_the_visible_example(docs: Docs) -> None:
    external_id = fresh_id("MTD")
    docs.buy(customer_external_id=external_id)
    assert_matches(
        "customer-balance", docs.send("customer-balance", path=f"/partner/balance/customer/{external_id}")
    )


def test_delivery_create_answer_matches_the_visible_example(docs: Docs) -> None:
    external_id = fresh_id("MTD")
    docs.buy(customer_external_id=external_id, product_id=3000001)
    body = bind(request_example("delivery-create-pay-with-cash"), {"customer_external_id": external_id})
    assert_matches("delivery-create-pay-with-cash", docs.send("delivery-create-pay-with-cash", body))


def test_every_printed_response_example_is_compared_here() -> None:
    """A page with a response example (full or cut off) has a test above and a DIFFERENCES entry."""
    source = Path(__file__).read_text(encoding="utf-8")
    printed = {name for name in pages() if response_example(name) is not None}
    assert printed == set(DIFFERENCES)
    assert [name for name in printed if source.count(f'"{name}"') < 2] == []
