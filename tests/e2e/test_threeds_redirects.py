"""The 3-D Secure pages with a real HTTP client, as a cardholder's browser would use them: GET the page a
card order's `redirect_url` names, read its form, post Approve or Decline (form-encoded, no Digest),
follow the 303 to the callback page, then check the order through the partner API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from sandbox.catalog import STATUS_IDS
from sandbox.testing.server import SandboxServer
from tests.api.card_helpers import answer, card, card_buy, get_order, violations
from tests.support.clients import partner_client
from tests.support.constants import DEMO
from tests.support.trading import FROZEN_AT, balance, ledger_lines, status_history

VOID = {"meta", "link", "img", "input", "br", "hr"}


class Page(HTMLParser):
    """What a test needs of a sandbox page: its form, its buttons, the text of every element with an
    id, and every attribute that could load something."""

    def __init__(self) -> None:
        super().__init__()
        self.form: dict[str, str] = {}
        self.buttons: dict[str, dict[str, str]] = {}
        self.texts: dict[str, str] = {}
        self.links: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.form = values
        if tag == "button":
            self.buttons[values.get("id", "")] = values
        self.links += [values[name] for name in ("src", "href", "srcset") if name in values]
        if tag not in VOID:
            self._open.append(values.get("id", ""))

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1]:
            self.texts[self._open[-1]] = self.texts.get(self._open[-1], "") + data


def parse(response: httpx.Response) -> Page:
    assert response.headers["content-type"].startswith("text/html"), response.headers
    page = Page()
    page.feed(response.text)
    return page


@pytest.fixture(autouse=True)
def at_frozen_instant(trading: SandboxServer) -> None:
    trading.sandbox.clock.freeze(FROZEN_AT)


@pytest.fixture
def demo(trading: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(trading, DEMO) as http:
        yield http


@pytest.fixture
def browser(trading: SandboxServer) -> Iterator[httpx.Client]:
    """No Digest, no partner headers: the cardholder's browser."""
    with httpx.Client(base_url=trading.url, follow_redirects=True) as http:
        yield http


def submit(browser: httpx.Client, redirect_url: str, button: str) -> httpx.Response:
    """GET the page, read its form and post the chosen button's name=value, following redirects."""
    page = parse(browser.get(redirect_url))
    pressed = page.buttons[button]
    assert page.form["method"] == "post"
    return browser.post(page.form["action"], data={pressed["name"]: pressed["value"]})


# -- approve and decline ----------------------------------------------------------------------------------


def test_approve_lands_on_the_success_page_and_completes_the_order(
    demo: httpx.Client, browser: httpx.Client, trading: SandboxServer
) -> None:
    gold = balance(trading, asset="GAU")
    data = card_buy(demo)
    token = data["payment"]["token"]

    landed = submit(browser, data["payment"]["redirect_url"], "approve")

    assert [step.status_code for step in landed.history] == [303]
    assert (landed.status_code, urlsplit(str(landed.url)).path) == (200, f"/pay/{token}/callback/success")
    page = parse(landed)
    assert (page.texts["order-code"], page.texts["order-status"], page.texts["payment-state"]) == (
        data["order_code"][0],
        "Completed",
        "success",
    )
    order = get_order(demo, data["guid"][0])
    assert (order["status_name"], order["payment"]["state"]) == ("Completed", "success")
    assert balance(trading, asset="GAU") == gold + Decimal("0.5")
    assert violations(demo) == []


def test_decline_lands_on_the_fail_page_and_cancels_the_order(
    demo: httpx.Client, browser: httpx.Client, trading: SandboxServer
) -> None:
    gold = balance(trading, asset="GAU")
    data = card_buy(demo)

    landed = submit(browser, data["payment"]["redirect_url"], "decline")

    assert urlsplit(str(landed.url)).path == f"/pay/{data['payment']['token']}/callback/fail"
    page = parse(landed)
    assert (page.texts["order-status"], page.texts["payment-state"]) == ("Cancelled", "fail")
    assert page.texts["error-message"].startswith("3D-02: ")
    order = get_order(demo, data["guid"][0])
    assert (order["status_name"], order["payment"]["state"]) == ("Cancelled", "fail")
    assert balance(trading, asset="GAU") == gold
    assert violations(demo) == []


def test_approve_with_declining_card_lands_on_the_fail_page(
    demo: httpx.Client, browser: httpx.Client
) -> None:
    data = card_buy(demo, card("4000000000009979"))

    page = parse(submit(browser, data["payment"]["redirect_url"], "approve"))

    assert page.texts["error-message"] == "43: Çalıntı kart / Stolen card"


# -- once only ----------------------------------------------------------------------------------------------


