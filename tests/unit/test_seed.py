"""The seeded world: deterministic per seed, different across seeds, and internally consistent."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from sandbox.catalog import STATUS_IDS
from sandbox.core.ids import Rng
from sandbox.domain import ledger
from sandbox.domain.flows import FLOWS
from sandbox.store.db import Store
from sandbox.store.models import Customer, LedgerEntry, Order, OrderItem, Wallet
from sandbox.world import (
    WorldSpec,
    build_world,
    documented,
    identity_number,
    is_valid_identity_number,
    world_is_current,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PARTNERS = {"demo": "demo-secret", "acme": "acme-secret"}
GOLDEN_GUID = "896AE1AC-E26F-4291-80B2-BF80DE0A920A"
# What the docs' examples name, seeded for demo before the random world: the golden order and its
# customer first, then fixtures/golden/documented-world.json's customers and orders, as printed.
DOCUMENTED = documented.load(FIXTURES)
DOCUMENTED_CUSTOMERS = {c["external_id"]: c for c in DOCUMENTED.customers}
DOCUMENTED_GUIDS = {o["data"]["guid"] for o in DOCUMENTED.orders}
CENT = Decimal("0.01")
small_world = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(
    seed: int = 42, *, orders: int = 400, customers: int = 50, partners: dict[str, str] | None = None
) -> Store:
    store = Store("sqlite://")
    spec = WorldSpec(seed=seed, partners=partners or PARTNERS, customers_per_partner=customers, orders=orders)
    build_world(store, spec, FIXTURES)
    return store


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key."""
    with store.engine.connect() as connection:
        return {
            table.name: [
                tuple(row) for row in connection.execute(sa_select(table).order_by(*table.primary_key))
            ]
            for table in SQLModel.metadata.sorted_tables
        }


def rows(store: Store, model: type[SQLModel]) -> list[Any]:
    with store.session() as session:
        return list(session.exec(select(model).order_by(model.id)))


@pytest.fixture(scope="module")
def world() -> Iterator[Store]:
    store = build()
    yield store
    store.dispose()


# -- determinism ------------------------------------------------------------------------------------


def test_build_world_same_seed_returns_identical_rows(world: Store) -> None:
    again = build()

    first, second = dump(world), dump(again)
    assert {name: len(table) for name, table in first.items() if name != "webhook_event"} == {
        name: len(table) for name, table in second.items() if name != "webhook_event"
    }
    assert len(first["orders"]) == 400 + len(DOCUMENTED_GUIDS)
    assert first == second


def test_build_world_rebuilt_over_other_seed_equals_fresh_build(world: Store) -> None:
    store = build(7)
    build_world(store, WorldSpec(seed=42, partners=PARTNERS, customers_per_partner=50, orders=400), FIXTURES)

    assert dump(store) == dump(world)


def test_build_world_different_seed_returns_different_customers(world: Store) -> None:
    other = build(43)

    mine = {c.external_id for c in rows(world, Customer)}
    theirs = {c.external_id for c in rows(other, Customer)}
    assert mine & theirs == set(DOCUMENTED_CUSTOMERS)  # only the docs' examples' customers are fixed


def test_build_world_different_seed_returns_different_orders(world: Store) -> None:
    other = build(43)

    mine = {o.guid for o in rows(world, Order)}
    theirs = {o.guid for o in rows(other, Order)}
    assert mine & theirs == DOCUMENTED_GUIDS
    skip = len(DOCUMENTED_GUIDS)
    assert [o.order_code for o in rows(world, Order)][skip:] != [o.order_code for o in rows(other, Order)][
        skip:
    ]


def test_world_is_current_for_its_own_spec_only(world: Store) -> None:
    spec = WorldSpec(seed=42, partners=PARTNERS, customers_per_partner=50, orders=400)

    assert world_is_current(world, spec)
    assert not world_is_current(
        world, WorldSpec(seed=7, partners=PARTNERS, customers_per_partner=50, orders=400)
    )
    assert not world_is_current(
        world, WorldSpec(seed=42, partners=PARTNERS, customers_per_partner=50, orders=401)
    )


def test_world_is_current_empty_store_returns_false() -> None:
    assert not world_is_current(Store("sqlite://"), WorldSpec(42, PARTNERS, 50, 400))


# -- shape of the world -----------------------------------------------------------------------------


def test_build_world_includes_golden_order_for_demo(world: Store) -> None:
    golden = rows(world, Order)[0]

    assert (golden.id, golden.partner_id, golden.guid, golden.order_code) == (1, 1, GOLDEN_GUID, "ALS8HEVP")


def test_build_world_without_demo_partner_has_no_golden_order() -> None:
    store = build(orders=60, customers=5, partners={"acme": "acme-secret"})

    assert GOLDEN_GUID not in {o.guid for o in rows(store, Order)}
    assert len(rows(store, Order)) == 60


def test_build_world_small_order_count_still_covers_every_flow_and_status() -> None:
    """28 flow × status pairs per partner, even when fewer orders were asked for."""
    store = build(orders=10, customers=5)

    pairs: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for order in rows(store, Order)[len(DOCUMENTED_GUIDS) :]:  # the random world's orders
        pairs[order.partner_id].add((order.flow, order.status_id))
    expected = {
        (flow.name, status) for flow in FLOWS.values() for status in map(STATUS_IDS.get, flow.reachable())
    }
    assert len(expected) == 28
    assert pairs == {1: expected, 2: expected}


def test_build_world_customers_per_partner(world: Store) -> None:
    per_partner: dict[int, int] = defaultdict(int)
    for customer in rows(world, Customer):
        per_partner[customer.partner_id] += 1

    assert per_partner == {1: 50, 2: 50}


