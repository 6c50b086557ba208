"""Seeded orders in every flow × reachable status, with their items, payments, addresses, ledger
entries and status history, written in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.catalog import CURRENCIES, PRODUCTS_BY_SKU, STATUS_IDS
from sandbox.core import dates
from sandbox.core.money import grams, money
from sandbox.domain import fees
from sandbox.domain.cards import CARD_PAYMENT_COST
from sandbox.domain.flows import FLOWS, Flow
from sandbox.store import geo
from sandbox.store.models import (
    LedgerEntry,
    Order,
    OrderAddress,
    OrderItem,
    OrderRequest,
    OrderStatusHistory,
    Payment,
    Wallet,
    table_of,
)
from sandbox.world.context import WORLD_END, WorldContext
from sandbox.world.documented import DOCUMENTED_PARTNER, DocumentedWorld

BATCH = 5_000

# Random (non-coverage) orders: how often each flow appears, and each status within a flow.
FLOW_WEIGHTS = {"buy-cash": 40, "buy-card": 15, "sell": 25, "delivery-cash": 12, "delivery-card": 8}
STATUS_WEIGHTS = {"Completed": 30, "Cancelled": 4, "Refunded": 3}  # any other status: 1
CURRENCY_WEIGHTS = (80, 10, 6, 4)  # TRY, USD, EUR, GBP
B2B_SHARE = 0.15
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
# A payment's transaction id comes with the order's completion (the documented Pending order's
# successful payment has none).
CAPTURED = ("Completed", "Refunding", "Refunded")


@dataclass
class _Batch:
    requests: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    wallets: list[dict[str, Any]] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def orders_count(self) -> int:
        return len(self.orders)

    def tables(self) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        yield table_of(OrderRequest), self.requests
        yield table_of(Order), self.orders
        yield table_of(OrderItem), self.items
        yield table_of(Payment), self.payments
        yield table_of(OrderAddress), self.addresses
        yield table_of(Wallet), self.wallets
        yield table_of(LedgerEntry), self.ledger
        yield table_of(OrderStatusHistory), self.history


@dataclass(frozen=True)
class _Plan:
    partner_id: int
    flow: Flow
    status: str
    at: datetime
    currency: str
    b2b: bool


class OrderBuilder:
    def __init__(self, context: WorldContext) -> None:
        self.spec = context.spec
        self.rng_orders = context.rng_orders
        self.rng_codes = context.rng_codes
        self.fake = context.fake
        self.feed = context.feed
        self.start = context.start
        self.customers = context.customers
        self.order_customers = context.order_customers
        self.balances: dict[tuple[int, int | None, str], Decimal] = {}
        self.ledger_id = 0
        self.wallet_ids: dict[tuple[int, int | None, str], int] = {}
        self.reserved: dict[tuple[int, int | None, str], Decimal] = {}
        self.history_id = 0
        self.address_id = 0
        self.payment_id = 0
        self.request_id = 0
        self.used_codes: set[str] = set()

    def _plans(self) -> list[_Plan]:
        rng = self.rng_orders
        plans: list[_Plan] = []
        span = int((WORLD_END - self.start).total_seconds())
        coverage = [(flow, status) for flow in FLOWS.values() for status in flow.reachable()]
        if not self.spec.coverage:
            coverage = []
        for partner_id, share in enumerate(self.spec.order_shares(), start=1):
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

    def batches(self, documented: DocumentedWorld | None) -> Iterator[_Batch]:
        batch = _Batch()
        order_id = 0
        if documented:
            partner_id = list(self.spec.partners).index(DOCUMENTED_PARTNER) + 1
            for entry in documented.orders:
                order_id += 1
                self._add_documented(batch, order_id, partner_id, entry)
            self._add_holdings(batch, partner_id, documented.holdings)
        for plan in self._plans():
            order_id += 1
            self._add_order(batch, order_id, plan)
            if len(batch.orders) >= BATCH:
                yield batch
                batch = _Batch()
        if batch.orders:
            yield batch

    def _add_holdings(self, batch: _Batch, partner_id: int, holdings: dict[str, dict[str, str]]) -> None:
        """What the documented customers hold from the start (deposits, before any order)."""
        for customer in self.customers[partner_id]:
            for asset, amount in holdings.get(customer["external_id"], {}).items():
                self._move(
                    batch, partner_id, customer["id"], None, asset, Decimal(amount), "deposit", self.start
                )

    def _add_documented(self, batch: _Batch, order_id: int, partner_id: int, entry: dict[str, Any]) -> None:
        """An order the docs print, exactly as printed, with the ledger entries and holds its status
        implies (fixtures/golden; sandbox/world/documented.py)."""
        data, flow = entry["data"], FLOWS[entry["flow"]]
        customer = next(
            c for c in self.customers[partner_id] if c["external_id"] == data["customer_external_id"]
        )
        at = dates.parse_order_at(data["order_at"])
        status = data["status_name"]
        item = data["items"][0]
        amount, total = _dec(item["amount"]), _dec(data["total"])
        batch.orders.append({
            "id": order_id, "partner_id": partner_id, "customer_id": customer["id"], "guid": data["guid"],
            "order_code": data["order_code"], "external_id": data["external_id"], "type": data["type"],
            "request_id": self._request(batch, partner_id, data["external_id"], flow.type.lower(), at),
            "flow": flow.name, "status_id": STATUS_IDS[status],
            "payment_type": data["payment_type"], "currency_code": data["currency_code"],
            "price": _dec(data["price"]), "tax": _dec(data["tax"]), "total": total,
            "payment_cost": _dec(data["payment_cost"]), "description": data.get("description"),
            "push_hook": False, "cargo_tracking_number": None, "cargo_tracking_url": None,
            "sync_status": None, "order_at": at, "updated_at": at,
        })  # fmt: skip
        batch.items.append({"order_id": order_id, **{k: _dec(v) if isinstance(v, float | int) and k not in
                            ("product_id",) else v for k, v in item.items()}})  # fmt: skip
        payment = data.get("payment")
        if payment is not None:
            self.payment_id += 1
            batch.payments.append({
                "id": self.payment_id, "order_id": order_id, "installment": 1, "created_at": at,
                **{k: _dec(v) if isinstance(v, float | int) and not isinstance(v, bool) else v
                   for k, v in payment.items() if k != "details"},
                **payment["details"],
            })  # fmt: skip
        self.used_codes.update({data["guid"], data["order_code"]})
        plan = _Plan(partner_id, flow, status, at, data["currency_code"], b2b=False)
        if status in _SETTLED[flow.type]:
            self._settle(
                batch, plan, customer["id"], order_id, item["sku"], amount, total, payment is not None
            )
        if status in flow.soft_holds | flow.hard_holds:
            self._reserve(batch, plan, customer["id"], item["sku"], amount, total)
        self._history(batch, order_id, flow.path_to(status), at)

    def _add_order(self, batch: _Batch, order_id: int, plan: _Plan) -> None:
        rng, flow = self.rng_orders, plan.flow
        customer = None if plan.b2b else rng.choice(self.order_customers[plan.partner_id])
        customer_id = customer["id"] if customer else None
        if flow.type == "Delivery":
            sku = rng.choice(fees.DELIVERABLE_SKUS)
        else:
            sku = rng.weighted(("GAU", "GAG", "BGAU", "BGAG", "GPT", "GPD"), (45, 25, 10, 8, 7, 5))
        product = PRODUCTS_BY_SKU[sku]
        quote = self.feed.quote(sku, plan.at, plan.currency)
        settled = plan.status in _SETTLED[flow.type]
        held = self._free((plan.partner_id, customer_id, sku))
        if flow.type == "Delivery":
            amount = Decimal(rng.choice(DELIVERY_GRAMS[sku]))
            # The fee per gram of the sandbox delivery fee table (sandbox/domain/fees.py).
            price = fees.quote(sku, amount, plan.currency, self.feed.fx).per_gram
        else:
            amount = self._digital_amount(sku, held if flow.type == "Sell" else None)
            price = quote.buy if flow.type == "Buy" else quote.sell
        total = money(price * amount)
        card = flow.payment_type == "credit-card"
        payment_cost = CARD_PAYMENT_COST if card else Decimal(0)
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
            "request_id": self._request(batch, plan.partner_id, external_id, flow.type.lower(), plan.at),
            "status_id": STATUS_IDS[plan.status], "payment_type": flow.payment_type,
            "currency_code": plan.currency, "price": total, "tax": Decimal(0), "total": total,
            "payment_cost": payment_cost,
            "description": None if flow.type == "Delivery" else f"{_grams_text(amount)}gr - #{sku}",
            "push_hook": False, "cargo_tracking_number": tracking,
            "cargo_tracking_url": f"https://kargo.example.com/takip/{tracking}" if tracking else None,
            "sync_status": "Preparing" in flow.path_to(plan.status) if flow.type == "Delivery" else None,
            "order_at": plan.at, "updated_at": plan.at,
        })  # fmt: skip
        batch.items.append({
            "order_id": order_id, "product_id": product.product_id, "sku": sku,
            "product_name": product.name, "spot_price": quote.spot, "price": price,
            "tax_rate": Decimal(0), "tax": Decimal(0), "amount": amount, "total": total,
        })  # fmt: skip
        if card:
            self._payment(batch, order_id, plan, total, customer)
        if flow.type == "Delivery":
            self._addresses(batch, order_id, customer)
        if settled:
            self._settle(batch, plan, customer_id, order_id, sku, amount, total, card)
        if plan.status in flow.soft_holds | flow.hard_holds:
            self._reserve(batch, plan, customer_id, sku, amount, total)
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
        held = self._free((partner_id, customer_id, asset))
        if held >= needed:
            return
        if asset in PRODUCTS_BY_SKU:
            top_up = grams(needed - held + Decimal(self.rng_orders.randint(0, 20)))
            kind = "transfer_in"
        else:
            top_up = money(needed - held + Decimal(self.rng_orders.randint(1, 50) * 1000))
            kind = "deposit"
        self._move(batch, partner_id, customer_id, order_id, asset, top_up, kind, at - timedelta(hours=1))

    def _reserve(self, batch: _Batch, plan: _Plan, customer_id: int | None, sku: str, amount: Decimal,
                 total: Decimal) -> None:  # fmt: skip
        """An open order holds what it will take (see Flow.held): make sure the wallet has it, and keep it
        aside so later orders cannot spend it."""
        for held in plan.flow.held:
            asset, needed = (sku, amount) if held == "metal" else (plan.currency, total)
            self._deposit(batch, plan.partner_id, customer_id, asset, needed, plan.at)
            key = (plan.partner_id, customer_id, asset)
            self.reserved[key] = self.reserved.get(key, Decimal(0)) + needed

    def _free(self, key: tuple[int, int | None, str]) -> Decimal:
        """What a wallet holds beyond what its open orders have reserved."""
        return self.balances.get(key, Decimal(0)) - self.reserved.get(key, Decimal(0))

    def _move(self, batch: _Batch, partner_id: int, customer_id: int | None, order_id: int | None,
              asset: str, amount: Decimal, kind: str, at: datetime) -> None:  # fmt: skip
        key = (partner_id, customer_id, asset)
        if key not in self.wallet_ids:
            self.wallet_ids[key] = len(self.wallet_ids) + 1
            batch.wallets.append({
                "id": self.wallet_ids[key], "partner_id": partner_id, "customer_id": customer_id,
                "asset": asset, "balance": Decimal(0), "created_at": at,
            })  # fmt: skip
        self.balances[key] = self.balances.get(key, Decimal(0)) + amount
        self.ledger_id += 1
        batch.ledger.append({
            "id": self.ledger_id, "wallet_id": self.wallet_ids[key], "order_id": order_id,
            "amount": amount, "kind": kind, "description": None, "created_at": at,
        })  # fmt: skip

    def _payment(self, batch: _Batch, order_id: int, plan: _Plan, total: Decimal,
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
        holder = _fullname(customer) if customer else self.fake.name()
        token = self._unique(lambda: self.rng_codes.token(32))
        self.payment_id += 1
        batch.payments.append({
            "id": self.payment_id, "order_id": order_id, "state": state, "token": token,
            "redirect_url": f"/pay/{token}" if state == "new" else None, "is_3d": True, "auth_mode": "3d",
            "amount": total, "comission": Decimal(0), "total": total, "installment": 1,
            "transaction_id": self.rng_codes.digits(12) if status in CAPTURED else None,
            "refunded_amount": total if state == "refunded" else Decimal(0),
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
        fullname = _fullname(customer) if customer else fake.name()
        company = customer if customer and customer["account_type"] == "company" else None
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
                "invoice_type": ("Corporate" if company else "Individual") if kind == "billing" else None,
                "company_name": company["firstname"] if company and kind == "billing" else None,
                "email": customer["email"] if customer and kind == "billing" else None,
                "tax_office": company["tax_office"] if company else None,
                "tax_number": company["identity_number"] if company else None,
            })  # fmt: skip

    def _history(self, batch: _Batch, order_id: int, path: list[str], at: datetime) -> None:
        moment = at
        for status in path:
            self.history_id += 1
            batch.history.append(
                {"id": self.history_id, "order_id": order_id, "status_id": STATUS_IDS[status], "at": moment}
            )
            moment += timedelta(minutes=self.rng_orders.randint(1, 240))

    def _request(
        self, batch: _Batch, partner_id: int, external_id: str | None, kind: str, at: datetime
    ) -> int | None:
        """The idempotency record of the request that made an order (none without an external_id)."""
        if external_id is None:
            return None
        self.request_id += 1
        batch.requests.append(
            {
                "id": self.request_id,
                "partner_id": partner_id,
                "external_id": external_id,
                "kind": kind,
                "created_at": at,
            }
        )
        return self.request_id

    def _unique(self, make: Callable[[], str]) -> str:
        while (value := make()) in self.used_codes:
            pass
        self.used_codes.add(value)
        return value


# Statuses in which an order's money and metal have moved (and so have ledger entries).
_SETTLED = {
    "Buy": {"Completed", "Refunding", "Refunded"},
    "Sell": {"Completed"},
    "Delivery": {"Shipped", "Completed"},
}


def _fullname(customer: dict[str, Any]) -> str:
    return " ".join(part for part in (customer["firstname"], customer["lastname"]) if part)


def _dec(value: float | int | str) -> Decimal:
    return Decimal(str(value))


def _grams_text(amount: Decimal) -> str:
    text = format(amount.normalize(), "f")
    return text
