"""Stats (POST /partner/balance/stats) and Customer Balance 7d Stats
(GET /partner/balance/customer/{id}/stats), checked against sums computed by hand from the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from sandbox.catalog import STATUS_IDS
from sandbox.core.clock import ISTANBUL, Clock
from sandbox.core.dates import day_end
from sandbox.store.models import Customer, LedgerEntry, Order, OrderItem, Wallet
from sandbox.testing.server import SandboxServer
from sandbox.world import WORLD_END
from tests.api.helpers import error_body, field_errors, ok_data
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import make_settings

WORLD_DAYS = (date(2020, 1, 1), date(2026, 11, 1))  # the golden order is from 2023
TODAY = WORLD_END.astimezone(ISTANBUL).date()  # the dedicated server's frozen clock
AMOUNT_KEYS = ("bought_amount", "bought_total", "sold_amount", "sold_total", "delivered_amount")
ITEM_KEYS = ["sku", "currency_code", *AMOUNT_KEYS, "order_count"]


def dec(value: Any) -> Decimal:
    return Decimal(str(value))


def as_decimals(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: dec(v) if k in AMOUNT_KEYS else v for k, v in item.items()} for item in items]


def completed(server: SandboxServer, partner_id: int) -> list[tuple[Order, OrderItem]]:
    with server.sandbox.store.session() as session:
        query = (
            select(Order, OrderItem)
            .join(OrderItem, col(OrderItem.order_id) == col(Order.id))
            .where(Order.partner_id == partner_id, Order.status_id == STATUS_IDS["Completed"])
        )
        return list(session.exec(query))


def istanbul_day(order: Order) -> date:
    return order.order_at.astimezone(ISTANBUL).date()


def expected_items(
    server: SandboxServer, partner_id: int, start: date, end: date, customer_id: int | None = None
) -> list[dict[str, Any]]:
    """Stats by hand: one loop over the partner's Completed orders."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    field = {"Buy": ("bought_amount", "bought_total"), "Sell": ("sold_amount", "sold_total")}
    for order, item in completed(server, partner_id):
        if not start <= istanbul_day(order) <= end:
            continue
        if customer_id is not None and order.customer_id != customer_id:
            continue
        row = rows.setdefault(
            (item.sku, order.currency_code),
            {"sku": item.sku, "currency_code": order.currency_code}
            | dict.fromkeys(AMOUNT_KEYS, Decimal(0))
            | {"order_count": 0},
        )
        if order.type == "Delivery":
            row["delivered_amount"] += item.amount
        else:
            grams, money = field[order.type]
            row[grams] += item.amount
            row[money] += item.total
        row["order_count"] += 1
    return [rows[key] for key in sorted(rows)]


def customers(server: SandboxServer, partner_id: int) -> list[Customer]:
    with server.sandbox.store.session() as session:
        query = select(Customer).where(Customer.partner_id == partner_id).order_by(Customer.id)
        return list(session.exec(query))


