"""The customer rules the partner's docs do not state, applied by the partner's profile.

Shared by every group that takes a customer: customers (create, update, KYC), trading (a buy's new
customer, a sell) and delivery. Under the lenient profile each broken rule is a notice; under strict,
the error named in `sandbox.core.profile.RULES`.
"""

from __future__ import annotations

import re

from sandbox.core.errors import SandboxError, ValidationFailed
from sandbox.core.identity import is_valid_identity_number
from sandbox.core.profile import Profile
from sandbox.store.models import Customer

CHECKS = {"invalid_tax_number": "10-digit tax number", "invalid_identity_number": "T.C. kimlik no"}


def identity_problem(account_type: str | None, number: str) -> str | None:
    """The field message key when `number` does not fit the account type, else None: a company's
    identity_number is a 10-digit tax number, a person's an 11-digit T.C. kimlik no with its checksum."""
    if account_type == "company":
        return None if re.fullmatch(r"[0-9]{10}", number) else "invalid_tax_number"
    return None if is_valid_identity_number(number) else "invalid_identity_number"


def check_identity(profile: Profile, account_type: str | None, number: str | None, field: str) -> None:
    """Profile rule `identity_number`."""
    if number is None:
        return
    problem = identity_problem(account_type, number)
    if problem is not None:
        profile.enforce(
            "identity_number",
            ValidationFailed(errors={field: [(problem, {})]}),
            f"{field} accepted without the {CHECKS[problem]} check",
        )


def check_names(
    profile: Profile, account_type: str, firstname: str | None, lastname: str | None, prefix: str = ""
) -> None:
    """Profile rule `customer_names`: strict wants a firstname, and a person's lastname."""
    missing = [
        name
        for name, value in (("firstname", firstname), ("lastname", lastname))
        if not value and (name == "firstname" or account_type == "person")
    ]
    if missing:
        profile.enforce(
            "customer_names",
            ValidationFailed(errors={f"{prefix}{name}": [("missing", {})] for name in missing}),
            "customer created without " + " and ".join(missing),
        )


def require_kyc(profile: Profile, customer: Customer) -> None:
    """Sell and delivery: a rejected KYC always refuses; profile rule `kyc_approved` also refuses a
    pending one under strict."""
    if customer.kyc_status == "rejected":
        raise SandboxError("kyc_rejected")
    if customer.kyc_status != "approved":
        profile.enforce(
            "kyc_approved", SandboxError("kyc_required"), f"customer KYC is {customer.kyc_status}"
        )
