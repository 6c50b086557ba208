"""README.md is part of the contract: its tables must say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.app import create_app
from sandbox.config import Settings
from sandbox.core.i18n import MESSAGES

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
        in_readme[(method.lower(), path)] = row[2].replace(" ", "-")
    in_spec = {
        (method, path): operation["x-fidelity"]
        for path, operations in openapi["paths"].items()
        if path.startswith("/partner/")
        for method, operation in operations.items()
    }
    assert in_readme == in_spec


def test_readme_documents_every_setting_as_an_environment_variable() -> None:
    missing = [name for name in Settings.model_fields if f"SANDBOX_{name.upper()}" not in README]
    assert missing == []