def test_seeded_random_person_identity_numbers_pass_turkish_checksum(world: Store) -> None:
    people = [
        c
        for c in rows(world, Customer)
        if c.account_type == "person" and c.external_id not in DOCUMENTED_CUSTOMERS
    ]

    assert len(people) > 50
    assert [c.identity_number for c in people if not is_valid_identity_number(c.identity_number)] == []


def test_seeded_documented_customers_carry_their_printed_identity_numbers(world: Store) -> None:
    """As the docs print them, checksum or not (12345677938 fails it, 555555's has 10 digits)."""
    seeded = {
        c.external_id: c.identity_number
        for c in rows(world, Customer)
        if c.external_id in DOCUMENTED_CUSTOMERS
    }

    assert seeded == {external_id: c["identity_number"] for external_id, c in DOCUMENTED_CUSTOMERS.items()}


def test_seeded_companies_carry_a_10_digit_tax_number_as_identity_number(world: Store) -> None:
    companies = [c for c in rows(world, Customer) if c.account_type == "company"]

    assert companies
    assert [c.identity_number for c in companies if not re.fullmatch(r"\d{10}", c.identity_number)] == []
    assert all(c.tax_office and c.lastname is None and c.gender is None for c in companies)


def test_seeded_person_names_are_letters_only(world: Store) -> None:
    """A person's name is letters, spaces, hyphens or apostrophes (Faker's tr_TR list has typos)."""
    names = [
        name
        for c in rows(world, Customer)
        if c.account_type == "person"
        for name in (c.firstname, c.middlename, c.lastname)
        if name and not all(ch.isalpha() or ch in " -'" for ch in name)
    ]

    assert names == []


@given(st.integers(min_value=0, max_value=2**32))
def test_identity_number_for_any_stream_passes_checksum(seed: int) -> None:
    number = identity_number(Rng(str(seed)))

    assert len(number) == 11 and number[0] != "0"
    assert is_valid_identity_number(number)


@pytest.mark.parametrize("number", [
    "46714948611",  # wrong 11th digit
    "46714948600",  # wrong 10th digit
    "06714948610",  # leading zero
    "4671494861",  # ten digits
    "467149486100",  # twelve digits
    "4671494861a",  # not a digit
    "",
])  # fmt: skip
def test_is_valid_identity_number_rejects_invalid(number: str) -> None:
    assert not is_valid_identity_number(number)


def test_is_valid_identity_number_accepts_documented_example() -> None:
    assert is_valid_identity_number("46714948610")


# -- money and metal invariants, for any seed -------------------------------------------------------


@small_world
@given(st.integers(min_value=0, max_value=2**31))
def test_any_seed_item_totals_are_price_times_amount_at_2dp(seed: int) -> None:
    items = rows(build(seed, orders=60, customers=5), OrderItem)

    assert len(items) == 60 + len(DOCUMENTED_GUIDS)  # one item an order
    assert [
        i.id for i in items if i.total != (i.price * i.amount).quantize(CENT, rounding=ROUND_HALF_UP)
    ] == []


@small_world
@given(st.integers(min_value=0, max_value=2**31))
def test_any_seed_order_total_is_sum_of_item_totals(seed: int) -> None:
    store = build(seed, orders=60, customers=5)
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for item in rows(store, OrderItem):
        sums[item.order_id] += item.total

    orders = rows(store, Order)
    assert len(orders) == 60 + len(DOCUMENTED_GUIDS)
    assert [o.id for o in orders if o.total != sums[o.id]] == []


@small_world
@given(st.integers(min_value=0, max_value=2**31))
def test_any_seed_wallet_balance_is_ledger_sum_and_never_negative(seed: int) -> None:
    store = build(seed, orders=60, customers=5)
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for entry in rows(store, LedgerEntry):
        sums[entry.wallet_id] += entry.amount
    wallets = {wallet.id: wallet.balance for wallet in rows(store, Wallet)}

    assert wallets
    assert wallets == {wallet_id: sums.get(wallet_id, Decimal(0)) for wallet_id in wallets}
    assert {wallet_id: total for wallet_id, total in wallets.items() if total < 0} == {}


@small_world
@given(st.integers(min_value=0, max_value=2**31))
def test_any_seed_no_wallet_goes_negative_in_ledger_order(seed: int) -> None:
    """Every debit is covered by what the wallet held when it was written (deposits come first)."""
    balances: dict[int, Decimal] = defaultdict(Decimal)
    overdrawn = []
    for entry in rows(build(seed, orders=60, customers=5), LedgerEntry):
        balances[entry.wallet_id] += entry.amount
        if balances[entry.wallet_id] < 0:
            overdrawn.append(entry.id)

    assert overdrawn == []


@small_world
@given(st.integers(min_value=0, max_value=2**31))
def test_any_seed_open_orders_are_covered_by_their_wallets(seed: int) -> None:
    """What open orders hold is in the wallet: no seeded balance row shows a negative real_balance."""
    store = build(seed, orders=60, customers=5)
    with store.session() as session:
        owners = {(wallet.partner_id, wallet.customer_id) for wallet in session.exec(select(Wallet))}
        short = []
        for partner_id, customer_id in owners:
            for asset, held in ledger.holds(session, partner_id, customer_id).items():
                wallet = ledger.find_wallet(session, partner_id, customer_id, asset)
                if (wallet.balance if wallet else Decimal(0)) < held.soft + held.hard:
                    short.append((partner_id, customer_id, asset))

    assert short == []
