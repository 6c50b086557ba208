"""Get Orders (GET /partner/orders): defaults, page size, filters, sorting, the Laravel paginator, tenancy,
the seeded world's coverage, and Order Statusses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from sandbox.catalog import SKUS, STATUSES
from sandbox.domain.flows import reachable_by_type
from sandbox.testing.server import SandboxServer
from sandbox.world.documented import DOCUMENTED_ORDERS
from tests.api.helpers import all_orders, error_body, field_errors, ok_data, order_time

Orders = list[dict[str, Any]]
# The default world's 400 random orders are split evenly between demo and acme; demo also holds the
# orders the docs name (the golden order and fixtures/golden/documented-world.json's two).
ACME_ORDERS = 400 // 2
DEMO_ORDERS = ACME_ORDERS + DOCUMENTED_ORDERS  # 203: 7 pages of 30, the last one of 23
PREVIOUS, NEXT = "&laquo; Previous", "Next &raquo;"


def guids(orders: Orders) -> list[str]:
    return [o["guid"] for o in orders]


def busiest_day(orders: Orders) -> date:
    return Counter(order_time(o).date() for o in orders).most_common(1)[0][0]


# -- defaults and page size --------------------------------------------------------------------------


def test_orders_without_query_returns_first_10_newest_first(
    client: httpx.Client, demo_orders: Orders
) -> None:
    page = ok_data(client.get("/partner/orders"))

    assert (page["current_page"], page["per_page"], page["from"], page["to"]) == (1, 10, 1, 10)
    assert page["total"] == len(demo_orders) == DEMO_ORDERS
    assert guids(page["data"]) == guids(demo_orders[:10])
    times = [order_time(o) for o in demo_orders]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize("size", [5, 30])
def test_orders_page_size_within_5_to_30_returns_that_many(client: httpx.Client, size: int) -> None:
    page = ok_data(client.get("/partner/orders", params={"total": size}))

    assert (page["per_page"], len(page["data"]), page["to"]) == (size, size, size)


@pytest.mark.parametrize(("size", "message"), [("4", "En az 5 olmalıdır."), ("31", "En fazla 30 olabilir.")])
def test_orders_page_size_outside_5_to_30_returns_422(client: httpx.Client, size: str, message: str) -> None:
    assert field_errors(client.get("/partner/orders", params={"total": size})) == {"total": [message]}


def test_orders_page_size_not_integer_returns_422(client: httpx.Client) -> None:
    assert field_errors(client.get("/partner/orders", params={"total": "ten"})) == {
        "total": ["Tam sayı olmalıdır."]
    }


@pytest.mark.parametrize("number", ["0", "-1"])
def test_orders_page_below_1_returns_422(client: httpx.Client, number: str) -> None:
    assert field_errors(client.get("/partner/orders", params={"page": number})) == {
        "page": ["En az 1 olmalıdır."]
    }


def test_orders_page_beyond_last_returns_empty_data(client: httpx.Client, server: SandboxServer) -> None:
    page = ok_data(client.get("/partner/orders", params={"total": 30, "page": 9}))

    assert (page["current_page"], page["last_page"], page["total"]) == (9, 7, DEMO_ORDERS)
    assert (page["data"], page["from"], page["to"], page["next_page_url"]) == ([], None, None, None)
    assert page["prev_page_url"] == f"{server.url}/partner/orders?total=30&page=8"


def test_orders_last_page_returns_the_remainder(client: httpx.Client) -> None:
    page = ok_data(client.get("/partner/orders", params={"total": 30, "page": 7}))

    assert (len(page["data"]), page["from"], page["to"], page["next_page_url"]) == (
        DEMO_ORDERS - 180, 181, DEMO_ORDERS, None,
    )  # fmt: skip


# -- filters -----------------------------------------------------------------------------------------


def test_orders_filter_customer_external_id_returns_only_that_customers_orders(
    client: httpx.Client, demo_orders: Orders
) -> None:
    counts = Counter(o["customer"]["external_id"] for o in demo_orders if o["customer"])
    customer = counts.most_common(1)[0][0]

    found = all_orders(client, customer_external_id=customer)

    assert len(found) == counts[customer] > 1
    assert guids(found) == guids(
        [o for o in demo_orders if o["customer"] and o["customer"]["external_id"] == customer]
    )


def test_orders_filter_unknown_customer_returns_empty_page(client: httpx.Client) -> None:
    page = ok_data(client.get("/partner/orders", params={"customer_external_id": "no-such-customer"}))

    assert (page["total"], page["data"], page["last_page"], page["from"]) == (0, [], 1, None)


@pytest.mark.parametrize("sku", SKUS)
def test_orders_filter_sku_returns_orders_with_that_sku(
    client: httpx.Client, demo_orders: Orders, sku: str
) -> None:
    expected = [o for o in demo_orders if any(item["sku"] == sku for item in o["items"])]

    assert guids(all_orders(client, sku=sku)) == guids(expected)


@pytest.mark.parametrize("kind", ["Buy", "Sell", "Delivery"])
def test_orders_filter_type_returns_that_type(client: httpx.Client, demo_orders: Orders, kind: str) -> None:
    expected = [o for o in demo_orders if o["type"] == kind]

    assert expected
    assert guids(all_orders(client, type=kind)) == guids(expected)


@pytest.mark.parametrize("name", STATUSES)
def test_orders_filter_status_name_returns_that_status(
    client: httpx.Client, demo_orders: Orders, name: str
) -> None:
    expected = [o for o in demo_orders if o["status_name"] == name]

    assert expected
    assert guids(all_orders(client, status=name)) == guids(expected)


@pytest.mark.parametrize(("number", "name"), list(enumerate(STATUSES, start=1)))
def test_orders_filter_status_id_equals_status_name(client: httpx.Client, number: int, name: str) -> None:
    by_id = ok_data(client.get("/partner/orders", params={"status": str(number), "total": 30}))
    by_name = ok_data(client.get("/partner/orders", params={"status": name, "total": 30}))

    assert by_id["total"] == by_name["total"]
    assert by_id["data"] == by_name["data"]


@pytest.mark.parametrize("status", ["Foo", "0", "13", "completed", "-1"])
def test_orders_filter_invalid_status_returns_422(client: httpx.Client, status: str) -> None:
    errors = field_errors(client.get("/partner/orders", params={"status": status}))

    assert errors == {"status": ["Bir sipariş durumu adı veya numarası (1–12) olmalıdır."]}


@pytest.mark.parametrize("pattern", ["%Y-%m-%d", "%d-%m-%Y"], ids=["iso", "dmy"])
def test_orders_filter_one_day_returns_orders_of_that_istanbul_day(
    client: httpx.Client, demo_orders: Orders, pattern: str
) -> None:
    day = busiest_day(demo_orders)
    text = day.strftime(pattern)

    found = all_orders(client, startDate=text, endDate=text)

    assert len(found) > 1
    assert guids(found) == guids([o for o in demo_orders if order_time(o).date() == day])


@pytest.mark.parametrize("pattern", ["%Y-%m-%d", "%d-%m-%Y"], ids=["iso", "dmy"])
def test_orders_filter_start_date_returns_orders_from_that_day(
    client: httpx.Client, demo_orders: Orders, pattern: str
) -> None:
    day = busiest_day(demo_orders)

    found = all_orders(client, startDate=day.strftime(pattern))

    assert guids(found) == guids([o for o in demo_orders if order_time(o).date() >= day])


@pytest.mark.parametrize("pattern", ["%Y-%m-%d", "%d-%m-%Y"], ids=["iso", "dmy"])
def test_orders_filter_end_date_returns_orders_up_to_that_day(
    client: httpx.Client, demo_orders: Orders, pattern: str
) -> None:
    day = busiest_day(demo_orders)

    found = all_orders(client, endDate=day.strftime(pattern))

    assert guids(found) == guids([o for o in demo_orders if order_time(o).date() <= day])


INVALID_DAY = "1900–2999 arasında, YYYY-MM-DD veya DD-MM-YYYY biçiminde bir tarih olmalıdır."


@pytest.mark.parametrize("field", ["startDate", "endDate"])
@pytest.mark.parametrize("value", ["2026-13-01", "31-02-2026", "yesterday", "2026/10/01"])
def test_orders_filter_invalid_date_returns_422(client: httpx.Client, field: str, value: str) -> None:
    errors = field_errors(client.get("/partner/orders", params={field: value}))

    assert errors == {field: [INVALID_DAY]}


def test_orders_filter_end_date_before_start_date_returns_422(client: httpx.Client) -> None:
    response = client.get("/partner/orders", params={"startDate": "2026-10-02", "endDate": "01-10-2026"})

    assert field_errors(response) == {"endDate": ["startDate tarihinden önce olamaz."]}


@pytest.mark.parametrize(("params", "total"), [
    ({"startDate": "1900-01-01"}, DEMO_ORDERS),
    ({"endDate": "2999-12-31"}, DEMO_ORDERS),
    ({"startDate": "31-12-2999"}, 0),
    ({"endDate": "01-01-1900"}, 0),
], ids=["start_1900", "end_2999", "start_2999", "end_1900"])  # fmt: skip
def test_orders_filter_bounds_of_supported_dates_returns_200(
    client: httpx.Client, params: dict[str, str], total: int
) -> None:
    assert ok_data(client.get("/partner/orders", params=params))["total"] == total


@pytest.mark.parametrize(("field", "value"), [
    ("startDate", "0001-01-01"), ("endDate", "9999-12-31"),
    ("startDate", "31-12-1899"), ("endDate", "01-01-3000"),
])  # fmt: skip
def test_orders_filter_date_outside_1900_2999_returns_422(
    client: httpx.Client, field: str, value: str
) -> None:
    errors = field_errors(client.get("/partner/orders", params={field: value}))

    assert errors == {field: [INVALID_DAY]}


@pytest.mark.parametrize(("params", "field"), [
    ({"sku": "XAU"}, "sku"), ({"type": "buy"}, "type"), ({"sortBy": "price"}, "sortBy"),
    ({"sortType": "up"}, "sortType"), ({"customer_external_id": ""}, "customer_external_id"),
])  # fmt: skip
def test_orders_invalid_filter_value_returns_422_naming_it(
    client: httpx.Client, params: dict[str, str], field: str
) -> None:
    assert list(field_errors(client.get("/partner/orders", params=params))) == [field]


# -- sorting -----------------------------------------------------------------------------------------

SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "type": lambda o: o["type"],
    "total": lambda o: o["total"],
    # SQL puts orders without a customer (B2B) first when ascending.
    "customer_external_id": lambda o: (
        o["customer"] is not None,
        (o["customer"] or {}).get("external_id", ""),
    ),
    "created_at": order_time,
}


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("column", list(SORT_KEYS))
def test_orders_sorted_by_column_holds_across_all_pages(
    client: httpx.Client, demo_orders: Orders, column: str, direction: str
) -> None:
    found = all_orders(client, sortBy=column, sortType=direction)

    keys = [SORT_KEYS[column](o) for o in found]
    assert keys == sorted(keys, reverse=direction == "desc")
    assert sorted(guids(found)) == sorted(guids(demo_orders))


# -- the paginator -----------------------------------------------------------------------------------


def test_orders_paginator_fields_keep_filters_in_urls(client: httpx.Client, server: SandboxServer) -> None:
    buys = ok_data(client.get("/partner/orders", params={"type": "Buy", "total": 5}))["total"]
    base = f"{server.url}/partner/orders?type=Buy&total=5&page="

    page = ok_data(client.get("/partner/orders", params={"type": "Buy", "total": 5, "page": 2}))

    last = -(-buys // 5)
    assert last > 2
    assert {k: v for k, v in page.items() if k not in ("data", "links")} == {
        "current_page": 2, "first_page_url": base + "1", "from": 6, "last_page": last,
        "last_page_url": base + str(last), "next_page_url": base + "3",
        "path": f"{server.url}/partner/orders",
        "per_page": 5, "prev_page_url": base + "1", "to": 10, "total": buys,
    }  # fmt: skip
    assert page["links"][0] == {"url": base + "1", "label": PREVIOUS, "active": False}
    assert page["links"][-1] == {"url": base + "3", "label": NEXT, "active": False}
    assert [link["label"] for link in page["links"] if link["active"]] == ["2"]


def test_orders_paginator_first_page_has_no_previous_url(client: httpx.Client) -> None:
    page = ok_data(client.get("/partner/orders"))

    assert page["prev_page_url"] is None
    assert page["links"][0] == {"url": None, "label": PREVIOUS, "active": False}


@pytest.mark.parametrize(("number", "labels"), [
    (1, ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "...", "40", "41"]),
    (20, ["1", "2", "...", "17", "18", "19", "20", "21", "22", "23", "...", "40", "41"]),
    (41, ["1", "2", "...", *map(str, range(32, 42))]),
])  # fmt: skip
def test_orders_paginator_links_window_matches_laravel(
    client: httpx.Client, server: SandboxServer, number: int, labels: list[str]
) -> None:
    page = ok_data(client.get("/partner/orders", params={"total": 5, "page": number}))

    assert page["last_page"] == 41
    assert [link["label"] for link in page["links"]] == [PREVIOUS, *labels, NEXT]
    for link in page["links"][1:-1]:
        expected = (
            None if link["label"] == "..." else f"{server.url}/partner/orders?total=5&page={link['label']}"
        )
        assert link["url"] == expected
        assert link["active"] == (link["label"] == str(number))


def test_orders_paginator_link_with_spaced_status_round_trips_the_filter(client: httpx.Client) -> None:
    page = ok_data(client.get("/partner/orders", params={"status": "Payment Confirmed", "total": 5}))

    query = dict(parse_qsl(urlsplit(page["last_page_url"]).query))
    assert query == {"status": "Payment Confirmed", "total": "5", "page": str(page["last_page"])}


@pytest.mark.parametrize("params", [{}, {"type": "Delivery"}, {"status": "Completed", "sku": "GAU"}], ids=str)
def test_orders_union_of_pages_equals_filtered_total_without_duplicates(
    client: httpx.Client, params: dict[str, str]
) -> None:
    total = ok_data(client.get("/partner/orders", params=params))["total"]

    found = guids(all_orders(client, **params))

    assert total > 0
    assert len(found) == len(set(found)) == total


# -- tenancy and the seeded world --------------------------------------------------------------------


def test_orders_demo_and_acme_see_disjoint_orders(demo_orders: Orders, acme_orders: Orders) -> None:
    assert (len(demo_orders), len(acme_orders)) == (DEMO_ORDERS, ACME_ORDERS)
    assert set(guids(demo_orders)).isdisjoint(guids(acme_orders))


def test_orders_filter_acme_customer_as_demo_returns_empty(client: httpx.Client, demo_orders: Orders,
                                                            acme_orders: Orders) -> None:  # fmt: skip
    demo_customers = {o["customer"]["external_id"] for o in demo_orders if o["customer"]}
    acme_customer = next(
        o["customer"]["external_id"]
        for o in acme_orders
        if o["customer"] and o["customer"]["external_id"] not in demo_customers
    )

    assert (
        ok_data(client.get("/partner/orders", params={"customer_external_id": acme_customer}))["total"] == 0
    )


@pytest.mark.parametrize("partner", ["demo", "acme"])
def test_seeded_world_covers_every_reachable_type_and_status(
    demo_orders: Orders, acme_orders: Orders, partner: str
) -> None:
    orders = demo_orders if partner == "demo" else acme_orders
    expected = {(kind, status) for kind, statuses in reachable_by_type().items() for status in statuses}

    assert {(o["type"], o["status_name"]) for o in orders} == expected


@pytest.mark.parametrize("partner", ["demo", "acme"])
def test_seeded_world_has_both_payment_types_and_3_currencies(
    demo_orders: Orders, acme_orders: Orders, partner: str
) -> None:
    orders = demo_orders if partner == "demo" else acme_orders

    assert {o["payment_type"] for o in orders} == {"cash", "credit-card"}
    assert len({o["currency_code"] for o in orders}) >= 3


# -- Order Statusses ---------------------------------------------------------------------------------


def test_order_statuses_returns_12_documented_statuses_in_order(client: httpx.Client) -> None:
    assert ok_data(client.get("/partner/orders/statuses")) == [
        {"id": 1, "name": "Created"}, {"id": 2, "name": "Pending"}, {"id": 3, "name": "Processing"},
        {"id": 4, "name": "Cancelled"}, {"id": 5, "name": "Completed"}, {"id": 6, "name": "Preparing"},
        {"id": 7, "name": "Packed"}, {"id": 8, "name": "Shipped"}, {"id": 9, "name": "Transferring"},
        {"id": 10, "name": "Refunding"}, {"id": 11, "name": "Refunded"},
        {"id": 12, "name": "Payment Confirmed"},
    ]  # fmt: skip


def test_order_statuses_without_client_id_returns_422(bare_client: httpx.Client) -> None:
    error_body(bare_client.get("/partner/orders/statuses"), 422, "missing_header")
