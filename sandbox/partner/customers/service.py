"""Customers and their wallet KYC: create, update, read, remove; KYC decided by magic identity numbers.

documented: Create Customer / Create Business Customer (only `external_id` required; the response's
keys as far as the page shows them), Update Customer (firstname, lastname, phone and identity_number
required; a business has no lastname), Get Customer (ten profile keys and `wallets`), and a "Remove
Customer Id" DELETE whose page body was never published.
The identity checksum and a strict partner's required names are profile rules
(sandbox/domain/customers/rules.py).
sandbox decisions (docs/design/contract.md §2 rows 14–18): the rest of the response shapes; removal refused
while
an order is open or a wallet holds anything, then a soft delete that frees the external_id while past
orders keep their customer; and the Wallet KYC records, decided by the identity number sent:
`11111111110` / `1111111111` are rejected, `22222222220` / `2222222222` wait for manual review, any
other valid number is approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from sandbox.catalog import STATUS_IDS
from sandbox.core import dates, i18n
from sandbox.core.errors import FieldError, SandboxError, ValidationFailed, field_errors
from sandbox.core.profile import Profile
from sandbox.domain.balances import customer_wallets
from sandbox.domain.customers import rules
from sandbox.domain.customers.lookup import find_customer
from sandbox.domain.flows import OPEN_STATUSES
from sandbox.domain.orders.render import fullname, render_customer
from sandbox.store.models import Customer, Order, Wallet
from sandbox.wire.customers import CustomerCreate, CustomerUpdate, KycUpsert

PROFILE_FIELDS = (
    "firstname", "middlename", "lastname", "email", "phone", "gender", "identity_number", "birthdate",
    "tax_office",
)  # fmt: skip
# documented (Update Customer): required fields; a business keeps its name in firstname, no lastname.
REQUIRED_ON_UPDATE = {
    "person": ("firstname", "lastname", "phone", "identity_number"),
    "company": ("firstname", "phone", "identity_number"),
}
KYC_DECISIONS = {
    "11111111110": "rejected",
    "22222222220": "pending",
    "1111111111": "rejected",
    "2222222222": "pending",
}
KYC_REASONS = {"rejected": "identity_verification_failed", "pending": "manual_review"}
KYC_FILLABLE = ("identity_number", "firstname", "lastname", "birthdate")


# -- Customers -----------------------------------------------------------------------------------------


def get_customer(session: Session, partner_id: int, external_id: str) -> Customer:
    """The partner's live customer, or 404 (another partner's and removed customers are unknown)."""
    customer = find_customer(session, partner_id, external_id)
    if customer is None:
        raise SandboxError("customer_not_found")
    return customer


def create_customer(
    session: Session, profile: Profile, partner_id: int, body: CustomerCreate, now: datetime
) -> Customer:
    """A new customer, KYC pending and not yet submitted; 409 when the external_id is taken."""
    rules.check_names(profile, body.account_type, body.firstname, body.lastname)
    rules.check_identity(profile, body.account_type, body.identity_number, "identity_number")
    if find_customer(session, partner_id, body.external_id) is not None:
        raise SandboxError("customer_exists")
    customer = Customer(
        partner_id=partner_id,
        external_id=body.external_id,
        account_type=body.account_type,
        **{name: getattr(body, name) for name in PROFILE_FIELDS},
        kyc_status="pending",
        kyc_updated_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    try:
        session.flush()
    except IntegrityError:  # a concurrent request created it first
        raise SandboxError("customer_exists") from None
    return customer


def update_customer(
    session: Session, profile: Profile, partner_id: int, external_id: str, body: CustomerUpdate, now: datetime
) -> Customer:
    """Update Customer: the required fields every time, the optional ones when sent."""
    customer = get_customer(session, partner_id, external_id)
    sent = body.model_fields_set
    if body.external_id is not None and body.external_id != customer.external_id:
        # The docs' own example sends a freshly generated external_id here.
        profile.enforce(
            "update_external_id",
            SandboxError("customer_id_mismatch", errors={"external_id": [("customer_id_mismatch", {})]}),
            "the body's external_id was ignored; the path names the customer",
        )
    if "account_type" in sent and body.account_type != customer.account_type:
        raise SandboxError(
            "account_type_immutable", errors={"account_type": [("account_type_immutable", {})]}
        )
    errors: dict[str, list[FieldError]] = {}
    for name in REQUIRED_ON_UPDATE[customer.account_type]:
        if not getattr(body, name):
            errors[name] = [("missing", {})]
    if errors:
        raise ValidationFailed(errors=errors)
    rules.check_identity(profile, customer.account_type, body.identity_number, "identity_number")
    if body.identity_number != customer.identity_number:
        # sandbox decision: a KYC decision belongs to an identity number; a new number needs a new one.
        customer.kyc_status = "pending"
        customer.kyc_updated_at = None
    for name in PROFILE_FIELDS:
        if name in sent:
            setattr(customer, name, getattr(body, name))
    customer.updated_at = now
    session.add(customer)
    session.flush()
    return customer


def remove_customer(session: Session, partner_id: int, external_id: str, now: datetime) -> str:
    """Remove Customer Id: refused while an order is open or a wallet holds cash or metal.

    The row stays with `deleted_at` set: its past orders keep showing it, and the partner may create a
    new customer with the same external_id (one live customer per id).
    """
    customer = get_customer(session, partner_id, external_id)
    open_order = select(Order.id).where(
        Order.customer_id == customer.id,
        col(Order.status_id).in_([STATUS_IDS[status] for status in OPEN_STATUSES]),
    )
    if session.exec(open_order).first() is not None:
        raise SandboxError("customer_has_open_orders")
    holding = select(Wallet.id).where(Wallet.customer_id == customer.id, col(Wallet.balance) > 0)
    if session.exec(holding).first() is not None:
        raise SandboxError("customer_has_assets")
    customer.deleted_at = now
    customer.updated_at = now
    session.add(customer)
    session.flush()
    return external_id


def render_record(customer: Customer) -> dict[str, Any]:
    """Create / Update Customer response. documented (Create Customer, cut off after `created_at`):
    the keys up to `created_at`, in this order, `user_id` null; `updated_at` and the sandbox's
    `account_type` and `tax_office` follow."""
    return {
        "id": customer.id,
        "external_id": customer.external_id,
        "company_id": customer.partner_id,
        "user_id": None,
        "firstname": customer.firstname,
        "middlename": customer.middlename,
        "lastname": customer.lastname,
        "fullname": fullname(customer),
        "email": customer.email,
        "phone": customer.phone,
        "gender": customer.gender,
        "identity_number": customer.identity_number,
        "birthdate": _day(customer),
        # documented: customer created_at is `YYYY-mm-dd HH:MM:SS`
        "created_at": dates.sql_style(customer.created_at),
        "updated_at": dates.sql_style(customer.updated_at),
        "account_type": customer.account_type,
        "tax_office": customer.tax_office,
    }


def render_detail(session: Session, customer: Customer) -> dict[str, Any]:
    """Get Customer: the documented keys (those of an order's customer) in their order and `wallets`,
    then the sandbox's additions."""
    return render_customer(customer) | {
        "wallets": customer_wallets(session, customer.partner_id, customer),
        "account_type": customer.account_type,
        "tax_office": customer.tax_office,
        "kyc_status": customer.kyc_status,
    }


def _day(customer: Customer) -> str | None:
    return customer.birthdate.isoformat() if customer.birthdate else None


# -- Wallet KYC ----------------------------------------------------------------------------------------


def kyc_decision(identity_number: str) -> str:
    return KYC_DECISIONS.get(identity_number, "approved")


def render_kyc(customer: Customer) -> dict[str, Any]:
    """The customer's KYC record. A pending customer that never submitted KYC has no reason yet."""
    submitted = customer.kyc_updated_at
    reason = (
        KYC_REASONS.get(customer.kyc_status)
        if submitted is not None or customer.kyc_status != "pending"
        else None
    )
    return {
        "customer_external_id": customer.external_id,
        "status": customer.kyc_status,
        "identity_number": customer.identity_number,
        "reason": reason,
        "updated_at": dates.sql_style(submitted) if submitted is not None else None,
    }


def upsert_kyc(
    session: Session, profile: Profile, partner_id: int, body: KycUpsert, now: datetime
) -> Customer:
    """Decide and store the customer's KYC status. Every check runs before anything is written."""
    customer = get_customer(session, partner_id, body.customer_external_id)
    rules.check_identity(profile, customer.account_type, body.identity_number, "identity_number")
    if customer.identity_number and customer.identity_number != body.identity_number:
        raise SandboxError(
            "kyc_identity_mismatch", errors={"identity_number": [("kyc_identity_mismatch", {})]}
        )
    filled = False
    for name in KYC_FILLABLE:
        value = getattr(body, name)
        if value is not None and getattr(customer, name) is None:
            setattr(customer, name, value)
            filled = True
    if filled:
        customer.updated_at = now
    customer.kyc_status = kyc_decision(body.identity_number)
    customer.kyc_updated_at = now
    session.add(customer)
    session.flush()
    return customer


def bulk_upsert_kyc(
    session: Session,
    profile: Profile,
    partner_id: int,
    records: list[dict[str, Any]],
    now: datetime,
    locale: str,
) -> list[dict[str, Any]]:
    """Each record on its own SAVEPOINT: a failed record writes nothing and stops nothing."""
    results = []
    for record in records:
        external_id = record.get("customer_external_id")
        result: dict[str, Any] = {
            "customer_external_id": external_id if isinstance(external_id, str) else None,
            "success": False,
            "kyc": None,
            "error": None,
            "errors": None,
        }
        try:
            with session.begin_nested():
                body = _kyc_body(record)
                customer = upsert_kyc(session, profile, partner_id, body, now)
        except SandboxError as error:
            result["error"] = error.key
            result["errors"] = _localized(error.errors, locale) if error.errors else None
        else:
            result["success"] = True
            result["kyc"] = render_kyc(customer)
        results.append(result)
    return results


def _kyc_body(record: Mapping[str, Any]) -> KycUpsert:
    try:
        return KycUpsert.model_validate(record)
    except ValidationError as error:
        raise ValidationFailed(errors=field_errors(error.errors())) from None


def _localized(errors: Mapping[str, list[FieldError]], locale: str) -> dict[str, list[str]]:
    return {
        field: [i18n.field_message(key, locale, params) for key, params in messages]
        for field, messages in errors.items()
    }
