"""Every request the partner docs print, sent as printed (Apidog placeholders bound), succeeds.

One test per request example, in the order an integrator reading the docs meets them; the steps a
test needs first are the docs' own examples too (`Docs`). On the sandbox each test starts from a fresh
default world; `sandbox_only` tests rely on what that world seeds from the docs (MTD0018232, the card
token, the order guid of Get Order (Alternative), ...) and are not run against another host.
The curl headers of every page come along: empty `x-client-id` and `api-version` beside the real one.
"""

from __future__ import annotations

import inspect
from decimal import Decimal

import pytest

from tests.contract.docs import Docs, fresh_id, notice_rules, ok
from tests.contract.pages import bind, page, pages, placeholders, request_example

sandbox_only = pytest.mark.sandbox_only


# -- Customers ------------------------------------------------------------------------------------------


def test_create_customer_example_creates_the_customer(docs: Docs) -> None:
    body = bind(request_example("create-customer"), {})
    response = docs.send("create-customer", body)
    data = ok(response)
    assert (data["external_id"], data["phone"], data["identity_number"], data["middlename"]) == (
        body["external_id"],
        "+90 532 280 80 35",
        "12345677938",
        "",
    )


def test_create_business_customer_example_creates_a_company(docs: Docs) -> None:
    body = bind(request_example("create-business-customer"), {})
    data = ok(docs.send("create-business-customer", body))
    assert (data["account_type"], data["firstname"], data["tax_office"], data["identity_number"]) == (
        "company",
        "Test AŞ",
        "Ümraniye",
        "1234567793",
    )


def test_update_customer_example_updates_the_customer_the_path_names(docs: Docs) -> None:
    customer = docs.create_customer()
    body = bind(request_example("update-customer"), {})
    response = docs.send("update-customer", body, variables={"external_customer_id": customer["external_id"]})
    data = ok(response)
    assert (data["external_id"], data["firstname"], data["lastname"], data["phone"]) == (
        customer["external_id"],
        "John",
        "Due",
        "+905071112233",
    )
    if not docs.remote:
        assert notice_rules(response) == ["update_external_id", "identity_number"]


@sandbox_only
def test_update_customer_curl_sample_updates_mtd0018232(docs: Docs) -> None:
    body = bind(request_example("update-customer"), {})
    data = ok(docs.send("update-customer", body, path="/partner/customer/MTD0018232"))
    assert (data["external_id"], data["fullname"]) == ("MTD0018232", "John Due")


def test_get_customer_path_returns_the_created_customer(docs: Docs) -> None:
    customer = docs.create_customer()
    data = ok(docs.send("get-customer", variables={"external_customer_id": customer["external_id"]}))
    assert (data["external_id"], data["email"], data["wallets"]) == (
        customer["external_id"],
        customer["email"],
        [],
    )


@sandbox_only
def test_get_customer_curl_sample_returns_mtd0018232(docs: Docs) -> None:
    data = ok(docs.send("get-customer", path="/partner/customer/MTD0018232"))
    assert (data["fullname"], data["identity_number"], data["birthdate"]) == (
        "Mehmet Gülbilge",
        "12345677938",
        "1970-01-31",
    )


# -- Prices ---------------------------------------------------------------------------------------------


def test_price_fix_from_amount_example_fixes_prices_for_the_customer(docs: Docs) -> None:
    customer = docs.create_customer()
    body = bind(
        request_example("price-fix-get-prices-from-amount"), {"external_customer_id": customer["external_id"]}
    )
    data = ok(docs.send("price-fix-get-prices-from-amount", body))
    assert (data["is_total_price"], data["total"], data["currency"], len(data["prices"])) == (
        False,
        None,
        "TRY",
        6,
    )


def test_price_fix_from_amount_curl_sample_fixes_prices_for_mtd0018232(docs: Docs) -> None:
    body = request_example("price-fix-get-prices-from-amount", 1)
    assert placeholders(body) == set()
    data = ok(docs.send("price-fix-get-prices-from-amount", body))
    assert len(data["token"]) == 32


def test_price_fix_from_total_price_example_gives_grams_for_the_total(docs: Docs) -> None:
    customer = docs.create_customer()
    body = bind(
        request_example("price-fix-get-prices-from-total-price"),
        {"customer_external_id": customer["external_id"]},
    )
    data = ok(docs.send("price-fix-get-prices-from-total-price", body))
    assert (data["is_total_price"], data["total"]) == (True, 10000)
    gold = next(row for row in data["prices"] if row["sku"] == "GAU")
    assert Decimal(str(gold["buy_amount"])) == (Decimal(10000) / Decimal(str(gold["buy_price"]))).quantize(
        Decimal("0.0001"), rounding="ROUND_DOWN"
    )


def test_price_fix_from_total_price_curl_sample_with_its_empty_customer_fixes_partner_prices(
    docs: Docs,
) -> None:
    body = request_example("price-fix-get-prices-from-total-price", 1)
    assert body["customer_external_id"] == ""
    data = ok(docs.send("price-fix-get-prices-from-total-price", body))
    assert (data["is_total_price"], data["currency"]) == (True, "TRY")


