"""Comparing a sandbox answer with a documented response example: structure, not values.

Keys and their order at every level, JSON types, and the formats the partner prints (dates, money,
guid and order_code casing) must agree. A cut-off example (kept as its visible text) is compared on
what is visible: every complete value, and each object or array the cut left open as a prefix of the
answer's, its half-printed last key as a prefix of the answer's next key.

What a page's example does not show, or shows differently on purpose, is declared per page
(`Differences`), each with its reason; docs/contract.md's Fidelity table prints the same reasons.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# The partner's string formats, by the example value that shows them.
FORMATS = {
    "dd-mm-YYYY HH:MM": re.compile(r"[0-9]{2}-[0-9]{2}-[0-9]{4} [0-9]{2}:[0-9]{2}"),
    "YYYY-mm-dd HH:MM:SS": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"),
    "ISO 8601 +03:00": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+03:00"),
    "YYYY-MM-DD": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    "upper-case UUID": re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}"),
    "masked card number": re.compile(r"[0-9]{6}\*{2,9}[0-9]{4}"),
    "MM/YY": re.compile(r"(0[1-9]|1[0-2])/[0-9]{2}"),
}
ORDER_CODE = re.compile(r"[0-9A-Z]{8}")
# Money is printed with 2 decimals at most; grams and spot prices with 4.
MONEY_KEYS = frozenset(
    {"price", "tax", "total", "payment_cost", "comission", "refunded_amount", "buy_price", "sell_price",
     "currency_total"}
)  # fmt: skip
INTEGER_KEYS = frozenset({"id", "expire_ttl", "product_weight", "status_id", "company_id", "user_id"})


@dataclass(frozen=True)
class Differences:
    """What one page's example may differ in, path → reason. Paths: `data.items[].sku` (any element).

    `added`: keys the answer has and the example does not (anywhere in their object); `missing`: keys
    the example has and the answer does not; `reordered`: objects whose keys agree in another order;
    `types`: values whose JSON type or format differs."""

    added: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    reordered: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)

    def reasons(self) -> dict[str, str]:
        return {**self.added, **self.missing, **self.reordered, **self.types}


@dataclass(frozen=True)
class Visible:
    """A cut-off example: what parses of its visible text, which containers the cut left open, and
    the half-printed key it ends in (in the innermost open object), if any."""

    document: Any
    open_paths: frozenset[str]
    partial_key: tuple[str, str] | None  # (object path, the key's visible start)


def visible(text: str) -> Visible:
    """Parse the visible prefix of a cut-off JSON text.

    Every position where a complete value ends is a place the text can be cut and closed; the last
    one that parses gives the document. What follows it, when it is the start of a key, is kept."""
    stack: list[str] = []  # "{" or "["
    cuts: list[tuple[int, list[str]]] = []
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
            cuts.append((index + 1, list(stack)))
        elif char in "}]":
            stack.pop()
            cuts.append((index + 1, list(stack)))
        elif char == ",":
            cuts.append((index, list(stack)))
    for position, open_stack in reversed(cuts):
        closers = "".join("}" if opener == "{" else "]" for opener in reversed(open_stack))
        try:
            document = json.loads(text[:position] + closers, parse_float=Decimal)
        except json.JSONDecodeError:
            continue
        open_paths = _open_paths(document, len(open_stack))
        rest = text[position:].lstrip(", \n\t")
        partial = re.fullmatch(r'"([^"\\]*)"?', rest.strip())
        innermost = max(open_paths, key=_depth) if open_paths else ""
        partial_key = (innermost, partial.group(1)) if partial and open_stack[-1:] == ["{"] else None
        return Visible(document, frozenset(open_paths), partial_key)
    raise ValueError("no parseable prefix")


def _open_paths(document: Any, depth: int) -> list[str]:
    """The paths of the containers a cut left open: the last child at each level, `depth` deep."""
    paths, node, path = [""], document, ""
    for _ in range(depth - 1):
        if isinstance(node, dict) and node:
            key = list(node)[-1]
            node, path = node[key], f"{path}.{key}" if path else key
        elif isinstance(node, list) and node:
            node, path = node[-1], f"{path}[]"
        else:
            break
        paths.append(path)
    return paths


def _depth(path: str) -> int:
    return path.count(".") + path.count("[]") + bool(path)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def string_format(value: str, key: str) -> str | None:
    for name, pattern in FORMATS.items():
        if pattern.fullmatch(value):
            return name
    if key == "order_code" and ORDER_CODE.fullmatch(value):
        return "8 upper-case alphanumerics"
    return None


def decimals(value: Any) -> int:
    exponent = Decimal(str(value)).normalize().as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def compare(
    example: Any,
    answer: Any,
    differences: Differences | None = None,
    *,
    open_paths: frozenset[str] = frozenset(),
    partial_key: tuple[str, str] | None = None,
) -> list[str]:
    """Every way `answer` departs from `example`'s structure, as readable lines (empty: it matches)."""
    problems: list[str] = []
    _compare(example, answer, "", "", differences or Differences(), open_paths, partial_key, problems)
    return problems


