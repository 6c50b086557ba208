"""The seeded world: partners, customers, and orders in every type × status, built from one seed.

Everything here draws from named `Ids` streams and Faker seeded from them, never from the clock:
the world's timeline ends at the fixed instant `WORLD_END`, so the same seed gives byte-identical
data on any day, and a different seed gives a different world.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from faker import Faker
from sqlalchemy import insert
from sqlmodel import select

from sandbox.catalog import CURRENCIES, PRODUCTS, PRODUCTS_BY_SKU, STATUS_IDS
from sandbox.core.clock import ISTANBUL
from sandbox.core.ids import Ids, Rng
from sandbox.core.money import grams, money
from sandbox.lifecycle.flows import FLOWS, Flow
from sandbox.partner.prices.feed import PriceFeed
from sandbox.store import geo
from sandbox.store.db import Store
from sandbox.store.models import (
    SCHEMA_VERSION,
    Customer,
    LedgerEntry,
    Order,
    OrderAddress,
    OrderItem,
    OrderStatusHistory,
    Partner,
    Payment,
    Product,
    WorldMeta,
)

WORLD_END = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # 12:00 in Istanbul
WORLD_DAYS = 180
GOLDEN_ORDER_FILE = Path("golden") / "get-order-alternative.json"
BATCH = 5_000

# Random (non-coverage) orders: how often each flow appears, and each status within a flow.
FLOW_WEIGHTS = {"buy-cash": 40, "buy-card": 15, "sell": 25, "delivery-cash": 12, "delivery-card": 8}
STATUS_WEIGHTS = {"Completed": 30, "Cancelled": 4, "Refunded": 3}  # any other status: 1
CURRENCY_WEIGHTS = (80, 10, 6, 4)  # TRY, USD, EUR, GBP
B2B_SHARE = 0.15
# sandbox decision: delivery fee per gram (minting and shipping) by deliverable sku, TRY.
DELIVERY_FEE_PER_GRAM = {"GAU": Decimal("45.00"), "GAG": Decimal("1.20"), "GPT": Decimal("40.00")}
DELIVERY_GRAMS = {"GAU": (1, 2, 5, 10, 20), "GAG": (50, 100, 250, 500, 1000), "GPT": (1, 5, 10)}
TEST_CARDS = (  # (masked number, association): the documented test card first
    ("404809******7528", "Visa"),
    ("540061******4581", "Mastercard"),
    ("979204******1002", "Troy"),
)
CARD_DECLINES = (
    ("51", "Yetersiz bakiye / Insufficient funds"),
    ("3D-01", "3-D Secure doğrulaması başarısız"),
)
CARD_COMMISSION = Decimal("0.0199")  # single installment
MOBILE_PREFIXES = ("30", "32", "33", "35", "42", "44", "52", "53", "55")  # +90 5xx operators
_TRANSLIT = str.maketrans("çğıöşüÇĞİÖŞÜâîû", "cgiosuCGIOSUaiu")


@dataclass
class WorldSpec:
    seed: int
    partners: dict[str, str]
    customers_per_partner: int
    orders: int
    buy_spread: Decimal = Decimal("0.0423")
    sell_spread: Decimal = Decimal("0.0150")

    def planned_orders(self) -> int:
        """Orders the world will hold: the requested count, at least full coverage, plus the golden one."""
        coverage = sum(len(flow.reachable()) for flow in FLOWS.values())
        per_partner = [
            self.orders // len(self.partners) + (1 if n < self.orders % len(self.partners) else 0)
            for n in range(len(self.partners))
        ]
        return sum(max(share, coverage) for share in per_partner) + ("demo" in self.partners)

    def signature(self) -> dict[str, str]:
        return {
            "schema_version": str(SCHEMA_VERSION),
            "seed": str(self.seed),
            "partners": ",".join(sorted(self.partners)),
            "customers": str(self.customers_per_partner),
            "orders": str(self.orders),
            "spreads": f"{self.buy_spread}/{self.sell_spread}",
        }


def identity_number(rng: Rng) -> str:
    """An 11-digit T.C. kimlik no that passes the official checksum."""
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
    tenth = (sum(digits[0:9:2]) * 7 - sum(digits[1:8:2])) % 10
    digits.append(tenth)
    digits.append(sum(digits) % 10)
    return "".join(map(str, digits))


def is_valid_identity_number(value: str) -> bool:
    if len(value) != 11 or not value.isdigit() or value[0] == "0":
        return False
    digits = [int(c) for c in value]
    tenth = (sum(digits[0:9:2]) * 7 - sum(digits[1:8:2])) % 10
    return digits[9] == tenth and digits[10] == sum(digits[:10]) % 10


def ascii_slug(text: str) -> str:
    return "".join(c for c in text.translate(_TRANSLIT).lower() if c.isalnum())


def world_is_current(store: Store, spec: WorldSpec) -> bool:
    """True when the database already holds the world `spec` describes."""
    from sqlalchemy import inspect

    if not inspect(store.engine).has_table("world_meta"):
        return False
    with store.session() as session:
        rows = {row.key: row.value for row in session.exec(select(WorldMeta))}
    return rows == spec.signature()


def build_world(
    store: Store,
    spec: WorldSpec,
    fixtures_dir: Path,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Drop whatever the store holds and build the world `spec` describes."""
    store.drop_schema()
    store.create_schema()
    builder = _WorldBuilder(spec, fixtures_dir)
    with store.engine.begin() as connection:
        for table, rows in builder.reference_rows():
            connection.execute(insert(table), rows)
        for batch in builder.order_batches():
            for table, rows in batch.tables():
                if rows:
                    connection.execute(insert(table), rows)
            if progress:
                progress(batch.orders_count)
        connection.execute(
            insert(WorldMeta.__table__), [{"key": k, "value": v} for k, v in spec.signature().items()]
        )


