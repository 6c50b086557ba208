"""README.md is the front door: the two commands, a first request, the doors and the endpoint table.
What it says must be what the code does; the rest of the manual is docs/ (tests/unit/test_docs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.app import create_app
from sandbox.config import Settings
from tests.support.markdown import table_rows

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_setup_commands() -> None:
    head = README.split("\n## ", 1)[0]
    assert "make run" in head
    assert "make test" in head


def test_readme_stays_a_front_door_under_200_lines() -> None:
    assert len(README.splitlines()) < 200


def test_readme_links_into_docs_name_existing_pages() -> None:
    links = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", README)
    assert links, "README.md links to no page of the manual"
    assert [link for link in links if not (ROOT / link).is_file()] == []


def test_readme_marks_the_endpoint_table_the_manual_includes() -> None:
    # docs/api.md includes this section (pymdownx.snippets): the markers must enclose the table.
    section = re.search(r"\[start:emulated\] -->\n(.*?)\n<!-- --8<-- \[end:emulated\]", README, re.DOTALL)
    assert section, "README.md lost the emulated-endpoint section markers"
    assert "| endpoint | partner name | fidelity | notes |" in section.group(1)
    assert '--8<-- "README.md:emulated"' in (ROOT / "docs" / "api.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def openapi() -> dict:
    return create_app(Settings(database_url="sqlite://")).openapi()


def test_endpoint_table_lists_every_partner_route_with_its_openapi_fidelity(openapi: dict) -> None:
    in_readme = {}
    for row in table_rows(README, "endpoint"):
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
