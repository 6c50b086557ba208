"""Seeded partners and customers: Turkish names, phones, identity numbers that pass the checksum."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sandbox.catalog import PRODUCTS
from sandbox.core.identity import identity_number
from sandbox.domain.cards import association, fingerprint, mask, scenario_of
from sandbox.store import geo
from sandbox.store.models import Customer, Partner, Product, StoredCard, table_of
from sandbox.world.context import WorldContext
from sandbox.world.documented import DOCUMENTED_PARTNER, DocumentedWorld

MOBILE_PREFIXES = ("30", "32", "33", "35", "42", "44", "52", "53", "55")  # +90 5xx operators
_TRANSLIT = str.maketrans("çğıöşüÇĞİÖŞÜâîû", "cgiosuCGIOSUaiu")


def ascii_slug(text: str) -> str:
    return "".join(c for c in text.translate(_TRANSLIT).lower() if c.isalnum())


def _name(draw: Callable[[], str]) -> str:
    """A name of letters only: Faker's tr_TR lists carry a few abbreviations and typos ("Emine.",
    "N˜zamett˜n"), which are drawn again (deterministically: the draws come from the seeded Faker)."""
    while True:
        name = draw()
        if all(char.isalpha() or char in " -'" for char in name):
            return name


class PeopleBuilder:
    """Partners, products and customers; fills `context.customers` for the order builder."""

    def __init__(self, context: WorldContext) -> None:
        self.context = context
        self.spec = context.spec
        self.rng_people = context.rng_people
        self.fake = context.fake
        self.start = context.start
        self.customers = context.customers

    def rows(self, documented: DocumentedWorld | None) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        partners: list[dict[str, Any]] = [
            {"id": number, "username": user, "password": password, "name": f"{user.title()} Partner",
             "created_at": self.start - timedelta(days=30)}
            for number, (user, password) in enumerate(self.spec.partners.items(), start=1)
        ]  # fmt: skip
        yield table_of(Partner), partners
        yield table_of(Product), [
            {"id": p.product_id, "sku": p.sku, "name": p.name, "currency_id": p.currency_id,
             "metal": p.metal, "deliverable": p.deliverable}
            for p in PRODUCTS
        ]  # fmt: skip
        customers: list[dict[str, Any]] = []
        cards: list[dict[str, Any]] = []
        next_id = 1
        for partner in partners:
            rows: list[dict[str, Any]] = []
            if documented and partner["username"] == DOCUMENTED_PARTNER:
                since = documented.customers_since
                for customer in documented.customers:
                    rows.append(self._documented_customer(next_id, partner["id"], customer, since))
                    next_id += 1
                cards = self._documented_cards(documented, rows)
            first_faker = len(rows)
            seen = {row["external_id"] for row in rows}
            while len(rows) < self.spec.customers_per_partner:
                row = self._customer(next_id, partner["id"])
                if row["external_id"] in seen:
                    continue
                seen.add(row["external_id"])
                rows.append(row)
                next_id += 1
            self.customers[partner["id"]] = rows
            self.context.order_customers[partner["id"]] = rows[first_faker:] or rows
            customers.extend(rows)
        yield table_of(Customer), customers
        yield table_of(StoredCard), cards

    def _customer(self, number: int, partner_id: int) -> dict[str, Any]:
        rng, fake = self.rng_people, self.fake
        gender = rng.choice(("M", "F"))
        given = fake.first_name_male if gender == "M" else fake.first_name_female
        first, last = _name(given), _name(fake.last_name)
        middle = _name(given) if rng.random() < 0.1 else None
        company = rng.random() < 0.1
        created = self.start - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1439))
        row = {
            "id": number,
            "partner_id": partner_id,
            "external_id": rng.digits(8),
            "account_type": "company" if company else "person",
            "firstname": first,
            "middlename": middle,
            "lastname": last,
            "email": f"{ascii_slug(first)}.{ascii_slug(last)}{rng.randint(1, 99)}@{fake.free_email_domain()}",
            "phone": f"+905{rng.choice(MOBILE_PREFIXES)}{rng.digits(7)}",
            "gender": gender,
            "identity_number": identity_number(rng),
            "birthdate": date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55)),
            "tax_office": None,
            "kyc_status": rng.weighted(("approved", "pending", "rejected"), (85, 10, 5)),
            "kyc_updated_at": created,
            "created_at": created,
            "updated_at": created,
        }
        if company:
            # documented (Create Business Customer): name in firstname, 10-digit tax number in identity_number
            row.update(
                firstname=fake.company()[:40],
                middlename=None,
                lastname=None,
                tax_office=rng.choice(geo.PROVINCES),
                identity_number=rng.digits(10),
                gender=None,
                birthdate=None,
            )
        return row

    def _documented_customer(
        self, number: int, partner_id: int, c: dict[str, Any], created: datetime
    ) -> dict[str, Any]:
        """A customer the docs print, as printed (KYC approved, so a strict partner can use it too)."""
        return {
            "id": number, "partner_id": partner_id, "external_id": c["external_id"], "account_type": "person",
            "firstname": c["firstname"], "middlename": c["middlename"], "lastname": c["lastname"],
            "email": c["email"], "phone": c["phone"], "gender": c["gender"],
            "identity_number": c["identity_number"], "birthdate": date.fromisoformat(c["birthdate"]),
            "tax_office": None, "kyc_status": "approved", "kyc_updated_at": created,
            "created_at": created, "updated_at": created,
        }  # fmt: skip

    def _documented_cards(
        self, documented: DocumentedWorld, customers: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The stored cards the docs pay with, under their printed tokens (never the full number)."""
        owners = {row["external_id"]: row for row in customers}
        rows = []
        for number, card in enumerate(documented.cards, start=1):
            owner = owners[card["customer_external_id"]]
            digits = card["card_number"]
            rows.append({
                "id": number, "partner_id": owner["partner_id"], "customer_id": owner["id"],
                "token": card["card_token"], "fingerprint": fingerprint(digits, self.spec.seed),
                "card_holder": card["card_holder"], "card_number": mask(digits),
                "card_expiry": card["card_expiry"], "card_association": association(digits),
                "scenario": scenario_of(digits), "created_at": owner["created_at"],
            })  # fmt: skip
        return rows