@dataclass
class _Batch:
    orders: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def orders_count(self) -> int:
        return len(self.orders)

    def tables(self) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        yield Order.__table__, self.orders
        yield OrderItem.__table__, self.items
        yield Payment.__table__, self.payments
        yield OrderAddress.__table__, self.addresses
        yield LedgerEntry.__table__, self.ledger
        yield OrderStatusHistory.__table__, self.history


@dataclass(frozen=True)
class _Plan:
    partner_id: int
    flow: Flow
    status: str
    at: datetime
    currency: str
    b2b: bool


class _WorldBuilder:
    def __init__(self, spec: WorldSpec, fixtures_dir: Path) -> None:
        self.spec = spec
        self.fixtures_dir = fixtures_dir
        ids = Ids(spec.seed)
        self.rng_people = ids.stream("customers")
        self.rng_orders = ids.stream("orders")
        self.rng_codes = ids.stream("order-ids")
        self.fake = Faker("tr_TR")
        self.fake.seed_instance(self.rng_people.integer_seed())
        self.feed = PriceFeed(spec.seed, spec.buy_spread, spec.sell_spread)
        self.start = WORLD_END - timedelta(days=WORLD_DAYS)
        self.customers: dict[int, list[dict[str, Any]]] = {}
        self.balances: dict[tuple[int, int | None, str], Decimal] = {}
        self.ledger_id = 0
        self.history_id = 0
        self.address_id = 0
        self.payment_id = 0
        self.used_codes: set[str] = set()

    # -- reference data: partners, products, customers ----------------------------------------

    def reference_rows(self) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        partners = [
            {"id": number, "username": user, "password": password, "name": f"{user.title()} Partner",
             "created_at": self.start - timedelta(days=30)}
            for number, (user, password) in enumerate(self.spec.partners.items(), start=1)
        ]  # fmt: skip
        yield Partner.__table__, partners
        yield Product.__table__, [
            {"id": p.product_id, "sku": p.sku, "name": p.name, "currency_id": p.currency_id,
             "metal": p.metal, "deliverable": p.deliverable}
            for p in PRODUCTS
        ]  # fmt: skip
        customers: list[dict[str, Any]] = []
        next_id = 1
        golden = self._golden_order()
        for partner in partners:
            rows = []
            if golden and partner["id"] == 1:
                rows.append(self._golden_customer(next_id, golden))
                next_id += 1
            seen = {row["external_id"] for row in rows}
            while len(rows) < self.spec.customers_per_partner:
                row = self._customer(next_id, partner["id"])
                if row["external_id"] in seen:
                    continue
                seen.add(row["external_id"])
                rows.append(row)
                next_id += 1
            self.customers[partner["id"]] = rows
            customers.extend(rows)
        yield Customer.__table__, customers

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
            "company_name": None,
            "tax_office": None,
            "tax_number": None,
            "kyc_status": rng.weighted(("approved", "pending", "rejected"), (85, 10, 5)),
            "created_at": created,
            "updated_at": created,
        }
        if company:
            row.update(
                company_name=fake.company(),
                tax_office=f"{rng.choice(geo.PROVINCES)} Vergi Dairesi",
                tax_number=rng.digits(10),
                identity_number=None,
                gender=None,
                birthdate=None,
            )
        return row

    def _golden_order(self) -> dict[str, Any] | None:
        path = self.fixtures_dir / GOLDEN_ORDER_FILE
        if not path.exists() or "demo" not in self.spec.partners:
            return None
        return json.loads(path.read_text(encoding="utf-8"))["response"]["data"]

    def _golden_customer(self, number: int, order: dict[str, Any]) -> dict[str, Any]:
        c = order["customer"]
        created = _parse_partner_time(order["order_at"]) - timedelta(days=90)
        return {
            "id": number, "partner_id": 1, "external_id": c["external_id"], "account_type": "person",
            "firstname": c["firstname"], "middlename": c["middlename"], "lastname": c["lastname"],
            "email": c["email"], "phone": c["phone"], "gender": c["gender"],
            "identity_number": c["identity_number"], "birthdate": date.fromisoformat(c["birthdate"]),
            "company_name": None, "tax_office": None, "tax_number": None, "kyc_status": "approved",
            "created_at": created, "updated_at": created,
        }  # fmt: skip

    # -- orders ---------------------------------------------------------------------------------

    def _plans(self) -> list[_Plan]:
        rng = self.rng_orders
        partner_count = len(self.spec.partners)
        plans: list[_Plan] = []
        span = int((WORLD_END - self.start).total_seconds())
        for partner_id in range(1, partner_count + 1):
            share = self.spec.orders // partner_count + (
                1 if partner_id <= self.spec.orders % partner_count else 0
            )
            coverage = [(flow, status) for flow in FLOWS.values() for status in flow.reachable()]
            for index in range(max(share, len(coverage))):
                if index < len(coverage):
                    flow, status = coverage[index]
                    currency = CURRENCIES[index % len(CURRENCIES)]
                else:
                    flow = FLOWS[rng.weighted(list(FLOW_WEIGHTS), list(FLOW_WEIGHTS.values()))]
                    statuses = flow.reachable()
                    weights = [STATUS_WEIGHTS.get(s, 1) for s in statuses]
                    status = rng.weighted(statuses, weights)
                    currency = rng.weighted(CURRENCIES, CURRENCY_WEIGHTS)
                b2b = flow.type != "Delivery" and rng.random() < B2B_SHARE
                at = self.start + timedelta(seconds=rng.randint(0, span))
                plans.append(_Plan(partner_id, flow, status, at, currency, b2b))
        plans.sort(key=lambda plan: (plan.at, plan.partner_id))
        return plans

    def order_batches(self) -> Iterator[_Batch]:
        batch = _Batch()
        golden = self._golden_order()
        order_id = 0
        if golden:
            order_id += 1
            self._add_golden(batch, order_id, golden)
        for plan in self._plans():
            order_id += 1
            self._add_order(batch, order_id, plan)
            if len(batch.orders) >= BATCH:
                yield batch
                batch = _Batch()
        if batch.orders:
            yield batch

    def _add_golden(self, batch: _Batch, order_id: int, data: dict[str, Any]) -> None:
        at = _parse_partner_time(data["order_at"])
        item = data["items"][0]
        batch.orders.append({
            "id": order_id, "partner_id": 1, "customer_id": self.customers[1][0]["id"], "guid": data["guid"],
            "order_code": data["order_code"], "external_id": data["external_id"], "type": data["type"],
            "flow": "buy-cash", "status_id": STATUS_IDS[data["status_name"]],
            "payment_type": data["payment_type"], "currency_code": data["currency_code"],
            "price": _dec(data["price"]), "tax": _dec(data["tax"]), "total": _dec(data["total"]),
            "payment_cost": _dec(data["payment_cost"]), "description": None, "push_hook": False,
            "cargo_tracking_number": None, "cargo_tracking_url": None, "sync_status": None,
            "order_at": at, "updated_at": at,
        })  # fmt: skip
        batch.items.append({"order_id": order_id, **{k: _dec(v) if isinstance(v, float | int) and k not in
                            ("product_id",) else v for k, v in item.items()}})  # fmt: skip
        self.used_codes.update({data["guid"], data["order_code"]})
        customer_id = self.customers[1][0]["id"]
        self._deposit(batch, 1, customer_id, "TRY", _dec(data["total"]), at, order_id=None)
        self._move(batch, 1, customer_id, order_id, "TRY", -_dec(data["total"]), "buy", at)
        self._move(batch, 1, customer_id, order_id, item["sku"], _dec(item["amount"]), "buy", at)
        self._history(batch, order_id, FLOWS["buy-cash"].path_to("Completed"), at)

    def _add_order(self, batch: _Batch, order_id: int, plan: _Plan) -> None:
        rng, flow = self.rng_orders, plan.flow
        customer = None if plan.b2b else rng.choice(self.customers[plan.partner_id])
        customer_id = customer["id"] if customer else None
        if flow.type == "Delivery":
            sku = rng.choice(tuple(DELIVERY_FEE_PER_GRAM))
        else:
            sku = rng.weighted(("GAU", "GAG", "BGAU", "BGAG", "GPT", "GPD"), (45, 25, 10, 8, 7, 5))
        product = PRODUCTS_BY_SKU[sku]
        quote = self.feed.quote(sku, plan.at, plan.currency)
        settled = plan.status in _SETTLED[flow.type]
        held = self.balances.get((plan.partner_id, customer_id, sku), Decimal(0))
        if flow.type == "Delivery":
            amount = Decimal(rng.choice(DELIVERY_GRAMS[sku]))
            price = money(DELIVERY_FEE_PER_GRAM[sku] / self.feed.fx[plan.currency])
        else:
            amount = self._digital_amount(sku, held if flow.type == "Sell" else None)
            price = quote.buy if flow.type == "Buy" else quote.sell
        total = money(price * amount)
        card = flow.payment_type == "credit-card"
        commission = money(total * CARD_COMMISSION) if card else Decimal(0)
        guid, code = self._unique(self.rng_codes.guid), self._unique(self.rng_codes.order_code)
        external_id = None
        if rng.random() >= 0.1:
            millis = int(plan.at.timestamp() * 1000)
            external_id = f"{millis}-{self.rng_codes.guid().lower()}"
        shipped = flow.type == "Delivery" and plan.status in ("Shipped", "Completed")
        tracking = f"MNG{self.rng_codes.digits(10)}" if shipped else None
        batch.orders.append({
            "id": order_id, "partner_id": plan.partner_id, "customer_id": customer_id, "guid": guid,
            "order_code": code, "external_id": external_id, "type": flow.type, "flow": flow.name,
            "status_id": STATUS_IDS[plan.status], "payment_type": flow.payment_type,
            "currency_code": plan.currency, "price": total, "tax": Decimal(0), "total": total,
            "payment_cost": commission,
            "description": None if flow.type == "Delivery" else f"{_grams_text(amount)}gr - #{sku}",
            "push_hook": False, "cargo_tracking_number": tracking,
            "cargo_tracking_url": f"https://kargo.example.com/takip/{tracking}" if tracking else None,
            "sync_status": (plan.status not in ("Created", "Pending")) if flow.type == "Delivery" else None,
            "order_at": plan.at, "updated_at": plan.at,
        })  # fmt: skip
        batch.items.append({
            "order_id": order_id, "product_id": product.product_id, "sku": sku,
            "product_name": product.name, "spot_price": quote.spot, "price": price,
            "tax_rate": Decimal(0), "tax": Decimal(0), "amount": amount, "total": total,
        })  # fmt: skip
        if card:
            self._payment(batch, order_id, plan, total, commission, customer)
        if flow.type == "Delivery":
            self._addresses(batch, order_id, customer)
        if settled:
            self._settle(batch, plan, customer_id, order_id, sku, amount, total, card)
        self._history(batch, order_id, flow.path_to(plan.status), plan.at)

    def _digital_amount(self, sku: str, held: Decimal | None) -> Decimal:
        rng = self.rng_orders
        if held is not None and held > Decimal("0.01"):
            # Sells take a part of what the wallet holds.
            return max(grams(held * Decimal(str(round(rng.uniform(0.05, 0.6), 4)))), Decimal("0.01"))
        top = 500 if sku in ("GAG", "BGAG") else 20
        return grams(Decimal(str(round(rng.uniform(0.01, top), 4))))

    def _settle(self, batch: _Batch, plan: _Plan, customer_id: int | None, order_id: int, sku: str,
                amount: Decimal, total: Decimal, card: bool) -> None:  # fmt: skip
        """Ledger entries of an order whose money and metal have moved."""
        partner_id, at, kind = plan.partner_id, plan.at, plan.flow.type.lower()
        if plan.flow.type == "Buy":
            if not card:
                self._deposit(batch, partner_id, customer_id, plan.currency, total, at)
                self._move(batch, partner_id, customer_id, order_id, plan.currency, -total, kind, at)
            self._move(batch, partner_id, customer_id, order_id, sku, amount, kind, at)
            if plan.status == "Refunded":
                self._move(batch, partner_id, customer_id, order_id, sku, -amount, "refund", at)
        elif plan.flow.type == "Sell":
            self._deposit(batch, partner_id, customer_id, sku, amount, at)
            self._move(batch, partner_id, customer_id, order_id, sku, -amount, kind, at)
            self._move(batch, partner_id, customer_id, order_id, plan.currency, total, kind, at)
        else:
            self._deposit(batch, partner_id, customer_id, sku, amount, at)
            self._move(batch, partner_id, customer_id, order_id, sku, -amount, kind, at)
            if not card:
                self._deposit(batch, partner_id, customer_id, plan.currency, total, at)
                self._move(batch, partner_id, customer_id, order_id, plan.currency, -total, "fee", at)

    def _deposit(self, batch: _Batch, partner_id: int, customer_id: int | None, asset: str,
                 needed: Decimal, at: datetime, order_id: int | None = None) -> None:  # fmt: skip
        """Top the wallet up before a debit it could not cover: cash wired in, or metal transferred in."""
        held = self.balances.get((partner_id, customer_id, asset), Decimal(0))
        if held >= needed:
            return
        if asset in PRODUCTS_BY_SKU:
            top_up = grams(needed - held + Decimal(self.rng_orders.randint(0, 20)))
            kind = "transfer_in"
        else:
            top_up = money(needed - held + Decimal(self.rng_orders.randint(1, 50) * 1000))
            kind = "deposit"
        self._move(batch, partner_id, customer_id, order_id, asset, top_up, kind, at - timedelta(hours=1))

    def _move(self, batch: _Batch, partner_id: int, customer_id: int | None, order_id: int | None,
              asset: str, amount: Decimal, kind: str, at: datetime) -> None:  # fmt: skip
        key = (partner_id, customer_id, asset)
        self.balances[key] = self.balances.get(key, Decimal(0)) + amount
        self.ledger_id += 1
        batch.ledger.append({
            "id": self.ledger_id, "partner_id": partner_id, "customer_id": customer_id,
            "order_id": order_id, "asset": asset, "amount": amount, "kind": kind, "created_at": at,
        })  # fmt: skip

    def _payment(self, batch: _Batch, order_id: int, plan: _Plan, total: Decimal, commission: Decimal,
                 customer: dict[str, Any] | None) -> None:  # fmt: skip
        rng = self.rng_orders
        status = plan.status
        if status == "Pending":
            state = "new"
        elif status == "Cancelled":
            state = "fail"
        elif status == "Refunded":
            state = "refunded"
        else:
            state = "success"
        decline = rng.choice(CARD_DECLINES) if state == "fail" else (None, None)
        number, association = rng.choice(TEST_CARDS)
        holder = f"{customer['firstname']} {customer['lastname']}" if customer else self.fake.name()
        token = self._unique(lambda: self.rng_codes.token(32))
        self.payment_id += 1
        batch.payments.append({
            "id": self.payment_id, "order_id": order_id, "state": state, "token": token,
            "redirect_url": f"/pay/{token}" if state == "new" else None, "is_3d": True, "auth_mode": "3d",
            "amount": total, "comission": commission, "total": total + commission, "installment": 1,
            "transaction_id": self.rng_codes.digits(12) if state in ("success", "refunded") else None,
            "refunded_amount": total + commission if state == "refunded" else Decimal(0),
            "error_code": decline[0], "error_message": decline[1], "card_holder": holder.upper(),
            "card_number": number, "card_expiry": f"{rng.randint(1, 12):02d}/{rng.randint(27, 31)}",
            "card_association": association, "customer_ip": self.fake.ipv4_public(),
            "created_at": plan.at,
        })  # fmt: skip

    def _addresses(self, batch: _Batch, order_id: int, customer: dict[str, Any] | None) -> None:
        rng, fake = self.rng_orders, self.fake
        province = rng.choice(geo.PROVINCES)
        district = rng.choice(geo.districts(province))
        neighbourhood = f"{rng.choice(geo.NEIGHBOURHOODS)} Mah."
        street = f"{fake.last_name()} Sk."
        line = f"{neighbourhood} {street} No:{rng.randint(1, 120)} D:{rng.randint(1, 30)}"
        fullname = f"{customer['firstname']} {customer['lastname']}" if customer else fake.name()
        corporate = bool(customer and customer["account_type"] == "company")
        common = {
            "order_id": order_id, "fullname": fullname, "phone": customer["phone"] if customer else None,
            "city": province, "county": district, "district": neighbourhood, "address": line,
            "zipcode": f"{rng.randint(1, 81):02d}{rng.randint(0, 999):03d}", "street": street,
        }  # fmt: skip
        for kind in ("billing", "shipping"):
            self.address_id += 1
            batch.addresses.append({
                **common, "id": self.address_id, "kind": kind,
                "external_id": f"ADR-{self.rng_codes.digits(8)}",
                "invoice_type": ("Corporate" if corporate else "Individual") if kind == "billing" else None,
                "company_name": customer["company_name"] if corporate and kind == "billing" else None,
                "email": customer["email"] if customer and kind == "billing" else None,
                "tax_office": customer["tax_office"] if corporate else None,
                "tax_number": customer["tax_number"] if corporate else None,
            })  # fmt: skip

    def _history(self, batch: _Batch, order_id: int, path: list[str], at: datetime) -> None:
        moment = at
        for status in path:
            self.history_id += 1
            batch.history.append(
                {"id": self.history_id, "order_id": order_id, "status_id": STATUS_IDS[status], "at": moment}
            )
            moment += timedelta(minutes=self.rng_orders.randint(1, 240))

    def _unique(self, make: Callable[[], str]) -> str:
        while (value := make()) in self.used_codes:
            pass
        self.used_codes.add(value)
        return value


# Statuses in which an order's money and metal have moved (and so have ledger entries).
_SETTLED = {
    "Buy": {"Completed", "Refunding", "Refunded"},
    "Sell": {"Completed"},
    "Delivery": {"Preparing", "Packed", "Shipped", "Completed"},
}


def _name(draw: Callable[[], str]) -> str:
    """A name of letters only: Faker's tr_TR lists carry a few abbreviations and typos ("Emine.",
    "N˜zamett˜n"), which are drawn again (deterministically: the draws come from the seeded Faker)."""
    while True:
        name = draw()
        if all(char.isalpha() or char in " -'" for char in name):
            return name


def _dec(value: float | int | str) -> Decimal:
    return Decimal(str(value))


def _grams_text(amount: Decimal) -> str:
    text = format(amount.normalize(), "f")
    return text


def _parse_partner_time(text: str) -> datetime:
    """documented: Get Order renders `order_at` as `dd-mm-YYYY HH:MM` in Istanbul time."""
    return datetime.strptime(text, "%d-%m-%Y %H:%M").replace(tzinfo=ISTANBUL)
