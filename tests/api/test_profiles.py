"""Profiles: every rule the partner docs do not state lets a lenient partner's request through with an
`X-Sandbox-Notice` naming it, and refuses a strict partner's with the rule's error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.config import Settings
from sandbox.core.profile import RULES
from sandbox.testing.server import SandboxServer
from tests.api.delivery_support import CREATE, create_body, deliverable_customer
from tests.api.helpers import error_body, notices, ok_data, partner_profile, set_profile
from tests.support.servers import make_settings
from tests.support.trading import (
    BUY,
    SELL,
    add_customer,
    balance,
    customer_block,
    fix_price,
    fund,
    funded_customer,
    new_id,
)

PROFILE = "/_sandbox/profile"


@pytest.fixture
def control(trading: SandboxServer) -> Iterator[httpx.Client]:
    """The control API; demo back on the server's default profile afterwards."""
    with httpx.Client(base_url=trading.url) as http:
        yield http
    set_profile(trading, None)


@dataclass(frozen=True)
class Case:
    """One rule: a request that breaks it, and what strict answers (status, error key, field)."""

    rule: str
    send: Callable[[httpx.Client, SandboxServer], httpx.Response]
    status: int
    error: str
    field: str | None = None


def _person(**body: Any) -> dict[str, Any]:
    return {"external_id": new_id("PRF"), "firstname": "Deniz", "lastname": "Arslan", **body}


def _b2b_buy(demo: httpx.Client, server: SandboxServer, **body: Any) -> httpx.Response:
    fund(server, amount=Decimal(10_000))
    payload = {"external_id": new_id("BUY"), "items": [{"sku": "GAG", "amount": 1}], **body}
    return demo.post(BUY, json=payload)


def _create(
    body: Callable[..., dict[str, Any]], **fields: Any
) -> Callable[[httpx.Client, SandboxServer], httpx.Response]:
    return lambda demo, _: demo.post("/partner/customer", json=body(**fields))


def _b2b_buy_in_usd_at_a_try_price(demo: httpx.Client, server: SandboxServer) -> httpx.Response:
    return _b2b_buy(demo, server, price_token=fix_price(demo)["token"], currency_code="USD")


def _token_of_another_customer(demo: httpx.Client, server: SandboxServer) -> httpx.Response:
    owner, buyer = funded_customer(server), funded_customer(server)
    token = fix_price(demo, customer_external_id=owner)["token"]
    body = {"price_token": token, "external_id": new_id("BUY"), "customer": {"external_id": buyer},
            "items": [{"sku": "GAG", "amount": 1}]}  # fmt: skip
    return demo.post(BUY, json=body)


def _buy_for_a_customer_without_cash(demo: httpx.Client, server: SandboxServer) -> httpx.Response:
    customer = new_id("CSH")
    add_customer(server, customer)
    token = fix_price(demo, customer_external_id=customer)["token"]
    body = {"price_token": token, "external_id": new_id("BUY"), "customer": {"external_id": customer},
            "items": [{"sku": "GAG", "amount": 2}]}  # fmt: skip
    return demo.post(BUY, json=body)


def _sell_for_pending_kyc(demo: httpx.Client, server: SandboxServer) -> httpx.Response:
    customer = funded_customer(server, "GAG", Decimal(5), kyc_status="pending")
    token = fix_price(demo, customer_external_id=customer)["token"]
    body = {"price_token": token, "external_id": new_id("SEL"), "customer": {"external_id": customer},
            "items": [{"sku": "GAG", "amount": 1}]}  # fmt: skip
    return demo.post(SELL, json=body)


def _update_with_other_external_id(demo: httpx.Client, server: SandboxServer) -> httpx.Response:
    body = _person(identity_number="10000000146", phone="+905321112233")
    ok_data(demo.post("/partner/customer", json=body))
    update = {**body, "external_id": "someone-else"}
    return demo.patch(f"/partner/customer/{body['external_id']}", json=update)


