"""README.md is part of the contract: its tables must say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.app import create_app
from sandbox.config import Settings
from sandbox.core.i18n import MESSAGES
from sandbox.core.profile import RULES
from sandbox.partner.customers.service import KYC_DECISIONS
from sandbox.partner.payments.cards import MAGIC_CARDS
from tests.contract.fidelity import DIFFERENCES, VALUE_NOTES
from tests.contract.pages import page, pages

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _table_rows(first_header: str) -> list[list[str]]:
    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip("|"))])
    return rows


def test_readme_starts_with_the_two_setup_commands() -> None:
    head = README.split("\n## ", 1)[0]
    assert "make run" in head
    assert "make test" in head


def test_error_catalogue_in_readme_equals_the_code_catalogue() -> None:
    documented = {row[0].strip("`"): (int(row[1]), row[2], row[3]) for row in _table_rows("key")}
    assert documented == MESSAGES


@pytest.fixture(scope="module")
def openapi() -> dict:
    return create_app(Settings(database_url="sqlite://")).openapi()


def test_endpoint_table_lists_every_partner_route_with_its_openapi_fidelity(openapi: dict) -> None:
    in_readme = {}
    for row in _table_rows("endpoint"):
        method, path = row[0].strip("`").split(" ", 1)
        invented = re.search(r"Invented: (.*)$", row[3])
        in_readme[(method.lower(), path)] = (
            {"sandbox decision": "sandbox-decision"}.get(row[2], row[2]),
            invented.group(1) if invented else None,
        )
    in_spec = {
        (method, path): (operation["x-fidelity"], operation.get("x-fidelity-invented"))
        for path, operations in openapi["paths"].items()
        if path.startswith("/partner/")
        for method, operation in operations.items()
    }
    assert in_readme == in_spec


def test_readme_documents_every_setting_as_an_environment_variable() -> None:
    missing = [name for name in Settings.model_fields if f"SANDBOX_{name.upper()}" not in README]
    assert missing == []


def test_profile_table_says_what_each_rule_does_in_each_profile() -> None:
    documented = [
        tuple(cell.strip("`") if i == 0 else cell for i, cell in enumerate(row))
        for row in _table_rows("rule")
    ]
    assert documented == [(r.key, r.applies_to, r.strict, r.lenient) for r in RULES.values()]


def test_magic_values_table_lists_every_magic_card_and_kyc_number() -> None:
    values = [row[0] for row in _table_rows("value")]
    cards = [re.search(r"card number `([0-9]+)`", value) for value in values]
    assert [card.group(1) for card in cards if card] == list(MAGIC_CARDS)
    numbers = {number for value in values for number in re.findall(r"`([0-9]{10,11})`", value)}
    assert numbers == set(KYC_DECISIONS)


def test_fidelity_table_has_a_row_per_documented_page_naming_its_declared_differences() -> None:
    rows = {
        re.search(r"\((https://docs\.mintedconnect\.com/[^)]*)\)", row[0]).group(1): row
        for row in _table_rows("page")
    }
    assert sorted(rows) == sorted(page(name)["source"] for name in pages())
    for name, differences in DIFFERENCES.items():
        row = " | ".join(rows[page(name)["source"]])
        assert [path for path in differences.reasons() if f"`{path}`" not in row] == [], name
    for name, notes in VALUE_NOTES.items():
        row = " | ".join(rows[page(name)["source"]])
        assert all(note.split("`")[1] in row for note in notes), name