# -- Buy and sell ---------------------------------------------------------------------------------------


@sandbox_only
def test_buy_silver_example_as_printed_buys_ten_grams_for_mtd0018232(docs: Docs) -> None:
    """No price_token, `product_id` as Apidog's `{{product_1}}` text, `currency_code: GBP`."""
    body = bind(request_example("buy-silver-b2b2c-from-amount"), {"product_1": 3000002})
    assert "price_token" not in body and body["items"] == [{"product_id": "3000002", "amount": 10}]
    response = docs.send("buy-silver-b2b2c-from-amount", body)
    order = ok(response)["orders"][0]
    assert (order["external_id"], order["customer"]["external_id"], order["currency_code"]) == (
        "HYAQA01373",
        "MTD0018232",
        "GBP",
    )
    assert (order["items"][0]["sku"], order["items"][0]["amount"], order["status_name"]) == (
        "GAG",
        10,
        "Completed",
    )
    assert notice_rules(response) == ["price_token_required", "customer_cash"]


def test_buy_silver_example_for_a_new_customer_creates_it_and_completes(docs: Docs) -> None:
    """The documented B2B2C path with its own "Parameter Error (New Customer)" tab: the customer block
    creates the customer, and a cash buy of a customer with no cash completes (the partner settles)."""
    external_id = fresh_id("MTD")
    data = docs.buy(customer_external_id=external_id)
    order = data["orders"][0]
    assert (order["customer"]["external_id"], order["customer"]["firstname"], order["status_name"]) == (
        external_id,
        "Mehmet",
        "Completed",
    )
    balance = ok(docs.send("customer-balance", path=f"/partner/balance/customer/{external_id}"))
    assert {row["currency_code"]: row["balance"] for row in balance}["GAG"] == 10


@sandbox_only
def test_card_payment_buy_with_card_token_example_opens_a_3d_payment(docs: Docs) -> None:
    token = docs.price_fix("1801262568")
    body = bind(request_example("card-payment-buy-with-card-token"), {"price_token": token})
    assert body["external_id"].startswith("HYAQA0171") and len(body["external_id"]) == 13
    data = ok(docs.send("card-payment-buy-with-card-token", body))
    order = data["orders"][0]
    assert (order["status_name"], order["payment_type"], order["customer"]["external_id"]) == (
        "Pending",
        "credit-card",
        "1801262568",
    )
    payment = data["payment"]
    assert (
        payment["state"],
        payment["details"]["card_number"],
        payment["redirect_url"].split("/pay/")[1],
    ) == ("new", "404809******7528", payment["token"])


@sandbox_only
@pytest.mark.parametrize("index", [0, 1], ids=["example", "curl-sample"])
def test_sell_silver_partner_example_sells_a_gram_of_the_partners_silver(docs: Docs, index: int) -> None:
    """The example's `{{price_token}}` is a fixed price; the curl sample renders it empty, which the
    lenient profile reads as no token (priced at that moment)."""
    body = request_example("sell-silver-partner-b2b", index)
    if index == 0:
        body = bind(body, {"price_token": docs.price_fix(None)})
    response = docs.send("sell-silver-partner-b2b", body)
    order = ok(response)["orders"][0]
    assert (order["type"], order["customer"], order["external_id"], order["items"][0]["amount"]) == (
        "Sell",
        None,
        "HYAQA01373",
        1,
    )
    # The example's token was fixed in TRY (its currency_code GBP gives way); the curl sample's order is
    # priced in the currency_code it sends.
    assert (order["currency_code"], notice_rules(response)) == (
        ("TRY", ["price_token_currency"]) if index == 0 else ("GBP", ["price_token_required"])
    )


def test_sell_silver_example_for_a_customer_who_bought_silver(docs: Docs) -> None:
    """The self-contained sell: a new customer's silver (bought with the Buy example) sold back."""
    external_id = fresh_id("MTD")
    docs.buy(customer_external_id=external_id)
    body = bind(request_example("sell-silver-partner-b2b"), {"price_token": docs.price_fix(external_id)})
    body.update(external_id=fresh_id("HYAQA"), customer={"external_id": external_id}, currency_code="TRY")
    order = ok(docs.send("sell-silver-partner-b2b", body))["orders"][0]
    assert (order["type"], order["customer"]["external_id"], order["status_name"]) == (
        "Sell",
        external_id,
        "Completed",
    )


# -- Orders ---------------------------------------------------------------------------------------------


@sandbox_only
def test_get_order_alternative_example_finds_the_order_it_names(docs: Docs) -> None:
    body = request_example("get-order-alternative")
    data = ok(docs.send("get-order-alternative", body))
    assert (data["guid"], data["customer"]["external_id"]) == (
        "2B555C6D-E551-4BD0-8912-B72A77E53723",
        "MTD0018232",
    )


def test_get_order_alternative_example_for_an_order_of_yours(docs: Docs) -> None:
    guid = docs.buy(customer_external_id=fresh_id("MTD"))["guid"][0]
    body = request_example("get-order-alternative") | {"guid": guid}
    assert ok(docs.send("get-order-alternative", body))["guid"] == guid


