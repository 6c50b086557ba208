"""The partner docs' pages (fixtures/docs/, one JSON file per page, values as printed) and the Apidog
placeholders in their examples, bound to values an integrator would put there."""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "fixtures" / "docs"
# `{{name}}` is an Apidog variable; `{% faker x %}` a template Apidog renders with fake data.
VARIABLE = re.compile(r"\{\{(\w+)\}\}")
FAKER = re.compile(r"\{% faker ([\w.]+) %\}")
# The archived pages hide every e-mail address behind this text (Cloudflare's obfuscation).
HIDDEN_EMAIL = "[email protected]"
FAKE_NAMES = {"name.firstName": "Deniz", "name.lastName": "Arslan"}


@cache
def page(name: str) -> dict[str, Any]:
    return json.loads((DOCS / f"{name}.json").read_text(encoding="utf-8"))


def pages() -> list[str]:
    return sorted(path.stem for path in DOCS.glob("*.json"))


def request_example(name: str, index: int = 0) -> Any:
    """A request body as the page prints it (a copy: tests bind it)."""
    return copy.deepcopy(page(name)["request_examples"][index])


def response_example(name: str) -> Any:
    """The page's 200 example: parsed JSON when full, the visible text (a str) when cut off."""
    return page(name)["responses"][0]["example"]


def headers(name: str) -> list[tuple[str, str]]:
    """The headers the page's generated curl sample sends: the empty `api-version` and `x-client-id`
    it always adds, then `api-version` with the page's example (2 unless it says 3) and `tr`."""
    version = next((h.get("example") for h in page(name)["headers"] if h["name"] == "api-version"), None)
    return [
        ("api-version", ""),
        ("x-client-id", ""),
        ("api-version", version or "2"),
        ("Accept-Language", "tr"),
    ]


def fake(template: str) -> str:
    """What Apidog's faker template would render (a fresh uuid or letter; fixed names and e-mail)."""
    if template == "datatype.uuid":
        return str(uuid.uuid4())
    if template == "random.alphaNumeric":
        return uuid.uuid4().hex[0]
    if template == "internet.email":
        return f"integrator.{uuid.uuid4().hex[:8]}@example.com"
    return FAKE_NAMES[template]


def bind(value: Any, variables: Mapping[str, Any]) -> Any:
    """The example with its placeholders filled: `{{name}}` from `variables` (as text, as Apidog puts
    it inside the JSON string), faker templates with fresh values, a hidden e-mail with `variables`'
    `email` (or a fresh address)."""
    if isinstance(value, dict):
        return {key: bind(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [bind(item, variables) for item in value]
    if not isinstance(value, str):
        return value
    if value == HIDDEN_EMAIL:
        return variables.get("email") or fake("internet.email")
    value = VARIABLE.sub(lambda match: str(variables[match[1]]), value)
    return FAKER.sub(lambda match: fake(match[1]), value)


def placeholders(value: Any) -> set[str]:
    """The Apidog variables an example (or a path) still holds."""
    text = json.dumps(value, ensure_ascii=False)
    return set(VARIABLE.findall(text)) | {f"faker {name}" for name in FAKER.findall(text)}