def stats(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post("/partner/balance/stats", json=body, headers={"Accept-Language": "en"})


# -- Stats (POST /partner/balance/stats) -------------------------------------------------------------


def test_stats_whole_world_equals_hand_sums_per_sku_and_currency(
    client: httpx.Client, server: SandboxServer
) -> None:
    start, end = WORLD_DAYS

    data = ok_data(stats(client, startDate=start.isoformat(), endDate=end.isoformat()))

    assert (data["start_date"], data["end_date"], data["customer_external_id"]) == (
        "2020-01-01",
        "2026-11-01",
        None,
    )
    assert [list(item) for item in data["items"]] == [ITEM_KEYS] * len(data["items"])
    assert as_decimals(data["items"]) == expected_items(server, 1, start, end)
    assert len(data["items"]) > 3


def test_stats_items_are_sorted_by_sku_then_currency(client: httpx.Client) -> None:
    items = ok_data(stats(client, startDate="2020-01-01", endDate="2026-11-01"))["items"]

    keys = [(item["sku"], item["currency_code"]) for item in items]
    assert keys == sorted(keys)


def test_stats_accepts_day_first_dates_and_answers_iso_days(
    client: httpx.Client, server: SandboxServer
) -> None:
    data = ok_data(stats(client, startDate="01-09-2026", endDate="30-09-2026"))

    assert (data["start_date"], data["end_date"]) == ("2026-09-01", "2026-09-30")
    assert as_decimals(data["items"]) == expected_items(server, 1, date(2026, 9, 1), date(2026, 9, 30))


def test_stats_one_customer_counts_only_its_orders(client: httpx.Client, server: SandboxServer) -> None:
    start, end = WORLD_DAYS
    counts: dict[int, int] = {}
    for order, _ in completed(server, 1):
        if order.customer_id is not None and start <= istanbul_day(order) <= end:
            counts[order.customer_id] = counts.get(order.customer_id, 0) + 1
    customer = next(c for c in customers(server, 1) if counts.get(c.id, 0) >= 3)

    data = ok_data(
        stats(client, startDate="01-01-2020", endDate="2026-11-01", customer_external_id=customer.external_id)
    )

    assert data["customer_external_id"] == customer.external_id
    assert as_decimals(data["items"]) == expected_items(server, 1, start, end, customer.id)
    assert sum(item["order_count"] for item in data["items"]) == counts[customer.id]


def test_stats_day_range_is_inclusive_in_istanbul_time(client: httpx.Client, server: SandboxServer) -> None:
    # An order placed after midnight in Istanbul but before midnight UTC belongs to the Istanbul day.
    order, item = next((o, i) for o, i in completed(server, 1) if istanbul_day(o) != o.order_at.date())
    day = istanbul_day(order)

    same_day = ok_data(stats(client, startDate=day.isoformat(), endDate=day.isoformat()))["items"]
    utc_day = ok_data(stats(client, startDate=order.order_at.date().isoformat(),
                            endDate=order.order_at.date().isoformat()))["items"]  # fmt: skip

    assert as_decimals(same_day) == expected_items(server, 1, day, day)
    assert (item.sku, order.currency_code) in {(i["sku"], i["currency_code"]) for i in same_day}
    assert as_decimals(utc_day) == expected_items(server, 1, order.order_at.date(), order.order_at.date())


def test_stats_range_without_completed_orders_returns_no_items(client: httpx.Client) -> None:
    data = ok_data(stats(client, startDate="2001-01-01", endDate="2001-12-31"))

    assert data == {
        "start_date": "2001-01-01",
        "end_date": "2001-12-31",
        "customer_external_id": None,
        "items": [],
    }


def test_stats_each_partner_sees_only_its_own_orders(
    acme_client: httpx.Client, server: SandboxServer
) -> None:
    start, end = WORLD_DAYS

    data = ok_data(stats(acme_client, startDate=start.isoformat(), endDate=end.isoformat()))

    assert as_decimals(data["items"]) == expected_items(server, 2, start, end)


def test_stats_end_before_start_returns_422_on_end_date(client: httpx.Client) -> None:
    response = stats(client, startDate="2026-10-02", endDate="2026-10-01")

    assert field_errors(response) == {"endDate": ["Must not be before startDate."]}


@pytest.mark.parametrize("day", ["2026-02-30", "1899-12-31", "2026/10/01", "", "tomorrow"])
def test_stats_invalid_start_date_returns_422_invalid_day(client: httpx.Client, day: str) -> None:
    response = stats(client, startDate=day, endDate="2026-10-01")

    assert field_errors(response) == {
        "startDate": ["Must be a date between 1900 and 2999 as YYYY-MM-DD or DD-MM-YYYY."]
    }


def test_stats_missing_dates_return_422_on_both_fields(client: httpx.Client) -> None:
    assert field_errors(stats(client)) == {
        "startDate": ["This field is required."],
        "endDate": ["This field is required."],
    }


def test_stats_unknown_customer_returns_404(client: httpx.Client) -> None:
    response = stats(client, startDate="2026-10-01", endDate="2026-10-31", customer_external_id="nobody")

    error_body(response, 404, "customer_not_found")


def test_stats_other_partners_customer_returns_404(client: httpx.Client, server: SandboxServer) -> None:
    demo_ids = {c.external_id for c in customers(server, 1)}
    foreign = next(c for c in customers(server, 2) if c.external_id not in demo_ids)

    response = stats(
        client, startDate="2026-10-01", endDate="2026-10-31", customer_external_id=foreign.external_id
    )

    error_body(response, 404, "customer_not_found")


# -- Customer Balance 7d Stats: a dedicated server frozen at the end of the seeded timeline -----------


@pytest.fixture(scope="module")
def frozen_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    settings = make_settings(tmp_path_factory.mktemp("balance-history"))
    with SandboxServer(settings, clock=Clock(frozen_at=WORLD_END)) as running:
        yield running


@pytest.fixture
def frozen_client(frozen_server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=frozen_server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS
    ) as http:
        yield http


def week() -> list[date]:
    return [TODAY - timedelta(days=back) for back in range(6, -1, -1)]


def end_of_day_balances(server: SandboxServer, wallet_id: int) -> list[Decimal]:
    """By hand: the wallet's entries created before each next day's Istanbul midnight."""
    with server.sandbox.store.session() as session:
        entries = list(session.exec(select(LedgerEntry).where(LedgerEntry.wallet_id == wallet_id)))
    return [sum((e.amount for e in entries if e.created_at < day_end(day)), Decimal(0)) for day in week()]


def busy_customer(server: SandboxServer) -> tuple[Customer, dict[str, Wallet]]:
    """A demo customer whose ledger moved during the last seven days of the seeded world."""
    window_start = day_end(TODAY - timedelta(days=7))
    with server.sandbox.store.session() as session:
        query = (
            select(Wallet.customer_id)
            .join(LedgerEntry, col(LedgerEntry.wallet_id) == col(Wallet.id))
            .where(Wallet.partner_id == 1, col(Wallet.customer_id).is_not(None))
            .where(col(LedgerEntry.created_at) >= window_start, col(LedgerEntry.created_at) < day_end(TODAY))
            .order_by(Wallet.customer_id)
        )
        customer_id = session.exec(query).first()
        customer = session.get(Customer, customer_id)
        wallets = {w.asset: w for w in session.exec(select(Wallet).where(Wallet.customer_id == customer_id))}
    return customer, wallets


def history(http: httpx.Client, external_id: str) -> list[dict[str, Any]]:
    return ok_data(http.get(f"/partner/balance/customer/{external_id}/stats"))


def test_daily_stats_lists_opened_wallets_in_balance_row_order(
    frozen_client: httpx.Client, frozen_server: SandboxServer
) -> None:
    customer, wallets = busy_customer(frozen_server)
    rows = ok_data(frozen_client.get(f"/partner/balance/customer/{customer.external_id}"))

    data = history(frozen_client, customer.external_id)

    assert [(w["currency_code"], w["is_cash"]) for w in data] == [
        (row["currency_code"], row["is_cash"]) for row in rows if row["currency_code"] in wallets
    ]
    assert [list(w) for w in data] == [["currency_code", "is_cash", "points"]] * len(wallets)


def test_daily_stats_gives_seven_istanbul_days_ending_today_oldest_first(
    frozen_client: httpx.Client, frozen_server: SandboxServer
) -> None:
    customer, _ = busy_customer(frozen_server)

    data = history(frozen_client, customer.external_id)

    expected = [day.isoformat() for day in week()]
    assert (expected[0], expected[-1]) == ("2026-10-26", "2026-11-01")
    assert [[point["date"] for point in wallet["points"]] for wallet in data] == [expected] * len(data)


def test_daily_stats_points_are_end_of_day_ledger_sums(
    frozen_client: httpx.Client, frozen_server: SandboxServer
) -> None:
    customer, wallets = busy_customer(frozen_server)

    data = history(frozen_client, customer.external_id)

    shown = {w["currency_code"]: [dec(p["balance"]) for p in w["points"]] for w in data}
    expected = {asset: end_of_day_balances(frozen_server, wallet.id) for asset, wallet in wallets.items()}
    assert shown == expected
    assert any(len(set(points)) > 1 for points in expected.values()), "the week saw movements"


def test_daily_stats_todays_point_is_the_current_balance(
    frozen_client: httpx.Client, frozen_server: SandboxServer
) -> None:
    customer, wallets = busy_customer(frozen_server)

    data = history(frozen_client, customer.external_id)

    assert {w["currency_code"]: dec(w["points"][-1]["balance"]) for w in data} == {
        asset: wallet.balance for asset, wallet in wallets.items()
    }


def test_daily_stats_after_a_deposit_today_moves_only_todays_point(
    frozen_client: httpx.Client, frozen_server: SandboxServer
) -> None:
    busy, _ = busy_customer(frozen_server)
    customer = next(c for c in customers(frozen_server, 1) if c.id != busy.id)
    before = {w["currency_code"]: w["points"] for w in history(frozen_client, customer.external_id)}

    ok_data(frozen_client.patch(f"/partner/balance/customer/{customer.external_id}", json={"amount": 250.75}))

    after = {w["currency_code"]: w["points"] for w in history(frozen_client, customer.external_id)}
    previous_try = before.get("TRY", [{"date": d.isoformat(), "balance": 0} for d in week()])
    assert after["TRY"][:6] == previous_try[:6]
    assert dec(after["TRY"][6]["balance"]) == dec(previous_try[6]["balance"]) + Decimal("250.75")
    assert {code: points for code, points in after.items() if code != "TRY"} == {
        code: points for code, points in before.items() if code != "TRY"
    }


def test_daily_stats_customer_without_wallets_returns_empty_list(
    frozen_client: httpx.Client, frozen_server: SandboxServer
) -> None:
    with frozen_server.sandbox.store.session() as session:
        owners = set(session.exec(select(Wallet.customer_id)))
    customer = next(c for c in customers(frozen_server, 1) if c.id not in owners)

    assert history(frozen_client, customer.external_id) == []


def test_daily_stats_unknown_customer_returns_404(frozen_client: httpx.Client) -> None:
    response = frozen_client.get("/partner/balance/customer/nobody/stats")

    error_body(response, 404, "customer_not_found")


def test_daily_stats_other_partners_customer_returns_404(
    frozen_client: httpx.Client, frozen_server: SandboxServer
) -> None:
    demo_ids = {c.external_id for c in customers(frozen_server, 1)}
    foreign = next(c for c in customers(frozen_server, 2) if c.external_id not in demo_ids)

    response = frozen_client.get(f"/partner/balance/customer/{foreign.external_id}/stats")

    error_body(response, 404, "customer_not_found")