@pytest.mark.parametrize("name", ["get-order", "card-payment-get-order"])
def test_get_order_path_finds_an_order_by_your_external_id(docs: Docs, name: str) -> None:
    data = docs.buy(customer_external_id=fresh_id("MTD"))
    external_id = data["orders"][0]["external_id"]
    assert ok(docs.send(name, variables={"external_order_id": external_id}))["guid"] == data["guid"][0]


# -- Balances and delivery -----------------------------------------------------------------------------


@sandbox_only
def test_customer_balance_path_as_printed_lists_the_customers_wallets(docs: Docs) -> None:
    rows = ok(docs.send("customer-balance"))
    assert [(row["customer_external_id"], row["currency_code"]) for row in rows][:2] == [
        ("1710174559", "TRY"),
        ("1710174559", "GAU"),
    ]


@sandbox_only
def test_delivery_create_example_as_printed_ships_three_grams_of_mtd0018232s_gold(docs: Docs) -> None:
    body = bind(request_example("delivery-create-pay-with-cash"), {"customer_external_id": "MTD0018232"})
    response = docs.send("delivery-create-pay-with-cash", body)
    data = ok(response)
    assert (data["tx_type"], data["status_name"], data["channel"], data["items"][0]["amount"]) == (
        "delivery",
        "Created",
        "web",
        3,
    )
    assert data["address"]["shipping"]["address"] == "No: 37/4"
    assert notice_rules(response) == ["delivery_address"]


def test_delivery_create_example_for_a_new_customer_who_bought_gold(docs: Docs) -> None:
    external_id = fresh_id("MTD")
    docs.buy(customer_external_id=external_id, product_id=3000001)
    body = bind(request_example("delivery-create-pay-with-cash"), {"customer_external_id": external_id})
    data = ok(docs.send("delivery-create-pay-with-cash", body))
    assert (data["customer"]["external_id"], data["items"][0]["product_id"]) == (external_id, 3000001)


# Every request the docs print, and the test that sends it as printed (placeholders bound): a body
# example by its index on the page, a printed path as "path" (a curl sample's literal path as "curl").
SENT_BY = {
    ("create-customer", 0): test_create_customer_example_creates_the_customer,
    ("create-business-customer", 0): test_create_business_customer_example_creates_a_company,
    ("update-customer", 0): test_update_customer_example_updates_the_customer_the_path_names,
    ("update-customer", "curl"): test_update_customer_curl_sample_updates_mtd0018232,
    ("get-customer", "path"): test_get_customer_path_returns_the_created_customer,
    ("get-customer", "curl"): test_get_customer_curl_sample_returns_mtd0018232,
    ("price-fix-get-prices-from-amount", 0): test_price_fix_from_amount_example_fixes_prices_for_the_customer,
    (
        "price-fix-get-prices-from-amount",
        1,
    ): test_price_fix_from_amount_curl_sample_fixes_prices_for_mtd0018232,
    (
        "price-fix-get-prices-from-total-price",
        0,
    ): test_price_fix_from_total_price_example_gives_grams_for_the_total,
    ("price-fix-get-prices-from-total-price", 1): (
        test_price_fix_from_total_price_curl_sample_with_its_empty_customer_fixes_partner_prices
    ),
    ("buy-silver-b2b2c-from-amount", 0): test_buy_silver_example_as_printed_buys_ten_grams_for_mtd0018232,
    ("card-payment-buy-with-card-token", 0): test_card_payment_buy_with_card_token_example_opens_a_3d_payment,
    ("sell-silver-partner-b2b", 0): test_sell_silver_partner_example_sells_a_gram_of_the_partners_silver,
    ("sell-silver-partner-b2b", 1): test_sell_silver_partner_example_sells_a_gram_of_the_partners_silver,
    ("get-order-alternative", 0): test_get_order_alternative_example_finds_the_order_it_names,
    ("get-order", "path"): test_get_order_path_finds_an_order_by_your_external_id,
    ("card-payment-get-order", "path"): test_get_order_path_finds_an_order_by_your_external_id,
    ("customer-balance", "path"): test_customer_balance_path_as_printed_lists_the_customers_wallets,
    (
        "delivery-create-pay-with-cash",
        0,
    ): test_delivery_create_example_as_printed_ships_three_grams_of_mtd0018232s_gold,
}


def test_every_printed_request_is_sent_by_a_test_here() -> None:
    """Every body example of every page (by index) and every printed request path is in SENT_BY, and
    each test named there reads that page's example."""
    printed = {(name, index) for name in pages() for index in range(len(page(name)["request_examples"]))}
    printed |= {(name, "path") for name in pages() if page(name)["method"] == "GET"}
    printed |= {(name, "curl") for name in ("update-customer", "get-customer")}
    assert set(SENT_BY) == printed
    for (name, _), test in SENT_BY.items():
        assert f'"{name}"' in inspect.getsource(test) or "name" in inspect.signature(test).parameters, name
