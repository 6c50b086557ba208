"""The 3-D Secure page in a real browser: headless Chromium (Debian's `/usr/bin/chromium` driven through
`/usr/bin/chromedriver` by selenium) opens a card order's `redirect_url`, clicks Approve or Decline and
follows the form post and its 303 to the callback page, exactly as a cardholder would."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from sandbox.testing.server import SandboxServer
from tests.api.card_helpers import card_buy, get_order, violations
from tests.api.trading_helpers import FROZEN_AT, balance, dedicated_server, partner_client
from tests.conftest import DEMO

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver): "
    "apt-get install -y chromium chromium-driver",
)


@pytest.fixture(scope="module")
def trading(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with dedicated_server(tmp_path_factory, "threeds-chromium") as running:
        yield running


@pytest.fixture(autouse=True)
def at_frozen_instant(trading: SandboxServer) -> None:
    trading.sandbox.clock.freeze(FROZEN_AT)


@pytest.fixture
def demo(trading: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(trading, DEMO) as http:
        yield http


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """Headless Chromium with a fresh profile; the driver path is given, so selenium downloads nothing."""
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def click_and_land(browser: webdriver.Chrome, redirect_url: str, button: str) -> None:
    browser.get(redirect_url)
    browser.find_element(By.ID, button).click()
    WebDriverWait(browser, 20).until(lambda driver: "/callback/" in driver.current_url)


def text_of(browser: webdriver.Chrome, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def test_chromium_approve_lands_on_success_page_and_completes_the_order(
    browser: webdriver.Chrome, demo: httpx.Client, trading: SandboxServer
) -> None:
    gold = balance(trading, asset="GAU")
    data = card_buy(demo)

    click_and_land(browser, data["payment"]["redirect_url"], "approve")

    assert browser.current_url == f"{data['payment']['redirect_url']}/callback/success"
    assert browser.find_element(By.ID, "result").get_attribute("data-state") == "success"
    assert (text_of(browser, "order-code"), text_of(browser, "order-status")) == (
        data["order_code"][0],
        "Completed",
    )
    order = get_order(demo, data["guid"][0])
    assert (order["status_name"], order["payment"]["state"]) == ("Completed", "success")
    assert balance(trading, asset="GAU") == gold + Decimal("0.5")
    assert violations(demo) == []


def test_chromium_decline_lands_on_fail_page_and_cancels_the_order(
    browser: webdriver.Chrome, demo: httpx.Client, trading: SandboxServer
) -> None:
    gold = balance(trading, asset="GAU")
    data = card_buy(demo)

    click_and_land(browser, data["payment"]["redirect_url"], "decline")

    assert browser.current_url == f"{data['payment']['redirect_url']}/callback/fail"
    assert text_of(browser, "payment-state") == "fail"
    assert get_order(demo, data["guid"][0])["status_name"] == "Cancelled"
    assert balance(trading, asset="GAU") == gold
    assert violations(demo) == []