def _delivery_to_the_docs_address(demo: httpx.Client, server: SandboxServer) -> httpx.Response:
    docs_address = {
        "company_name": "Şirket Adı", "fullname": "John Due", "city": "İstanbul", "county": "Beykoz",
        "district": "Acarlar Mah.", "address": "No: 37/4",
    }  # fmt: skip
    address = {"billing": {**docs_address, "invoice_type": "Individual"}, "shipping": docs_address}
    return demo.post(CREATE, json=create_body(deliverable_customer(server), address=address))


# fmt: off
CASES = [
    Case("identity_number", _create(_person, identity_number="12345677938"), 422, "validation_failed",
         "identity_number"),
    Case("customer_names", _create(lambda: {"external_id": new_id("PRF")}), 422, "validation_failed",
         "firstname"),
    Case("unknown_fields", _create(_person, nickname="Den"), 422, "validation_failed", "nickname"),
    Case("api_version", lambda demo, _: demo.get("/partner/orders/statuses", headers={"api-version": "7"}),
         422, "invalid_header", "api-version"),
    Case("price_token_required", _b2b_buy, 422, "validation_failed", "price_token"),
    Case("price_token_currency", _b2b_buy_in_usd_at_a_try_price, 422, "price_token_currency_mismatch",
         "currency_code"),
    Case("price_token_customer", _token_of_another_customer, 403, "price_token_customer_mismatch"),
    Case("customer_cash", _buy_for_a_customer_without_cash, 422, "insufficient_balance"),
    Case("kyc_approved", _sell_for_pending_kyc, 403, "kyc_required"),
    Case("update_external_id", _update_with_other_external_id, 422, "customer_id_mismatch", "external_id"),
    Case("delivery_address", _delivery_to_the_docs_address, 422, "validation_failed",
         "address.billing.zipcode"),
]
# fmt: on


def test_every_rule_has_a_case() -> None:
    assert [case.rule for case in CASES] == list(RULES)


@pytest.mark.parametrize("case", CASES, ids=[case.rule for case in CASES])
def test_lenient_partner_request_breaking_a_rule_succeeds_with_its_notice(
    case: Case, demo: httpx.Client, trading: SandboxServer
) -> None:
    response = case.send(demo, trading)

    ok_data(response)
    assert [notice.split(":")[0] for notice in notices(response)] == [case.rule]


@pytest.mark.parametrize("case", CASES, ids=[case.rule for case in CASES])
def test_strict_partner_request_breaking_a_rule_gets_the_rules_error(
    case: Case, demo: httpx.Client, trading: SandboxServer, control: httpx.Client
) -> None:
    set_profile(trading, "strict")

    response = case.send(demo, trading)

    errors = error_body(response, case.status, case.error)["data"].get("errors", {})
    assert (case.field in errors) if case.field else errors == {}
    assert notices(response) == []