def _compare(
    example: Any,
    answer: Any,
    path: str,
    key: str,
    diff: Differences,
    open_paths: frozenset[str],
    partial_key: tuple[str, str] | None,
    problems: list[str],
) -> None:
    where = path or "(top)"
    if path in diff.types:
        return
    expected, actual = json_type(example), json_type(answer)
    if expected != actual:
        problems.append(f"{where}: {actual} where the example has {expected}")
        return
    if expected == "object":
        _compare_object(example, answer, path, diff, open_paths, partial_key, problems)
    elif expected == "array":
        if path not in open_paths and len(answer) != len(example):
            problems.append(f"{where}: {len(answer)} elements where the example has {len(example)}")
        elif len(answer) < len(example):
            problems.append(f"{where}: {len(answer)} elements, fewer than the example's {len(example)}")
        for each, item in zip(example, answer, strict=False):
            _compare(each, item, f"{path}[]", key, diff, open_paths, partial_key, problems)
    elif expected == "string":
        wanted = string_format(example, key)
        if wanted is not None and string_format(answer, key) != wanted:
            problems.append(f"{where}: {answer!r} is not {wanted} like the example's {example!r}")
    elif expected == "number":
        if key in MONEY_KEYS and decimals(answer) > 2:
            problems.append(f"{where}: {answer} has more than 2 decimals (money)")
        elif decimals(answer) > 4:
            problems.append(f"{where}: {answer} has more than 4 decimals")
        if (key in INTEGER_KEYS or key.endswith("_id")) and decimals(answer) > 0:
            problems.append(f"{where}: {answer} is not a whole number like the example's {example}")


def _compare_object(
    example: dict[str, Any],
    answer: dict[str, Any],
    path: str,
    diff: Differences,
    open_paths: frozenset[str],
    partial_key: tuple[str, str] | None,
    problems: list[str],
) -> None:
    where = path or "(top)"

    def child(name: str) -> str:
        return f"{path}.{name}" if path else name

    expected = [name for name in example if child(name) not in diff.missing]
    actual = [name for name in answer if child(name) not in diff.added]
    for name in example:
        if child(name) in diff.missing and name in answer:
            problems.append(f"{child(name)}: declared missing, but the answer has it")
    for name in answer:
        if child(name) in diff.added and name in example:
            problems.append(f"{child(name)}: declared added, but the example has it")
    if path in open_paths:
        if actual[: len(expected)] != expected:
            problems.append(f"{where}: keys {actual[: len(expected)]} where the example shows {expected}")
        elif partial_key is not None and partial_key[0] == path:
            following = actual[len(expected) : len(expected) + 1]
            if not following or not following[0].startswith(partial_key[1]):
                problems.append(
                    f"{where}: the key after {expected[-1:]} is {following}, the example's starts "
                    f"{partial_key[1]!r}"
                )
    elif path in diff.reordered:
        if sorted(actual) != sorted(expected):
            problems.append(f"{where}: keys {sorted(actual)} where the example has {sorted(expected)}")
    elif actual != expected:
        problems.append(f"{where}: keys {actual} where the example has {expected}")
    for name in expected:
        if name in answer:
            _compare(example[name], answer[name], child(name), name, diff, open_paths, partial_key, problems)
