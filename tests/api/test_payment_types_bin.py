"""Payment Get All Types and Bin Query (sandbox decisions): localized type names, the BIN table, the
installment rows and their commissions, and every malformed or unknown BIN. Neither endpoint writes, so
these run against the shared read-only server (one test switches demo to strict for its request)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from sandbox.wire.payments import BinResponse, PaymentType
from tests.api.helpers import field_errors, notices, ok_data, partner_profile
from tests.support.trading import cents, dec

TYPES = "/partner/payment/types"
BIN = "/partner/payment/bin"
# documented (Card Payment Get Order): one installment has no commission. Beyond one, the commission in
# percent before the BIN's own offset (within ±0.50 points).
BASE_RATES = {2: "3.49", 3: "4.49", 6: "7.49", 9: "10.49", 12: "13.49"}
INSTALLMENTS = [1, 2, 3, 6, 9, 12]


def bin_data(http: httpx.Client, bin_text: str, total: float | str = 1000) -> dict[str, Any]:
    response = http.post(BIN, json={"bin": bin_text, "total": total})
    data = ok_data(response)
    Envelope[BinResponse].model_validate(response.json())
    return data


# -- Payment Get All Types -------------------------------------------------------------------------


def test_payment_types_lists_cash_and_credit_card_in_turkish_by_default(client: httpx.Client) -> None:
    response = client.get(TYPES)

    Envelope[list[PaymentType]].model_validate(response.json())
    assert ok_data(response) == [
        {"code": "cash", "name": "Nakit"},
        {"code": "credit-card", "name": "Kredi Kartı"},
    ]


def test_payment_types_in_english_with_accept_language_en(client: httpx.Client) -> None:
    data = ok_data(client.get(TYPES, headers={"Accept-Language": "en-US,en;q=0.9"}))

    assert data == [{"code": "cash", "name": "Cash"}, {"code": "credit-card", "name": "Credit card"}]


def test_payment_types_without_digest_returns_401(anonymous: httpx.Client) -> None:
    assert anonymous.get(TYPES).status_code == 401


# -- Bin Query: known BINs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bin_text", "association", "bank", "card_type", "installments"),
    [
        ("404809", "Visa", "Akbank", "credit", INSTALLMENTS),
        ("400000", "Visa", "Sandbox Bank", "credit", INSTALLMENTS),
        ("540061", "Mastercard", "Garanti BBVA", "credit", INSTALLMENTS),
        ("555555", "Mastercard", "Sandbox Bank", "credit", INSTALLMENTS),
        ("979204", "Troy", "Ziraat Bankası", "debit", [1]),
        ("374245", "Amex", "Garanti BBVA", "credit", [1]),
    ],
)
def test_bin_query_known_bin_names_network_bank_type_and_installments(
    client: httpx.Client, bin_text: str, association: str, bank: str, card_type: str, installments: list[int]
) -> None:
    data = bin_data(client, bin_text)

    assert (data["bin"], data["card_association"], data["bank_name"], data["card_type"]) == (
        bin_text,
        association,
        bank,
        card_type,
    )
    assert [row["installment"] for row in data["installments"]] == installments


@pytest.mark.parametrize("bin_text", ["404809", "540061", "555555", "400000", "979204", "374245", "411111"])
def test_bin_query_single_installment_has_no_commission(client: httpx.Client, bin_text: str) -> None:
    row = bin_data(client, bin_text, "12345.67")["installments"][0]

    assert row == {"installment": 1, "amount_per_installment": 12345.67, "total": 12345.67, "comission": 0}


@pytest.mark.parametrize("bin_text", ["404809", "540061", "555555", "400000"])
def test_bin_query_commission_is_the_base_rate_within_half_a_point(
    client: httpx.Client, bin_text: str
) -> None:
    total = dec("12345.67")

    rows = bin_data(client, bin_text, "12345.67")["installments"][1:]

    assert [row["installment"] for row in rows] == list(BASE_RATES)
    for row in rows:
        base = Decimal(BASE_RATES[row["installment"]]) / 100
        low, high = cents(total * (base - dec("0.005"))), cents(total * (base + dec("0.005")))
        assert low <= dec(row["comission"]) <= high, row


def test_bin_query_one_offset_per_bin_for_every_installment(client: httpx.Client) -> None:
    total = dec(10000)  # 1 % of 10 000 is 100.00: the rate shows exactly in the commission

    rows = bin_data(client, "540061", 10000)["installments"][1:]

    offsets = {dec(row["comission"]) / total * 100 - Decimal(BASE_RATES[row["installment"]]) for row in rows}
    assert len(offsets) == 1
    assert abs(offsets.pop()) <= dec("0.5")


def test_bin_query_row_totals_and_per_installment_amounts_add_up(client: httpx.Client) -> None:
    total = dec("2532.34")

    for row in bin_data(client, "404809", "2532.34")["installments"]:
        assert dec(row["total"]) == total + dec(row["comission"])
        assert dec(row["amount_per_installment"]) == cents(dec(row["total"]) / row["installment"])


def test_bin_query_longer_bin_answers_as_its_first_six_digits(client: httpx.Client) -> None:
    six, eight = bin_data(client, "404809"), bin_data(client, "40480950")

    assert eight["bin"] == "40480950"
    assert {**eight, "bin": "404809"} == six


def test_bin_query_same_question_same_answer(client: httpx.Client) -> None:
    assert bin_data(client, "555555", "99.99") == bin_data(client, "555555", "99.99")


def test_bin_query_rates_differ_between_bins(client: httpx.Client) -> None:
    first = bin_data(client, "404809")["installments"][1]["comission"]
    second = bin_data(client, "555555")["installments"][1]["comission"]

    assert first != second


# -- Bin Query: unknown BINs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bin_text", "association"),
    [
        ("411111", "Visa"),
        ("520000", "Mastercard"),
        ("222100", "Mastercard"),
        ("272099", "Mastercard"),
        ("979299", "Troy"),
        ("340000", "Amex"),
        ("371449", "Amex"),
    ],
)
def test_bin_query_unknown_bin_answers_from_leading_digits_with_one_row(
    client: httpx.Client, bin_text: str, association: str
) -> None:
    data = bin_data(client, bin_text, 500)

    assert (data["card_association"], data["bank_name"]) == (association, None)
    assert [row["installment"] for row in data["installments"]] == [1]


@pytest.mark.parametrize("bin_text", ["601100", "222000", "272100", "979100", "123456", "000000"])
def test_bin_query_no_documented_network_returns_422_invalid_bin(client: httpx.Client, bin_text: str) -> None:
    response = client.post(BIN, json={"bin": bin_text, "total": 100}, headers={"Accept-Language": "en"})

    assert field_errors(response) == {"bin": ["Must be a 6–8 digit BIN."]}


@pytest.mark.parametrize("bin_text", ["40480", "404809501", "40480a", "4048 09", "", "４０４８０９"])
def test_bin_query_malformed_bin_returns_422_invalid_bin(client: httpx.Client, bin_text: str) -> None:
    response = client.post(BIN, json={"bin": bin_text, "total": 100})

    assert field_errors(response) == {"bin": ["6–8 haneli bir BIN olmalıdır."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"bin": "404809", "total": 0}, "total"),
        ({"bin": "404809", "total": -5}, "total"),
        ({"bin": "404809", "total": 1.001}, "total"),
        ({"bin": "404809"}, "total"),
        ({"total": 100}, "bin"),
        ({"bin": 404809, "total": 100}, "bin"),
    ],
)
def test_bin_query_invalid_body_returns_422_on_the_field(
    client: httpx.Client, body: dict[str, Any], field: str
) -> None:
    assert list(field_errors(client.post(BIN, json=body))) == [field]


def test_bin_query_unknown_field_is_ignored_with_a_notice(client: httpx.Client) -> None:
    """Lenient (the default): profile rule `unknown_fields`."""
    response = client.post(BIN, json={"bin": "404809", "total": 100, "currency": "TRY"})

    assert ok_data(response) == bin_data(client, "404809", 100)
    assert notices(response) == ["unknown_fields: ignored currency"]


def test_bin_query_unknown_field_under_strict_returns_422_on_it(
    client: httpx.Client, server: SandboxServer
) -> None:
    with partner_profile(server, "strict"):
        response = client.post(BIN, json={"bin": "404809", "total": 100, "currency": "TRY"})

    assert list(field_errors(response)) == ["currency"]