def test_lenient_buy_for_a_customer_without_cash_records_the_partners_settlement(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    response = _buy_for_a_customer_without_cash(demo, trading)
    order = ok_data(response)["orders"][0]

    customer = order["customer"]["external_id"]
    assert balance(trading, customer_external_id=customer, asset="TRY") == 0
    assert balance(trading, customer_external_id=customer, asset="GAG") == 2
    assert notices(response) == [
        f"customer_cash: the partner settled {order['total']} TRY the customer's cash wallet lacked"
    ]


def test_lenient_notice_names_the_ignored_unknown_field(demo: httpx.Client) -> None:
    response = demo.post("/partner/customer", json=_person(nickname="Den", shoe_size=42))
    ok_data(response)
    assert notices(response) == ["unknown_fields: ignored nickname, shoe_size"]


def test_lenient_delivery_keeps_the_address_as_sent(demo: httpx.Client, trading: SandboxServer) -> None:
    data = ok_data(_delivery_to_the_docs_address(demo, trading))
    assert data["address"]["shipping"] | {"id": 0} == {
        "id": 0, "external_id": None, "tax_number": None, "fullname": "John Due", "phone": None,
        "city": "İstanbul", "county": "Beykoz", "district": "Acarlar Mah.", "address": "No: 37/4",
        "zipcode": None, "street": None, "company_name": "Şirket Adı",
    }  # fmt: skip


def test_rejected_kyc_refuses_a_sell_in_both_profiles(
    demo: httpx.Client, trading: SandboxServer, control: httpx.Client
) -> None:
    for profile in ("lenient", "strict"):
        set_profile(trading, profile)
        customer = funded_customer(trading, "GAG", Decimal(5), kyc_status="rejected")
        token = fix_price(demo, customer_external_id=customer)["token"]
        body = {"price_token": token, "external_id": new_id("SEL"), "customer": {"external_id": customer},
                "items": [{"sku": "GAG", "amount": 1}]}  # fmt: skip
        error_body(demo.post(SELL, json=body), 403, "kyc_rejected")


def test_strict_new_customer_with_a_bad_identity_number_is_the_new_customer_error(
    demo: httpx.Client, trading: SandboxServer, control: httpx.Client
) -> None:
    set_profile(trading, "strict")
    fund(trading, amount=Decimal(1000))
    block = customer_block(new_id("NEW")) | {"identity_number": "12345677938"}
    body = {"price_token": fix_price(demo)["token"], "external_id": new_id("BUY"), "customer": block,
            "items": [{"sku": "GAG", "amount": 1}]}  # fmt: skip
    errors = error_body(demo.post(BUY, json=body), 422, "new_customer_invalid")["data"]["errors"]
    assert list(errors) == ["customer.identity_number"]


# -- the control API --------------------------------------------------------------------------------


def test_profile_view_lists_default_partners_and_every_rule(control: httpx.Client) -> None:
    data = ok_data(control.get(PROFILE))
    assert (data["default"], data["partners"]) == (
        "lenient",
        [{"partner": "demo", "profile": "lenient", "own": False},
         {"partner": "acme", "profile": "lenient", "own": False}],
    )  # fmt: skip
    assert [rule["key"] for rule in data["rules"]] == list(RULES)


def test_profile_set_for_one_partner_leaves_the_other_lenient(
    trading: SandboxServer, demo: httpx.Client, acme: httpx.Client
) -> None:
    body = _person(identity_number="12345677938")
    with partner_profile(trading, "strict", "acme"):
        error_body(acme.post("/partner/customer", json=body), 422, "validation_failed")
        ok_data(demo.post("/partner/customer", json=body))


def test_profile_is_kept_by_a_reset_and_dropped_by_a_full_reset(
    trading: SandboxServer, control: httpx.Client
) -> None:
    set_profile(trading, "strict")
    ok_data(control.post("/_sandbox/reset"))
    assert ok_data(control.get(PROFILE))["partners"][0] == {
        "partner": "demo",
        "profile": "strict",
        "own": True,
    }
    ok_data(control.post("/_sandbox/reset", params={"everything": "true"}))
    assert ok_data(control.get(PROFILE))["partners"][0] == {
        "partner": "demo",
        "profile": "lenient",
        "own": False,
    }


@pytest.mark.parametrize(
    ("body", "status", "key"),
    [
        ({"partner": "nobody", "profile": "strict"}, 404, "partner_not_found"),
        ({"partner": "demo", "profile": "paranoid"}, 422, "validation_failed"),
        ({"partner": "demo"}, 422, "validation_failed"),
    ],
)
def test_profile_bad_request_is_refused(
    control: httpx.Client, body: dict[str, Any], status: int, key: str
) -> None:
    error_body(control.put(PROFILE, json=body), status, key)


def test_strict_setting_makes_every_partner_strict(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings: Settings = make_settings(tmp_path_factory.mktemp("strict"), profile="strict")
    with (
        SandboxServer(settings) as server,
        httpx.Client(
            base_url=server.url, auth=httpx.DigestAuth("acme", "acme-secret"), headers={"x-client-id": "web"}
        ) as acme,
    ):
        error_body(
            acme.post("/partner/customer", json={"external_id": new_id("PRF")}), 422, "validation_failed"
        )
        profile = ok_data(acme.get(server.url + PROFILE, auth=None))
        assert [p["profile"] for p in profile["partners"]] == ["strict", "strict"]
