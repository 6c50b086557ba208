"""The manual (docs/): its reference tables are rendered from the code at build time by the MkDocs hook
scripts/docs_reference.py; these tests read each table back and compare it with the code, and check
the hand-written fidelity table against the contract suite's declarations."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.core.i18n import MESSAGES
from sandbox.core.profile import RULES
from sandbox.domain.cards import MAGIC_CARDS
from sandbox.domain.fees import FEE_TABLE
from sandbox.partner.customers.service import KYC_DECISIONS
from tests.contract.fidelity import DIFFERENCES, VALUE_NOTES
from tests.contract.pages import page, pages
from tests.support.markdown import table_rows

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
_spec = importlib.util.spec_from_file_location("docs_reference", ROOT / "scripts" / "docs_reference.py")
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)


def rendered(page_path: str) -> str:
    """A docs page as the site shows it: its reference markers replaced by the tables."""
    return reference.render((DOCS / page_path).read_text(encoding="utf-8"))


def test_every_reference_table_is_on_a_page_and_every_marker_names_one() -> None:
    used = {
        name
        for path in DOCS.rglob("*.md")
        for name in reference.MARKER.findall(path.read_text(encoding="utf-8"))
    }
    assert used == set(reference.TABLES)


def test_an_unknown_reference_table_fails_the_build() -> None:
    with pytest.raises(ValueError, match="unknown reference table 'nope'"):
        reference.render("intro\n<!-- reference: nope -->\n")


def test_error_catalogue_page_equals_the_code_catalogue() -> None:
    documented = {
        row[0].strip("`"): (int(row[1]), row[2], row[3]) for row in table_rows(rendered("errors.md"), "key")
    }
    assert documented == MESSAGES


def test_configuration_page_lists_every_setting_with_its_default_and_description() -> None:
    rows = table_rows(rendered("configuration.md"), "variable")
    assert [row[0].strip("`") for row in rows] == [
        f"SANDBOX_{name.upper()}" for name in Settings.model_fields
    ]
    by_name = {row[0].strip("`"): row for row in rows}
    assert by_name["SANDBOX_SEED"][1:] == ["`42`", Settings.model_fields["seed"].description]
    assert by_name["SANDBOX_PARTNERS"][1] == "`demo:demo-secret,acme:acme-secret`"
    assert by_name["SANDBOX_DIGEST_ALLOW_LEGACY"][1] == "`true`"
    assert by_name["SANDBOX_CONTROL_TOKEN"][1] == "empty"


def test_profile_page_says_what_each_rule_does_in_each_profile() -> None:
    documented = [
        tuple(cell.strip("`") if i == 0 else cell for i, cell in enumerate(row))
        for row in table_rows(rendered("manual/profiles.md"), "rule")
    ]
    assert documented == [(r.key, r.applies_to, r.strict, r.lenient) for r in RULES.values()]


def test_magic_values_page_lists_every_magic_card_and_kyc_number() -> None:
    rows = table_rows(rendered("manual/magic-values.md"), "value")
    values = [row[0] for row in rows]
    cards = [re.search(r"card number `([0-9]+)`", value) for value in values]
    assert [card.group(1) for card in cards if card] == list(MAGIC_CARDS)
    numbers = {number for value in values for number in re.findall(r"`([0-9]{10,11})`", value)}
    assert numbers == set(KYC_DECISIONS)
    outcomes = {row[0]: row[2] for row in rows}
    assert outcomes["card number `4000000000009995` (Visa)"] == (
        "3-D: declined `51` Yetersiz bakiye / Insufficient funds"
    )
    assert outcomes["card number `5555555555554444` (Mastercard)"] == (
        "no 3-D: success inside the buy request (`is_3d: false`, Completed at once)"
    )
    assert outcomes["identity_number `11111111110` (business `1111111111`)"].startswith(
        "KYC `rejected`, reason `identity_verification_failed`;"
    )


def test_delivery_page_publishes_the_fee_table_the_sandbox_charges_from() -> None:
    documented = [tuple(row) for row in table_rows(rendered("manual/delivery.md"), "sku")]
    assert documented == [
        (t.sku, f"{t.min_grams}–{t.max_grams}", f"{t.minting:.2f}", f"{t.shipping:.2f}", f"{t.per_gram:.2f}")
        for t in FEE_TABLE
    ]
    assert ("GAU", "1–4", "60.00", "35.00", "95.00") in documented


def test_fidelity_table_has_a_row_per_documented_page_naming_its_declared_differences() -> None:
    contract = (DOCS / "contract.md").read_text(encoding="utf-8")
    rows = {
        re.search(r"\((https://docs\.mintedconnect\.com/[^)]*)\)", row[0]).group(1): row
        for row in table_rows(contract, "page")
    }
    assert sorted(rows) == sorted(page(name)["source"] for name in pages())
    for name, differences in DIFFERENCES.items():
        row = " | ".join(rows[page(name)["source"]])
        assert [path for path in differences.reasons() if f"`{path}`" not in row] == [], name
    for name, notes in VALUE_NOTES.items():
        row = " | ".join(rows[page(name)["source"]])
        assert all(note.split("`")[1] in row for note in notes), name
