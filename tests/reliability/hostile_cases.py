"""The hostile-input table (issue 7, part 2, item 2): requests built from the app's own OpenAPI.

Every partner operation gets the cases that fit its shape: header cases for all, hostile path ids
for path-parameter routes, hostile filters for query routes, and the body table for routes with a
JSON body. Each body is invalid in at least one required way (a required field left out, a wrong
type, an unknown field, ...), so no case is a legitimate write.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tests.reliability.fuzz_support import app_spec, operation, operations

NUL = "ab\x00cd"
RTL_EMOJI = "\u202eevil\u202c 👨\u200d👩\u200d👧 مرحبا 🏳️\u200d🌈"
SQLI = "' OR 1=1; DROP TABLE orders; --"
TRAVERSAL = "../../../../etc/passwd"
HOSTILE_STRINGS = {"nul": NUL, "rtl-emoji": RTL_EMOJI, "sqli": SQLI, "traversal": TRAVERSAL}
PATH_STRINGS = {**HOSTILE_STRINGS, "encoded-traversal": "..%2F..%2Fetc%2Fpasswd", "long": "x" * 10_000}
# Raw JSON number tokens (NaN and Infinity are not JSON; 1e309 overflows a double).
NUMBERS = {
    "negative": "-1",
    "zero": "0",
    "nan": "NaN",
    "infinity": "Infinity",
    "minus-infinity": "-Infinity",
    "1e309": "1e309",
    "30-decimals": "0.123456789012345678901234567891",
    # issue 13: past every limit (and the store's 64-bit millionths), a sub-cent amount, and digits of
    # another script written as text (Decimal alone reads "١٢" as 12).
    "1e13": "1e13",
    "tiny": "0.0001",
    "arabic-indic-text": '"١٢"',
}
NON_FINITE = {"nan", "infinity", "minus-infinity", "1e309"}
UNKNOWN_FIELD = "zzz_unknown_field"
CARD_NUMBER = "4048095010857528"  # the documented test card
CARD_CVV = "987"


@dataclass(frozen=True)
class Case:
    """One hostile request. `fields`: when the answer is a 422 validation_failed, at least one key
    of `data.errors` must start with one of these (empty: any documented field will do)."""

    id: str
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    fields: tuple[str, ...] = ()
    expect_status: int | None = None
    expect_error: str | None = None
    # A read may legitimately answer 200 to a hostile filter, as long as nothing matches.
    read_may_match_nothing: bool = False


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = app_spec()["components"]["schemas"][name]
    return schema


def _variants(schema: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return [v for sub in schema[key] for v in _variants(sub)]
    return [schema]


def body_schema(method: str, path: str) -> dict[str, Any] | None:
    request = operation(method, path).get("requestBody")
    if not request:
        return None
    return _resolve(request["content"]["application/json"]["schema"])


def _leaves(schema: dict[str, Any], kinds: set[str], depth: int = 0) -> Any:
    """A skeleton holding a marker at every leaf of `kinds` ("string", "number"), or None if none."""
    if depth > 6:
        return None
    for variant in _variants(schema):
        kind = variant.get("type")
        if kind in kinds or (kind == "integer" and "number" in kinds):
            return _Marker()
        if kind == "object" or "properties" in variant:
            children = {
                name: child
                for name, sub in variant.get("properties", {}).items()
                if (child := _leaves(sub, kinds, depth + 1)) is not None
            }
            if children:
                return children
        if kind == "array" and "items" in variant:
            child = _leaves(variant["items"], kinds, depth + 1)
            if child is not None:
                return [child]
    return None


class _Marker:
    pass


def _render(skeleton: Any, token: str) -> str:
    """JSON text of the skeleton with `token` (raw JSON) at every marker."""
    if isinstance(skeleton, _Marker):
        return token
    if isinstance(skeleton, list):
        return "[" + ",".join(_render(item, token) for item in skeleton) + "]"
    return "{" + ",".join(f"{json.dumps(k)}:{_render(v, token)}" for k, v in skeleton.items()) + "}"


def _paths(skeleton: Any, prefix: str = "") -> list[str]:
    """The `data.errors` keys the markers would be reported under (list index 0)."""
    if isinstance(skeleton, _Marker):
        return [prefix]
    if isinstance(skeleton, list):
        return _paths(skeleton[0], f"{prefix}.0" if prefix else "0")
    return [p for k, v in skeleton.items() for p in _paths(v, f"{prefix}.{k}" if prefix else k)]


def _path_params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def _fill(path: str, value: str) -> str:
    for name in _path_params(path):
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def _query_params(method: str, path: str) -> list[str]:
    return [p["name"] for p in operation(method, path).get("parameters", []) if p["in"] == "query"]


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def cases_for(method: str, path: str) -> Iterator[Case]:
    label = f"{method} {path}"
    plausible = _fill(path, "hostile-id-1")
    yield Case(
        f"{label} | header host rebinding",
        method,
        plausible,
        body=b"{}" if body_schema(method, path) else None,
        headers={"host": "rebind.attacker.example"},
        expect_status=421,
        expect_error="host_not_allowed",
    )
    yield Case(
        f"{label} | header api-version sqli",
        method,
        plausible,
        body=b"{}" if body_schema(method, path) else None,
        headers={"api-version": SQLI},
        fields=("api-version",),
        expect_status=422,
        expect_error="invalid_header",
    )
    for name, value in PATH_STRINGS.items() if _path_params(path) else ():
        yield Case(
            f"{label} | path {name}",
            method,
            _fill(path, value),
            body=b"{}" if body_schema(method, path) else None,
        )
    query = _query_params(method, path)
    for name, value in HOSTILE_STRINGS.items() if query else ():
        yield Case(
            f"{label} | query {name}",
            method,
            plausible,
            params=dict.fromkeys(query, value),
            fields=tuple(query),
            read_may_match_nothing=method == "GET",
        )
    schema = body_schema(method, path)
    if schema is None:
        return
    yield from _body_cases(label, method, plausible, schema)


def _body_cases(label: str, method: str, target: str, schema: dict[str, Any]) -> Iterator[Case]:
    props = list(schema.get("properties", {}))
    required = list(schema.get("required", [])) or props[:1]

    def case(name: str, body: bytes, **kwargs: Any) -> Case:
        return Case(f"{label} | body {name}", method, target, body=body, **kwargs)

    yield case("malformed json", b'{"a": ', expect_status=422, expect_error="malformed_json")
    yield case("not an object", b"[1, 2, 3]", fields=("body",))
    # Every documented field with a value of the wrong type for it (an object inside a list).
    yield case("wrong types", _json({key: [{"wrong": True}] for key in props}), fields=tuple(props))
    numbers = _leaves(schema, {"number"})
    for name, token in NUMBERS.items():
        if numbers is None:
            body = f'{{"{UNKNOWN_FIELD}": {token}}}'.encode()
            yield case(f"number {name}", body, fields=(UNKNOWN_FIELD,))
            continue
        # Only the numeric leaves: every required non-numeric field is missing.
        fields = tuple(_paths(numbers)) if name in NON_FINITE else ()
        yield case(f"number {name}", _render(numbers, token).encode(), fields=fields)
    arrays = [
        n
        for n, sub in schema.get("properties", {}).items()
        if any(v.get("type") == "array" for v in _variants(sub))
    ]
    array_field = arrays[0] if arrays else UNKNOWN_FIELD
    yield case("10000 items", _json({array_field: [{}] * 10_000}), fields=(array_field,))
    nested: Any = "deep"
    for _ in range(100):
        nested = {"a": nested}
    yield case("101-level nesting", _json({required[0]: nested}), fields=(required[0],))
    for _ in range(100):
        nested = {"a": nested}
    yield case(
        "201-level nesting", _json({required[0]: nested}), expect_status=422, expect_error="body_too_deep"
    )
    big = b'{"' + required[0].encode() + b'": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    yield case("2 MiB", big, expect_status=413, expect_error="payload_too_large")
    strings = _leaves(schema, {"string"})
    for name, value in HOSTILE_STRINGS.items():
        if strings is None:
            yield case(f"string {name}", _json({UNKNOWN_FIELD: value}), fields=(UNKNOWN_FIELD,))
            continue
        # Every string leaf hostile, every numeric or boolean field missing.
        yield case(f"string {name}", _render(strings, json.dumps(value, ensure_ascii=False)).encode())
    # Duplicate keys: the last one wins (as in every JSON parser Python ships), and it is wrong.
    first = required[0]
    duplicate = f'{{"{first}": "first", "{first}": [{{"wrong": true}}]}}'.encode()
    yield case("duplicate keys", duplicate, fields=(first,))
    # A card number and CVV where they do not belong: refused, and never kept (the journal check after
    # the table, tests/reliability/test_hostile_inputs.py).
    yield case(
        "card data",
        _json({UNKNOWN_FIELD: CARD_NUMBER, "card_cvv": CARD_CVV}),
        fields=(UNKNOWN_FIELD, "card_cvv"),
    )
    yield case(
        "unknown field",
        _json({UNKNOWN_FIELD: "x", "__proto__": {"admin": True}}),
        fields=(UNKNOWN_FIELD, "__proto__"),
    )


def partner_cases() -> list[Case]:
    return [case for method, path in operations("/partner/") for case in cases_for(method, path)]
