"""Property: any sequence of top-ups, withdrawals, buys and sells keeps every wallet exact.

A shadow model in the test predicts each wallet, and each answer, from the price fix's rows alone; after
every step the sandbox's balances must equal it, nothing may go negative, and /_sandbox/invariants
must report no violation. It runs under both profiles: a buy the customer's cash does not cover is
refused under strict, and settled by the partner under lenient (profile rule `customer_cash`: a
`deposit` of the shortfall, named in an X-Sandbox-Notice, then the buy takes its total as usual).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.core.clock import Clock
from sandbox.testing.server import SandboxServer
from tests.api.helpers import partner_profile
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import make_settings
from tests.support.trading import CENT, cents, grams_bought

SKUS = ("GAU", "GAG", "GPT")
counter = itertools.count()

top_up = st.tuples(st.just("top_up"), st.decimals(min_value=1, max_value=50_000, places=2))
withdraw = st.tuples(st.just("withdraw"), st.decimals(min_value=1, max_value=50_000, places=2))
buy = st.tuples(
    st.just("buy"), st.sampled_from(SKUS), st.decimals(min_value="0.0001", max_value=20, places=4)
)
buy_total = st.tuples(
    st.just("buy_total"), st.sampled_from(SKUS), st.decimals(min_value=1, max_value=20_000, places=2)
)
sell = st.tuples(
    st.just("sell"), st.sampled_from(SKUS), st.decimals(min_value="0.0001", max_value=20, places=4)
)
operations = st.lists(st.one_of(top_up, withdraw, buy, buy_total, sell), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    clock = Clock(frozen_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    with SandboxServer(make_settings(tmp_path_factory.mktemp("ledger"), orders=60), clock=clock) as running:
        yield running


@pytest.fixture(params=["strict", "lenient"])
def profile_name(request: pytest.FixtureRequest, server: SandboxServer) -> Iterator[str]:
    """demo on this profile for the whole test (every example hypothesis runs)."""
    with partner_profile(server, request.param):
        yield request.param


def _json(response: httpx.Response) -> dict:
    return response.json(parse_float=Decimal)


def _new_customer(client: httpx.Client) -> str:
    external_id = f"prop-{next(counter)}"
    body = {
        "external_id": external_id, "firstname": "Deniz", "lastname": "Aydın", "email": "deniz@example.com",
        "phone": "+905321112233", "identity_number": "10000000146",
    }  # fmt: skip
    assert client.post("/partner/customer", json=body).status_code == 200
    kyc = client.post(
        "/partner/customer/kyc", json={"customer_external_id": external_id, "identity_number": "10000000146"}
    )
    assert _json(kyc)["data"]["status"] == "approved"
    return external_id


def _fix(client: httpx.Client, customer: str, total: Decimal | None = None) -> dict:
    body = {"type": "digital", "customer_external_id": customer}
    if total is not None:
        body["total"] = str(total)
    return _json(client.post("/partner/pricefix", json=body))["data"]


def _settled(amount: Decimal) -> str:
    return f"customer_cash: the partner settled {cents(amount)} TRY the customer's cash wallet lacked"


def _apply(client: httpx.Client, customer: str, op: tuple, model: dict[str, Decimal], strict: bool) -> None:
    """Send one operation; check its answer against the model's prediction, then move the model."""
    kind = op[0]
    if kind in ("top_up", "withdraw"):
        amount = op[1] if kind == "top_up" else -op[1]
        response = client.patch(f"/partner/balance/customer/{customer}", json={"amount": str(amount)})
        if model["TRY"] + amount < 0:
            assert (response.status_code, _json(response)["data"]["error"]) == (422, "insufficient_balance")
        else:
            assert response.status_code == 200, response.text
            model["TRY"] += amount
        return
    sku = op[1]
    fix = _fix(client, customer, op[2] if kind == "buy_total" else None)
    row = next(row for row in fix["prices"] if row["sku"] == sku)
    if kind == "buy_total":
        grams = grams_bought(op[2], row["buy_price"])
        item = {"sku": sku, "topup": {"price": str(op[2])}}
    else:
        grams = op[2]
        item = {"sku": sku, "amount": str(grams)}
    total = cents((row["sell_price"] if kind == "sell" else row["buy_price"]) * grams)
    body = {
        "price_token": fix["token"],
        "external_id": f"prop-order-{next(counter)}",
        "customer": {"external_id": customer},
        "items": [item],
    }
    path = "/partner/order/digital/sell" if kind == "sell" else "/partner/order/digital/buy"
    response = client.post(path, json=body)
    if grams == 0 or total < CENT:  # too little to buy 0.0001 g, or an order worth less than a cent
        assert (response.status_code, _json(response)["data"]["error"]) == (422, "validation_failed")
        return
    held = model.get(sku, Decimal(0)) if kind == "sell" else model["TRY"]
    needed = grams if kind == "sell" else total
    if held < needed and (kind == "sell" or strict):
        assert (response.status_code, _json(response)["data"]["error"]) == (422, "insufficient_balance")
        assert response.headers.get_list("x-sandbox-notice") == []
        return
    assert response.status_code == 200, response.text
    data = _json(response)["data"]
    assert (data["total"], data["orders"][0]["items"][0]["amount"]) == (total, grams)
    settled = [] if kind == "sell" or held >= needed else [_settled(needed - held)]
    assert response.headers.get_list("x-sandbox-notice") == settled
    if kind == "sell":
        model["TRY"] += total
        model[sku] -= grams
    else:  # lenient: the partner settled the shortfall into the wallet first
        model["TRY"] = max(model["TRY"], total) - total
        model[sku] = model.get(sku, Decimal(0)) + grams


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_any_operation_sequence_keeps_wallets_exact_and_invariants_clean(
    server: SandboxServer, profile_name: str, sequence: list[tuple]
) -> None:
    with httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS) as client:
        customer = _new_customer(client)
        model: dict[str, Decimal] = {"TRY": Decimal(0)}
        for op in sequence:
            _apply(client, customer, op, model, strict=profile_name == "strict")
            rows = _json(client.get(f"/partner/balance/customer/{customer}"))["data"]
            balances = {row["currency_code"]: row["balance"] for row in rows}
            assert {asset: balances.get(asset, Decimal(0)) for asset in model} == model
            assert all(row["balance"] >= 0 and row["real_balance"] >= 0 for row in rows)
        invariants = httpx.get(f"{server.url}/_sandbox/invariants").json()["data"]
        assert invariants["violations"] == []
