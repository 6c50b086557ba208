"""The reference tables of the docs, rendered from the code at every `mkdocs build` so they cannot drift.

A MkDocs hook (mkdocs.yml `hooks:`): a page asks for a table with a line `<!-- reference: NAME -->`,
and the hook puts the table in its place. Nothing generated is committed; an unknown NAME fails the
build. tests/unit/test_docs.py reads each table back and compares it with the code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

from mkdocs.exceptions import PluginError

from sandbox.config import Settings
from sandbox.core.i18n import MESSAGES
from sandbox.core.profile import RULES
from sandbox.domain.cards import magic_card_table
from sandbox.domain.fees import FEE_TABLE, LIMITS
from sandbox.partner.customers.service import KYC_DECISIONS, KYC_REASONS

MARKER = re.compile(r"^<!-- reference: ([a-z-]+) -->$", re.MULTILINE)


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _default(field) -> str:  # a pydantic FieldInfo
    value = field.get_default(call_default_factory=True)
    if isinstance(value, Path):
        return "the `fixtures/` the sandbox ships with"
    if isinstance(value, dict):  # partners: the form the variable takes
        value = ",".join(f"{user}:{password}" for user, password in value.items())
    elif isinstance(value, tuple):
        value = ",".join(value)
    elif isinstance(value, bool):
        value = str(value).lower()
    if value == "":
        return "empty"
    return f"`{value}`"


def settings() -> str:
    """Every `Settings` field as its environment variable, default and description."""
    return _table(
        ("variable", "default", "meaning"),
        (
            (f"`SANDBOX_{name.upper()}`", _default(field), field.description or "")
            for name, field in Settings.model_fields.items()
        ),
    )


def errors() -> str:
    """The error catalogue: every `data.error` key with its status and both languages' messages."""
    return _table(
        ("key", "status", "tr", "en"),
        ((f"`{key}`", status, tr, en) for key, (status, tr, en) in MESSAGES.items()),
    )


def profile_rules() -> str:
    """What each rule the docs do not state does under each profile."""
    return _table(
        ("rule", "applies to", "strict", "lenient"),
        ((f"`{r.key}`", r.applies_to, r.strict, r.lenient) for r in RULES.values()),
    )


# What a KYC decision means for the customer's later requests (a new decision needs its sentence here).
KYC_EFFECTS = {
    "rejected": "the customer's sells and deliveries are then refused (403 `kyc_rejected`)",
    "pending": "a strict partner's sells and deliveries: 403 `kyc_required`",
}


def magic_values() -> str:
    """Values that reach an outcome on purpose: KYC identity numbers, then magic cards, then the rest."""
    rows = []
    for decision in dict.fromkeys(KYC_DECISIONS.values()):
        numbers = [number for number, d in KYC_DECISIONS.items() if d == decision]
        people = [f"`{n}`" for n in numbers if len(n) == 11]
        businesses = [f"`{n}`" for n in numbers if len(n) == 10]
        value = f"identity_number {', '.join(people)} (business {', '.join(businesses)})"
        effect = f"KYC `{decision}`, reason `{KYC_REASONS[decision]}`; {KYC_EFFECTS[decision]}"
        rows.append((value, "Wallet KYC Upsert", effect))
    rows.append(
        (
            "any other identity_number",
            "Wallet KYC Upsert",
            "`approved` (a strict partner's must pass the checksum)",
        )
    )
    for card in magic_card_table():
        if card["error_code"] is None:
            outcome = (
                "success → Completed"
                if card["is_3d"]
                else ("success inside the buy request (`is_3d: false`, Completed at once)")
            )
        else:
            outcome = f"declined `{card['error_code']}` {card['error_message']}"
        where = "3-D" if card["is_3d"] else "no 3-D"
        rows.append(
            (
                f"card number `{card['card_number']}` ({card['card_association']})",
                "card payments",
                f"{where}: {outcome}",
            )
        )
    rows += [
        (
            "a delivery of more whole grams than the fee table lists (" + _delivery_limits() + ")",
            "Delivery Calculate / Create",
            "422 on `amount` (`not_deliverable`)",
        ),
        (
            "a card's expiry month in the past on the sandbox clock",
            "card payments, card storage",
            "422 `card_expired`",
        ),
        (
            "a price token used twice, or after `expires_at` (move the clock with `POST /_sandbox/clock`)",
            "Buy, Sell",
            "403 `price_token_used` / `price_token_expired`",
        ),
    ]
    return _table(("value", "where", "what happens"), rows)


def _delivery_limits() -> str:
    return ", ".join(f"{sku} > {limit}" for sku, limit in LIMITS.items())


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def delivery_fees() -> str:
    """The fee table deliveries are charged from (TRY per gram)."""
    return _table(
        ("sku", "grams", "minting / g", "shipping & insurance / g", "fee / g"),
        (
            (t.sku, f"{t.min_grams}–{t.max_grams}", _money(t.minting), _money(t.shipping), _money(t.per_gram))
            for t in FEE_TABLE
        ),
    )


TABLES: dict[str, Callable[[], str]] = {
    "settings": settings,
    "errors": errors,
    "profile-rules": profile_rules,
    "magic-values": magic_values,
    "delivery-fees": delivery_fees,
}


def render(markdown: str) -> str:
    """`markdown` with every reference marker replaced by its table; an unknown name is an error."""

    def table(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in TABLES:
            raise ValueError(f"unknown reference table {name!r}; known: {', '.join(TABLES)}")
        return TABLES[name]()

    return MARKER.sub(table, markdown)


def on_page_markdown(markdown: str, **_: object) -> str:
    """MkDocs hook: fill in the reference tables a page asks for."""
    try:
        return render(markdown)
    except ValueError as error:
        raise PluginError(str(error)) from error
