"""Every table of the sandbox: the data model at a glance.

Money and grams are `Decimal` in Python and exact in the database: `numeric(28, 6)` on PostgreSQL,
integers of millionths on SQLite (which has no exact decimal type), so SQL can sort and sum them.
Datetimes are stored as naive UTC and rendered in Europe/Istanbul.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    Numeric,
    Table,
    UniqueConstraint,
    func,
    insert,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 14  # 7: fault_rule.enabled; 8: two indexes (Get Orders by type, webhook sender);
# 9: partner.profile, address company names kept as sent; 10: orders by owner and status;
# 11: sandbox_state (the clock and what every process must agree on); 12: sandbox_state.draws;
# 13: money as numeric on PostgreSQL; 14: customer_mode and play (the dashboard's played flows)


class Amount(TypeDecorator):
    """Money and grams, exact. PostgreSQL: `numeric(28, 6)`, which a team's own queries read as written.
    SQLite has no exact decimal type: an integer count of millionths there (sortable, summable)."""

    impl = BigInteger
    cache_ok = True
    SCALE = 6

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(28, self.SCALE))
        return dialect.type_descriptor(BigInteger())

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> Decimal | int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.SCALE)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.SCALE} decimal places")
        return scaled.scaleb(-self.SCALE) if dialect.name == "postgresql" else int(scaled)

    def process_result_value(self, value: Decimal | int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-self.SCALE) if isinstance(value, int) else value


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database (sorts as text on SQLite)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> datetime:
    return Field(
        default=None if nullable else ..., sa_column=Column(UtcDateTime(), nullable=nullable, index=index)
    )


class millionths(FunctionElement[int]):
    """An Amount expression as integer millionths: what SQLite holds, PostgreSQL's numeric scaled."""

    type = BigInteger()
    name = "millionths"
    inherit_cache = True


@compiles(millionths)
def _millionths(element: millionths, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)})"