def test_second_post_redirects_to_the_first_outcome_and_changes_nothing(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    data = card_buy(demo)
    url, guid = data["payment"]["redirect_url"], data["guid"][0]
    answer(url, "approve")
    history, lines = status_history(trading, guid), ledger_lines(trading, guid)

    again = answer(url, "decline")

    assert (again.status_code, again.headers["location"]) == (303, urlsplit(url).path + "/callback/success")
    assert (status_history(trading, guid), ledger_lines(trading, guid)) == (history, lines)
    assert get_order(demo, guid)["status_name"] == "Completed"


def test_concurrent_approves_process_the_payment_once(demo: httpx.Client, trading: SandboxServer) -> None:
    data = card_buy(demo)
    barrier, results = threading.Barrier(4), []

    def approve() -> None:
        barrier.wait()
        results.append(answer(data["payment"]["redirect_url"], "approve").status_code)

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [303] * 4
    assert status_history(trading, data["guid"][0]).count(STATUS_IDS["Completed"]) == 1
    assert ledger_lines(trading, data["guid"][0]) == [("GAU", Decimal("0.5"), "buy")]
    assert violations(demo) == []


def test_payment_page_of_an_answered_payment_redirects_to_its_callback(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    data = card_buy(demo)
    answer(data["payment"]["redirect_url"], "decline")

    response = httpx.get(f"{trading.url}/pay/{data['payment']['token']}")

    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/pay/{data['payment']['token']}/callback/fail",
    )


# -- the page itself ----------------------------------------------------------------------------------------


def test_payment_page_shows_merchant_amount_and_masked_card(
    demo: httpx.Client, browser: httpx.Client
) -> None:
    data = card_buy(demo, card(installment=3))

    page = parse(browser.get(data["payment"]["redirect_url"], headers={"Accept-Language": "en"}))

    assert page.texts["merchant"] == "Minted Sandbox"
    assert page.texts["total"] == f"{Decimal(str(data['payment']['total'])):,.2f} TRY"
    assert page.texts["card"] == "Visa 404809******7528"
    assert page.texts["installment"] == "3"
    assert (page.texts["approve"], page.texts["decline"]) == ("Approve", "Decline")
    assert page.form == {"method": "post", "action": f"/pay/{data['payment']['token']}"}
    assert {(b["name"], b["value"]) for b in page.buttons.values()} == {
        ("action", "approve"),
        ("action", "decline"),
    }


def test_payment_page_is_turkish_by_default(demo: httpx.Client, browser: httpx.Client) -> None:
    page = parse(browser.get(card_buy(demo)["payment"]["redirect_url"]))

    assert (page.texts["approve"], page.texts["decline"]) == ("Onayla", "Reddet")


def test_payment_page_loads_nothing_from_anywhere(demo: httpx.Client, browser: httpx.Client) -> None:
    response = browser.get(card_buy(demo)["payment"]["redirect_url"])

    assert parse(response).links == []
    assert "http://" not in response.text and "https://" not in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_payment_page_escapes_the_card_holder(demo: httpx.Client, browser: httpx.Client) -> None:
    holder = '<script>alert("x")</script> & Co'
    data = card_buy(demo, card(card_holder=holder))

    response = browser.get(data["payment"]["redirect_url"])

    assert "<script>" not in response.text
    assert parse(response).texts["holder"] == holder


# -- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["", "APPROVE", "maybe"])
def test_unknown_action_returns_422_page_and_leaves_the_payment_new(
    demo: httpx.Client, trading: SandboxServer, action: str
) -> None:
    data = card_buy(demo)

    response = httpx.post(data["payment"]["redirect_url"], data={"action": action})

    assert response.status_code == 422
    assert parse(response).texts["result"]
    assert get_order(demo, data["guid"][0])["payment"]["state"] == "new"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/pay/NOSUCHTOKEN"),
        ("POST", "/pay/NOSUCHTOKEN"),
        ("GET", "/pay/NOSUCHTOKEN/callback/success"),
        ("GET", "/pay/NOSUCHTOKEN/callback/fail"),
    ],
)
def test_unknown_token_returns_404_page(trading: SandboxServer, method: str, path: str) -> None:
    response = httpx.request(
        method, trading.url + path, data={"action": "approve"} if method == "POST" else None
    )

    assert response.status_code == 404
    assert parse(response).texts["result"] == "Ödeme bulunamadı."


def test_callback_with_unknown_result_returns_404_page(demo: httpx.Client, trading: SandboxServer) -> None:
    token = card_buy(demo)["payment"]["token"]

    response = httpx.get(f"{trading.url}/pay/{token}/callback/maybe")

    assert response.status_code == 404


def test_pay_pages_are_not_in_the_openapi_spec(trading: SandboxServer) -> None:
    paths = httpx.get(f"{trading.url}/openapi.json").json()["paths"]

    assert not [path for path in paths if path.startswith("/pay/")]
