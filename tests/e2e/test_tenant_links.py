"""The links a tenant's world hands out reach that tenant: a card payment's `redirect_url` and Get Orders'
page links start with `<public_base_url>/t/<id>`. A cardholder's browser (no Digest, no tenant header)
opens the 3-D Secure page, posts Approve and follows the callback, all in the tenant; a partner follows
a page link with its own credentials. The prefix is taken only on those paths."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.api.card_helpers import card_buy, get_order
from tests.api.helpers import ok_data
from tests.support.clients import partner_client
from tests.support.constants import DEMO
from tests.support.tenants import credentials, tenants_on

FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)">')
RESULT = re.compile(r'<h1 id="result" data-state="([a-z-]+)">')
ORDER_STATUS = re.compile(r'<dd id="order-status">([^<]+)</dd>')
ORDERS = "/partner/orders?total=5"


def form_action(page: httpx.Response) -> str:
    found = FORM_ACTION.search(page.text)
    assert found, page.text
    return found.group(1)


@pytest.fixture
def make_tenant(fresh_server: SandboxServer) -> Iterator[Callable[..., dict[str, Any]]]:
    with tenants_on(fresh_server) as make:
        yield make


def test_a_tenants_card_buy_is_approved_on_its_own_3d_page_and_completes_there(
    fresh_server: SandboxServer, make_tenant: Callable[..., dict[str, Any]]
) -> None:
    tenant = make_tenant()
    base = f"{fresh_server.url}/t/{tenant['tenant']}"
    with partner_client(fresh_server, credentials(tenant)) as in_tenant:
        data = card_buy(in_tenant)
        token, guid = data["payment"]["token"], data["guid"][0]
        # The cardholder's browser: no Digest, no tenant header, no cookie; each redirect looked at.
        with httpx.Client(timeout=30) as browser:
            page = browser.get(data["payment"]["redirect_url"])
            action = form_action(page)
            posted = browser.post(f"{fresh_server.url}{action}", data={"action": "approve"})
            landed = browser.get(f"{fresh_server.url}{posted.headers['location']}")
        order = get_order(in_tenant, guid)
    with partner_client(fresh_server, DEMO) as default_demo:
        in_default = default_demo.get(f"/partner/order/{guid}").status_code
    default_page = httpx.get(f"{fresh_server.url}/pay/{token}").status_code

    assert data["payment"]["redirect_url"] == f"{base}/pay/{token}"
    assert (page.status_code, action) == (200, f"/t/{tenant['tenant']}/pay/{token}")
    assert (posted.status_code, posted.headers["location"]) == (
        303,
        f"/t/{tenant['tenant']}/pay/{token}/callback/success",
    )
    assert landed.status_code == 200
    assert [p.group(1) for p in (RESULT.search(landed.text), ORDER_STATUS.search(landed.text)) if p] == [
        "success",
        "Completed",
    ]
    assert (order["status_name"], order["payment"]["state"], order["payment"]["redirect_url"]) == (
        "Completed",
        "success",
        None,
    )
    assert (in_default, default_page) == (404, 404)  # the default world never saw the order


def test_a_tenants_order_page_links_lead_its_partner_back_into_the_tenant(
    fresh_server: SandboxServer, make_tenant: Callable[..., dict[str, Any]]
) -> None:
    tenant = make_tenant()
    with partner_client(fresh_server, credentials(tenant)) as in_tenant:
        card_buy(in_tenant)  # one order more than the default world holds
        first = ok_data(in_tenant.get(ORDERS))
        followed = in_tenant.get(first["next_page_url"])
        second = ok_data(in_tenant.get(f"{ORDERS}&page=2"))
    with partner_client(fresh_server, DEMO) as default_demo:
        default_total = ok_data(default_demo.get(ORDERS))["total"]
        # Credentials choose a partner request's world: the default demo on the tenant's link gets its own.
        default_on_link = ok_data(default_demo.get(first["next_page_url"]))

    assert first["next_page_url"] == f"{fresh_server.url}/t/{tenant['tenant']}/partner/orders?total=5&page=2"
    assert (followed.status_code, ok_data(followed)) == (200, second)
    assert first["total"] == default_total + 1
    assert (default_on_link["total"], default_on_link["path"]) == (
        default_total,
        f"{fresh_server.url}/partner/orders",
    )


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/t/{tenant}/_sandbox/state", 404, "route_not_found"),  # control calls name a tenant by header
        ("/t/{tenant}/_sandbox/ui", 404, "route_not_found"),  # the dashboard, by its cookie
        ("/t/nobody/pay/0123456789abcdef0123456789abcdef", 404, "tenant_not_found"),
    ],
)
def test_only_3d_pages_and_partner_paths_take_a_tenant_prefix(
    fresh_server: SandboxServer,
    make_tenant: Callable[..., dict[str, Any]],
    path: str,
    status: int,
    error: str,
) -> None:
    tenant = make_tenant()

    answer = httpx.get(fresh_server.url + path.format(tenant=tenant["tenant"]))

    assert (answer.status_code, answer.json()["data"]["error"]) == (status, error)