@compiles(millionths, "postgresql")
def _millionths_of_numeric(element: millionths, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(({compiler.process(element.clauses, **kw)}) * {10**Amount.SCALE})::bigint"


def exact_sum(expression: Any) -> tuple[Any, Any]:
    """SUM of an Amount expression as two SQL sums: whole units and millionths, summed apart (`summed`
    joins them). One SUM of millionths overflows 64 bits (SQLite: "integer overflow") once a wallet's
    lifetime flows pass about 9.2e12; the whole units would need a million times more."""
    raw = millionths(expression)
    unit = 10**Amount.SCALE
    return func.coalesce(func.sum(raw // unit), 0), func.coalesce(func.sum(raw % unit), 0)


def summed(whole: int, fraction: int) -> Decimal:
    return Decimal(whole) + Decimal(fraction).scaleb(-Amount.SCALE)


def decimal_column(*, nullable: bool = False, default: Decimal | None = None) -> Decimal:
    return Field(default=default, sa_column=Column(Amount(), nullable=nullable))


class _Stored(Protocol):
    id: int | None


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for bulk inserts."""
    return model.__table__  # type: ignore[attr-defined]  # SQLModel sets `__table__` but does not declare it


def insert_row(connection: Connection, row: SQLModel) -> None:
    """Insert a table model's row with a plain Core insert and give it its id. The row stays out of
    any session (no unit of work to flush): for rows a request adds and never changes afterwards."""
    key = connection.execute(insert(table_of(type(row))), row.model_dump(exclude={"id"})).inserted_primary_key
    if key is None:  # only a statement other than an insert has none
        raise RuntimeError(f"{type(row).__name__} was not inserted")
    row.id = int(key[0])


def pk(row: _Stored) -> int:
    """The id of a row the database has given one (added and flushed, or read). A table model declares
    `id: int | None` only because a new row has none until its INSERT."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id: it was never flushed")
    return row.id


class Partner(SQLModel, table=True):
    """A tenant: one Digest username. Sees only its own customers, orders, cards and balances."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    password: str
    name: str
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # lenient | strict; null = the server's default (SANDBOX_PROFILE). Kept by a reset.
    profile: str | None = None
    created_at: datetime = utc_column()


class Customer(SQLModel, table=True):
    """A partner's end customer (B2B2C): a person, or a business with `account_type: company`.

    documented (Create Business Customer): a company's name goes in `firstname` and its 10-digit tax
    number in `identity_number`, with `tax_office` beside them.
    """

    # One live customer per external_id: a removed customer keeps its id (its past orders still show
    # it) and the partner may create a new customer with the same id.
    __table_args__ = (
        Index(
            "ux_customer_live_external_id",
            "partner_id",
            "external_id",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    external_id: str
    account_type: str = "person"  # person | company
    firstname: str | None = None
    middlename: str | None = None
    lastname: str | None = None
    email: str | None = None
    phone: str | None = None
    gender: str | None = None  # M | F
    identity_number: str | None = None
    birthdate: date | None = None
    tax_office: str | None = None
    kyc_status: str = "pending"  # pending | approved | rejected
    kyc_updated_at: datetime | None = utc_column(nullable=True)
    created_at: datetime = utc_column()
    updated_at: datetime = utc_column()
    # Remove Customer Id soft-deletes: the row stays for past orders, its external_id is renamed free.
    deleted_at: datetime | None = utc_column(nullable=True)


class Product(SQLModel, table=True):
    """A tradable metal (documented ids: GAU 3000001 / currency 1000004, ...)."""

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    sku: str = Field(unique=True)
    name: str
    currency_id: int
    metal: str
    deliverable: bool = False


class Order(SQLModel, table=True):
    """A Buy, Sell or Delivery order. `flow` names its lifecycle (sandbox/domain/flows.py)."""

    __tablename__ = "orders"
    __table_args__ = (
        # Not unique: one buy request with several items makes one order per item, all carrying the
        # request's external_id. Idempotency is enforced on OrderRequest.
        Index("ix_orders_partner_external", "partner_id", "external_id"),
        Index("ix_orders_partner_order_at", "partner_id", "order_at"),
        # Get Orders filtered by type: counts and deep pages walk this index alone (S3 in make bench).
        Index("ix_orders_partner_type_order_at", "partner_id", "type", "order_at"),
        # What an owner's open orders hold (ledger.holds, on every buy, sell and delivery): without it
        # SQLite walks all the partner's orders (S4 at 100,000 orders: 26 pairs/s, 60 % of it here).
        Index("ix_orders_owner_status", "partner_id", "customer_id", "status_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id")
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    request_id: int | None = Field(default=None, foreign_key="order_request.id", index=True)
    guid: str = Field(unique=True)
    order_code: str = Field(unique=True)
    external_id: str | None = None
    type: str  # Buy | Sell | Delivery
    flow: str  # buy-cash | buy-card | sell | delivery-cash | delivery-card
    status_id: int
    payment_type: str  # cash | credit-card
    currency_code: str
    price: Decimal = decimal_column()
    tax: Decimal = decimal_column()
    total: Decimal = decimal_column()
    payment_cost: Decimal | None = decimal_column(nullable=True)
    description: str | None = None
    push_hook: bool = False
    cargo_tracking_number: str | None = None
    cargo_tracking_url: str | None = None
    sync_status: bool | None = None
    order_at: datetime = utc_column()
    updated_at: datetime = utc_column()


class OrderRequest(SQLModel, table=True):
    """One buy, sell or delivery request: the partner's `external_id` may be used once (409 after)."""

    __tablename__ = "order_request"
    __table_args__ = (UniqueConstraint("partner_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id")
    external_id: str
    kind: str  # buy | sell | delivery
    created_at: datetime = utc_column()


class PriceFix(SQLModel, table=True):
    """A fixed price: the market's rows at fix time, valid until `expires_at`, usable by one order request."""

    __tablename__ = "price_fix"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    customer_external_id: str | None = None
    token: str = Field(unique=True)
    type: str = "digital"
    currency: str
    total: Decimal | None = decimal_column(nullable=True)
    is_total_price: bool = False
    prices: str  # JSON: {sku: {"spot": "..", "buy": "..", "sell": ".."}}
    created_at: datetime = utc_column()
    expires_at: datetime = utc_column()
    used_at: datetime | None = utc_column(nullable=True)


class OrderItem(SQLModel, table=True):
    """One product line; `total = price × amount` rounded to 2 dp."""

    __tablename__ = "order_item"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    sku: str
    product_name: str
    spot_price: Decimal = decimal_column()
    price: Decimal = decimal_column()
    tax_rate: Decimal = decimal_column()
    tax: Decimal = decimal_column()
    amount: Decimal = decimal_column()
    total: Decimal = decimal_column()


class OrderAddress(SQLModel, table=True):
    """Billing or shipping address of a delivery order."""

    __tablename__ = "order_address"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    kind: str  # billing | shipping
    external_id: str | None = None
    invoice_type: str | None = None  # Individual | Corporate (billing)
    fullname: str
    company_name: str | None = None
    phone: str | None = None
    email: str | None = None
    city: str
    county: str | None = None
    district: str | None = None
    address: str
    zipcode: str | None = None
    street: str | None = None
    tax_office: str | None = None
    tax_number: str | None = None


class Payment(SQLModel, table=True):
    """A card payment. Never holds a full card number or a CVV: only the masked number."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", unique=True)
    state: str  # new | success | fail | refunded
    token: str = Field(unique=True)
    redirect_url: str | None = None
    is_3d: bool = True
    auth_mode: str = "3d"
    amount: Decimal = decimal_column()
    comission: Decimal = decimal_column()
    total: Decimal = decimal_column()
    installment: int = 1
    transaction_id: str | None = None
    refunded_amount: Decimal = decimal_column(default=Decimal(0))
    error_code: str | None = None
    error_message: str | None = None
    card_holder: str
    card_number: str  # masked: 404809******7528
    card_expiry: str  # MM/YY
    card_association: str
    customer_ip: str | None = None
    # sandbox-only: what the magic card makes the processor do (never rendered)
    scenario: str = "approve"
    created_at: datetime = utc_column()


class Wallet(SQLModel, table=True):
    """One balance: a partner's own (B2B, no customer) or a customer's, in cash (`asset` = currency code)
    or in a metal (`asset` = sku). `balance` always equals the sum of its ledger entries and is never
    negative; /_sandbox/invariants proves both."""

    __table_args__ = (Index("ix_wallet_owner", "partner_id", "customer_id", "asset", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id")
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    asset: str
    balance: Decimal = decimal_column(default=Decimal(0))
    created_at: datetime = utc_column()


class StoredCard(SQLModel, table=True):
    """A card saved for one customer of one partner. Holds no full number and no CVV: the masked
    number, a keyed fingerprint (to find duplicates) and what the magic card does."""

    __tablename__ = "stored_card"
    __table_args__ = (UniqueConstraint("customer_id", "fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    token: str = Field(unique=True)
    fingerprint: str
    card_holder: str
    card_number: str  # masked: 404809******7528
    card_expiry: str  # MM/YY
    card_association: str
    scenario: str = "approve"
    created_at: datetime = utc_column()


class LedgerEntry(SQLModel, table=True):
    """One signed movement of one wallet, written in the same transaction as the order that caused it."""

    __tablename__ = "ledger_entry"

    id: int | None = Field(default=None, primary_key=True)
    wallet_id: int = Field(foreign_key="wallet.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    amount: Decimal = decimal_column()
    kind: str  # deposit | withdrawal | transfer_in | buy | sell | delivery | fee | refund
    description: str | None = None
    created_at: datetime = utc_column(index=True)


class OrderStatusHistory(SQLModel, table=True):
    """Every status an order has been in, in order."""

    __tablename__ = "order_status_history"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    status_id: int
    at: datetime = utc_column()


class WebhookEvent(SQLModel, table=True):
    """Outbox: written in the same transaction as the change it announces; a sender delivers it.

    `next_attempt_at` and `delivered_at` are on the sandbox clock; `claimed_until` is a real-time lease
    taken by the sender for the one attempt in flight (sandbox/domain/webhooks/sender.py).
    """

    __tablename__ = "webhook_event"
    # The sender's "no earlier pending event of the same order" check, per candidate event.
    __table_args__ = (Index("ix_webhook_event_order_state", "order_id", "state", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    event: str  # order.status_changed | order.pushed
    status_id: int | None = None  # the order's status when the event happened
    state: str = Field(default="pending", index=True)  # pending | delivered | failed
    attempts: int = 0  # attempts since the event was (re)queued
    created_at: datetime = utc_column()
    next_attempt_at: datetime | None = utc_column(nullable=True)
    claimed_until: datetime | None = utc_column(nullable=True)
    delivered_at: datetime | None = utc_column(nullable=True)


class WebhookDelivery(SQLModel, table=True):
    """One attempt to deliver an outbox event: where it went and what came back (body cut at 2 KiB)."""

    __tablename__ = "webhook_delivery"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="webhook_event.id", index=True)
    attempt: int  # 1, 2, ... over the event's whole life (a redelivery continues the count)
    url: str
    started_at: datetime = utc_column()
    status_code: int | None = None  # null: no HTTP answer (timeout, connection error, interrupted)
    error: str | None = None
    duration_ms: int | None = None
    response_body: str | None = None


class LifecycleMode(SQLModel, table=True):
    """How orders of one flow move on by themselves: immediate, manual, or timed (a step every N s)."""

    __tablename__ = "lifecycle_mode"

    flow: str = Field(primary_key=True)
    mode: str  # immediate | manual | timed
    step_seconds: int | None = None
    updated_at: datetime = utc_column()


class CustomerMode(SQLModel, table=True):
    """One customer's own progression mode, in place of its orders' flows' modes: a CI job on a shared
    sandbox holds (or times) its own customer's orders without changing anyone else's, and the
    dashboard's played flows step their orders at their own pace."""

    __tablename__ = "customer_mode"

    customer_id: int = Field(primary_key=True, foreign_key="customer.id")
    mode: str  # immediate | manual | timed
    step_seconds: int | None = None
    updated_at: datetime = utc_column()


class Play(SQLModel, table=True):
    """A scripted flow the dashboard plays for a demo (sandbox/ui/player.py) and what each step sent."""

    __tablename__ = "play"

    id: int | None = Field(default=None, primary_key=True)
    script: str  # buy-card | buy-cash | sell | delivery
    pause_ms: int  # between two steps, in real time
    partner: str
    customer_external_id: str
    order_guid: str | None = None
    state: str = "running"  # running | done | failed | stopped
    steps: str = "[]"  # JSON: what each step sent and got back, and what the order entered (Player.send)
    error: str | None = None
    created_at: datetime = utc_column()


class FaultRule(SQLModel, table=True):
    """A sandbox fault rule: which partner requests it matches and what happens to them instead.

    In the database (not one process's memory) so every worker applies it; `fired` counts up in a write
    transaction, so a rule with `times` fires exactly that often across workers.
    """

    __tablename__ = "fault_rule"

    id: int | None = Field(default=None, primary_key=True)
    method: str = "*"  # "*" or an upper-case HTTP method
    path: str = "*"  # glob on the request path; * matches any run of characters, / included
    partner: str | None = None  # Digest username; null = any partner
    external_id: str | None = None  # the JSON body's top-level external_id; null = any body
    effect: str  # error | latency | drop | malformed | timeout
    status: int | None = None  # error: the HTTP status
    error: str | None = None  # error: the catalogue key
    latency_ms: int | None = None  # latency: the delay before the request runs
    timeout_ms: int | None = None  # timeout: the delay before the 504
    probability: float = 1.0  # not money: a chance, drawn from the seeded "faults" stream
    times: int | None = None  # null: until removed
    fired: int = 0
    # false: kept (with its count) but never matches. The server default fills rules a reset or a schema
    # rebuild writes back from a database that had no such column (sandbox/world/template.py).
    enabled: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    created_at: datetime = utc_column()


class WorldMeta(SQLModel, table=True):
    """What the database holds: the seed and sizes it was built from (reused when they match)."""

    __tablename__ = "world_meta"

    key: str = Field(primary_key=True)
    value: str


class SandboxState(SQLModel, table=True):
    """The one row every process serving this database reads back when the database changed
    (sandbox/runtime/shared.py): the business clock, and counters that tell a process its copies are
    stale. `epoch` moves with every reset and reseed (ids, caches and the world start over), `version`
    with every change of the configuration processes keep copies of (clock, fault rules, profiles)."""

    __tablename__ = "sandbox_state"

    id: int = Field(default=1, primary_key=True)
    epoch: int = 0
    version: int = 0
    clock_frozen_at: datetime | None = utc_column(nullable=True)
    # Real mode: how far the clock runs ahead of real time (64 bits: PostgreSQL's integer stops at 35 min).
    clock_offset_us: int = Field(default=0, sa_type=BigInteger)
    draws: int = 0  # write transactions that drew ids since the last reset (sandbox/store/shared.py)
