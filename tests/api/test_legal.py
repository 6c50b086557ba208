"""Partner Legal (sandbox decision, docs/design/contract.md §2 row 32): `{type}` → the legal text in the
request's
language, read from `<fixtures_dir>/legal/<type>.<lang>.md`; and fixtures/README.md lists every fixture."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.core.clock import Clock
from sandbox.partner.legal.schemas import LegalDocument
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from tests.api.helpers import FIXTURES, error_body, field_errors, notices, ok_data
from tests.support.clients import partner_client
from tests.support.constants import DEMO
from tests.support.servers import make_settings

LEGAL = "/partner/legal"
TYPES = ("kvkk", "user-agreement", "pre-information", "distance-sales")
TITLES = {
    ("kvkk", "tr"): "KVKK Aydınlatma Metni",
    ("kvkk", "en"): "Privacy Notice (KVKK)",
    ("user-agreement", "tr"): "Kullanıcı Sözleşmesi",
    ("user-agreement", "en"): "User Agreement",
    ("pre-information", "tr"): "Ön Bilgilendirme Formu",
    ("pre-information", "en"): "Pre-Information Form",
    ("distance-sales", "tr"): "Mesafeli Satış Sözleşmesi",
    ("distance-sales", "en"): "Distance Sales Contract",
}
SAMPLE_MARK = {"tr": "Sandbox örnek metni", "en": "Sandbox sample text"}
DOCUMENT_KEYS = ["type", "title", "version", "content", "url"]
EN = {"Accept-Language": "en"}


def legal(http: httpx.Client, doc_type: Any, **headers: str) -> httpx.Response:
    return http.post(LEGAL, json={"type": doc_type}, headers=headers)


def document(http: httpx.Client, doc_type: str, **headers: str) -> dict[str, Any]:
    response = legal(http, doc_type, **headers)
    Envelope[LegalDocument].model_validate(response.json())
    return ok_data(response)


# -- documents -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("doc_type", "lang"), list(TITLES))
def test_legal_document_in_each_language(client: httpx.Client, doc_type: str, lang: str) -> None:
    data = document(client, doc_type, **{"Accept-Language": lang})

    assert list(data) == DOCUMENT_KEYS
    assert (data["type"], data["title"], data["version"]) == (doc_type, TITLES[doc_type, lang], "2024.06")
    assert data["url"] == f"https://legal.minted-sandbox.example/{lang}/{doc_type}"
    assert SAMPLE_MARK[lang] in data["content"]


@pytest.mark.parametrize("doc_type", TYPES)
def test_legal_document_content_is_the_body_without_front_matter(client: httpx.Client, doc_type: str) -> None:
    content = document(client, doc_type)["content"]

    assert content.startswith("> **Sandbox")
    assert "title:" not in content and "\n---" not in content
    assert len(re.findall(r"^## ", content, flags=re.MULTILINE)) >= 3


def test_legal_document_without_accept_language_is_turkish(client: httpx.Client) -> None:
    assert document(client, "kvkk")["title"] == "KVKK Aydınlatma Metni"


@pytest.mark.parametrize(
    ("header", "title"), [("en-US,en;q=0.9", "User Agreement"), ("de", "Kullanıcı Sözleşmesi")]
)
def test_legal_document_language_follows_accept_language(
    client: httpx.Client, header: str, title: str
) -> None:
    assert document(client, "user-agreement", **{"Accept-Language": header})["title"] == title


@pytest.mark.parametrize("doc_type", TYPES)
def test_legal_document_turkish_and_english_texts_differ(client: httpx.Client, doc_type: str) -> None:
    turkish, english = document(client, doc_type), document(client, doc_type, **EN)

    assert turkish["content"] != english["content"]
    assert turkish["version"] == english["version"]


def test_legal_documents_are_the_same_for_every_partner(
    client: httpx.Client, acme_client: httpx.Client
) -> None:
    assert document(acme_client, "kvkk") == document(client, "kvkk")


# -- failures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc_type", ["privacy", "KVKK", "kvkk.en", "../golden/get-order-alternative", ""])
def test_legal_unknown_type_lists_the_valid_types(client: httpx.Client, doc_type: str) -> None:
    body = error_body(legal(client, doc_type, **EN), 422, "legal_type_unknown")

    valid = "kvkk, user-agreement, pre-information, distance-sales"
    expected = f"Unknown legal document type; valid types: {valid}."
    assert body["message"] == expected
    assert body["data"]["errors"] == {"type": [expected]}


def test_legal_unknown_type_message_is_turkish_by_default(client: httpx.Client) -> None:
    body = error_body(legal(client, "privacy"), 422, "legal_type_unknown")

    assert body["message"].startswith("Bilinmeyen yasal metin türü; geçerli türler: kvkk, ")


def test_legal_missing_type_is_refused(client: httpx.Client) -> None:
    response = client.post(LEGAL, json={}, headers=EN)

    assert field_errors(response) == {"type": ["This field is required."]}


def test_legal_type_not_a_string_is_refused(client: httpx.Client) -> None:
    assert field_errors(legal(client, 7, **EN)) == {"type": ["Must be a string."]}


def test_legal_unknown_field_strict_is_refused(client: httpx.Client, strict: None) -> None:
    response = client.post(LEGAL, json={"type": "kvkk", "lang": "en"})

    assert list(field_errors(response)) == ["lang"]


def test_legal_unknown_field_lenient_is_ignored_with_notice(client: httpx.Client) -> None:
    response = client.post(LEGAL, json={"type": "kvkk", "lang": "en"})

    assert ok_data(response)["title"] == TITLES["kvkk", "tr"]
    assert notices(response) == ["unknown_fields: ignored lang"]


def test_legal_without_digest_is_401(anonymous: httpx.Client) -> None:
    error_body(legal(anonymous, "kvkk"), 401, "authentication_required")


# -- where the texts come from -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_fixtures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A server whose `fixtures_dir` is a folder of its own: a copy of fixtures/ with one rewritten text."""
    folder = tmp_path_factory.mktemp("own-fixtures") / "fixtures"
    shutil.copytree(FIXTURES, folder)
    (folder / "legal" / "kvkk.en.md").write_text(
        "---\ntitle: Own Notice\nversion: 2099.01\nurl: https://own.example/kvkk\n---\nOwn body.\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path_factory.mktemp("own-world"), fixtures_dir=folder, orders=0, customers=1)
    with SandboxServer(settings, nonce_clock=Clock()) as running:
        yield running


def test_legal_texts_are_read_from_the_configured_fixtures_dir(own_fixtures: SandboxServer) -> None:
    with partner_client(own_fixtures, DEMO) as http:
        data = document(http, "kvkk", **EN)

    assert data == {
        "type": "kvkk",
        "title": "Own Notice",
        "version": "2099.01",
        "content": "Own body.",
        "url": "https://own.example/kvkk",
    }


def test_legal_fixtures_are_exactly_every_type_in_both_languages() -> None:
    present = {path.name for path in (FIXTURES / "legal").iterdir()}

    assert present == {f"{doc_type}.{lang}.md" for doc_type, lang in TITLES}


def test_fixtures_readme_lists_every_fixture_file() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    files = sorted(
        path.relative_to(FIXTURES).as_posix()
        for path in FIXTURES.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts  # fixtures/ is a package (setup.py)
    )

    assert [name for name in files if f"`{name}`" not in readme] == []
    assert "golden/get-order-alternative.json" in files


def test_fixtures_readme_lists_no_missing_file() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE)

    assert [name for name in table if not Path(FIXTURES, name).is_file()] == []
