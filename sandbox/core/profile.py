"""Profiles: how strictly the sandbox applies the rules the partner's docs do not state.

What the docs state always holds, and under the default (lenient) profile what they show works as
pasted. Beyond what they state the sandbox is lenient by default: a realistic rule the docs never
state (an identity checksum, KYC before a sell, a price token's currency...) does not refuse the
request. It is written down here instead (`RULES`), and a partner switched to the `strict` profile
(`SANDBOX_PROFILE=strict`, or per partner with `PUT /_sandbox/profile`) gets the rule's error. Under
`lenient`, the answer names each rule the request broke in an `X-Sandbox-Notice` header, so nothing
is let through silently.

A partner request's profile is set once, by the partner dependency (`begin`), and read by services
(it is on `PartnerContext`) and by the wire models' unknown-field check, which pydantic calls
without arguments (`current`).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from sandbox.core.errors import SandboxError

PROFILES = ("lenient", "strict")
DEFAULT_PROFILE = "lenient"
NOTICE_HEADER = "X-Sandbox-Notice"
NOTICE_LIMIT = 300


@dataclass(frozen=True)
class Rule:
    """A rule the docs do not state: where it applies, and what each profile does with a request
    that breaks it."""

    key: str
    applies_to: str
    strict: str
    lenient: str


RULES: dict[str, Rule] = {
    rule.key: rule
    for rule in (
        Rule(
            "identity_number",
            "Create / Update Customer, a buy's new customer, Wallet KYC",
            "422: a person's `identity_number` is an 11-digit T.C. kimlik no that passes its checksum, "
            "a company's a 10-digit tax number",
            "any text of 3-20 characters",
        ),
        Rule(
            "customer_names",
            "Create Customer",
            "422: `firstname` (and a person's `lastname`) required",
            "only `external_id` is required, as documented",
        ),
        Rule(
            "unknown_fields",
            "every partner request body",
            "422 `extra_forbidden` on each field the endpoint does not know",
            "unknown fields are ignored",
        ),
        Rule(
            "api_version",
            "every partner request",
            "422 `invalid_header` unless `api-version` is `2` or `3`",
            "any version number (`1`, `4`, `2.0`) is accepted; `3` when absent or empty",
        ),
        Rule(
            "price_token_required",
            "Buy, Sell",
            "422: `price_token` is required",
            "without one, the order is priced as a price fix made at that moment would price it",
        ),
        Rule(
            "price_token_currency",
            "Buy, Sell",
            "422 `price_token_currency_mismatch` when `currency_code` is not the token's currency",
            "the order is in the token's currency (the prices were fixed in it)",
        ),
        Rule(
            "price_token_customer",
            "Buy, Sell",
            "403 `price_token_customer_mismatch`: a token fixed for a customer serves only that customer",
            "any of the partner's tokens serves any of its orders",
        ),
        Rule(
            "customer_cash",
            "cash Buy for a customer, cash Delivery fee",
            "422 `insufficient_balance` unless the customer's cash wallet covers it",
            "the partner settles what the customer's cash wallet lacks: a `deposit` ledger entry tops "
            "it up first",
        ),
        Rule(
            "kyc_approved",
            "Sell and Delivery for a customer",
            "403 `kyc_required` unless the customer's KYC is `approved`",
            "only a `rejected` KYC refuses (403 `kyc_rejected`); `pending` goes through",
        ),
        Rule(
            "update_external_id",
            "Update Customer",
            "422 `customer_id_mismatch` when the body's `external_id` is not the path's",
            "the path names the customer; the body's `external_id` is ignored",
        ),
        Rule(
            "delivery_address",
            "Delivery Create",
            "422: billing `phone`, `email` and `zipcode` and shipping `phone` and `zipcode` required; "
            "5-digit zip codes; address lines of 10+ characters; `city` one of the 81 provinces and "
            "`county` one of its districts; a Corporate invoice needs `company_name`, `tax_office` and "
            "a 10-digit `tax_number`",
            "any non-empty text in the documented fields, stored as sent",
        ),
    )
}


@dataclass
class Profile:
    """One partner request's profile, and the notices of the rules it broke under `lenient`."""

    name: str = DEFAULT_PROFILE
    notices: list[str] = field(default_factory=list)

    @property
    def strict(self) -> bool:
        return self.name == "strict"

    def enforce(self, rule: str, error: SandboxError, detail: str) -> None:
        """The request broke `rule`: under strict, `error`; under lenient, a notice and go on."""
        if self.strict:
            raise error
        self.note(rule, detail)

    def note(self, rule: str, detail: str) -> None:
        """A notice that the lenient profile let the request break `rule` (`detail` says how)."""
        if rule not in RULES:
            raise KeyError(f"{rule!r} is not a profile rule")
        notice = f"{rule}: {detail}"
        if notice not in self.notices:
            self.notices.append(notice)

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The response's notice headers: printable ASCII only (a detail may quote what the client
        sent, control characters and all), each at most `NOTICE_LIMIT` characters."""
        return [(NOTICE_HEADER.lower().encode(), _header_text(notice).encode()) for notice in self.notices]


def _header_text(notice: str) -> str:
    text = "".join(char if " " <= char <= "~" else f"\\u{ord(char):04x}" for char in notice)
    return text if len(text) <= NOTICE_LIMIT else text[: NOTICE_LIMIT - 3] + "..."


_current: ContextVar[Profile | None] = ContextVar("sandbox_profile", default=None)


def begin(name: str) -> Profile:
    """The profile of the partner request being handled (called once, by the partner dependency)."""
    profile = Profile(name)
    _current.set(profile)
    return profile


def current() -> Profile | None:
    """The partner request's profile; None outside one (control routes, the dashboard, tests)."""
    return _current.get()
