"""Issue 13, finding 1: the sandbox never keeps or shows a full card number or a CVV.

After card buys by card number and card storage saves, well-formed, malformed, cut at the journal's
64 KiB limit or written in ways a parser still reads, no full card number and no CVV appears in
/_sandbox/requests, the dashboard's journal pages and order pages, the webhook payloads and delivery
log, the database file, or anything the sandbox logs. The journal shows what was sent, redacted: the
number masked as everywhere else (`404809******7528`), the CVV as `***`.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.domain.journal import BODY_LIMIT
from sandbox.testing.plugin import Control
from sandbox.testing.server import SandboxServer
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.constants import SMALL_WORLD_FROZEN_AT as FROZEN_AT
from tests.support.servers import fresh_world
from tests.support.waiting import wait_for
from tests.webhooks.receiver import Receiver

BUY = "/partner/order/digital/buy"
SAVE = "/partner/card/storage/save"
UI = "/_sandbox/ui"
# (number as sent, CVV): every test below uses its own card, so a leak names the case.
CARDS = {
    "buy_3d": ("4048095010857528", "739"),
    "buy_non_3d": ("5555555555554444", "738"),
    "buy_spaced": ("4000 0000 0000 9995", "737"),
    "buy_amex": ("374245455400126", "7391"),
    "buy_number_as_json_number": ("4000000000000127", "736"),
    "buy_escaped_names": ("4000000000003220", "735"),
    "save": ("5400610000004581", "734"),
    "save_nested_duplicate": ("9792040000001007", "733"),
    "malformed_buy": ("4000000000000069", "732"),
    "malformed_single_quotes": ("4000000000009979", "731"),
    "form_encoded": ("4111111111111111", "729"),
    "cut_inside_number": ("4012888888881881", "728"),
    "cut_inside_cvv": ("5105105105105100", "727"),
    "bin_with_whole_number": ("4222222222222", "726"),
}


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture(scope="module")
def world(server: SandboxServer, server_control: Control, receiver: Receiver) -> Iterator[SandboxServer]:
    """The session server holding one fresh world for the module, clock frozen, demo's webhooks sent to
    the receiver; the database file it checks is the session server's, whatever ran before."""
    with fresh_world(server_control, FROZEN_AT):
        server_control.webhooks.configure(receiver.url, "demo", "whsec_card_data")
        yield server


@pytest.fixture(scope="module")
def demo(world: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=world.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS) as http:
        yield http


@pytest.fixture(scope="module")
def customer(demo: httpx.Client) -> str:
    body = {"external_id": "CARD-OWNER", "firstname": "Ayşe", "lastname": "Yılmaz", "email": "a@example.com"}
    assert demo.post("/partner/customer", json=body).status_code == 200
    return "CARD-OWNER"


@pytest.fixture(scope="module")
def sent(
    world: SandboxServer, demo: httpx.Client, customer: str, receiver: Receiver
) -> Iterator[dict[str, httpx.Response]]:
    """Every case sent once, with the server's log captured at DEBUG meanwhile: case → response."""
    records: list[str] = []
    handler = _Collect(records)
    # The root logger (the sandbox's loggers propagate to it) and uvicorn's, which do not.
    loggers = [logging.getLogger(name) for name in ("", "uvicorn.error", "uvicorn.access")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        responses = {case: _send(demo, case, customer) for case in CARDS}
        # The non-3-D buy completed at once: its webhook is delivered before anything is checked.
        wait_for(receiver.calls, 30, "the completed card buy's webhook")
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
    responses["log"] = httpx.Response(200, text="\n".join(records))
    yield responses


class _Collect(logging.Handler):
    """Every record the server's loggers emit (the test's own HTTP client's are not the sandbox's)."""

    def __init__(self, records: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(("httpx", "httpcore")):
            self.records.append(self.format(record))


def _payment(case: str, **change: Any) -> dict[str, Any]:
    number, cvv = CARDS[case]
    return {
        "card_holder": "John Due",
        "card_number": number,
        "card_expiry": "12/30",
        "card_cvv": cvv,
    } | change


def _buy(demo: httpx.Client, case: str, payment: dict[str, Any]) -> dict[str, Any]:
    token = demo.post("/partner/pricefix", json={"type": "digital"}).json()["data"]["token"]
    items = [{"sku": "GAU", "amount": 0.5}]
    return {"price_token": token, "external_id": f"EXT-{case}", "payment_type": "creditcard", "items": items,
            "payment": payment}  # fmt: skip


def _send(demo: httpx.Client, case: str, customer: str) -> httpx.Response:
    """The case's request, marked with an `X-Case` header the journal keeps."""
    number, cvv = CARDS[case]
    json_type = {"Content-Type": "application/json", "X-Case": case}
    save = {"customer_external_id": customer, **_payment(case)}
    if case in ("buy_3d", "buy_non_3d", "buy_spaced", "buy_amex"):
        return demo.post(BUY, json=_buy(demo, case, _payment(case)), headers={"X-Case": case})
    if case == "buy_number_as_json_number":
        body = _buy(demo, case, _payment(case, card_number=int(number), card_cvv=int(cvv)))
        return demo.post(BUY, json=body, headers={"X-Case": case})
    if case == "buy_escaped_names":  # what a JSON parser reads as card_number and card_cvv
        text = json.dumps(_buy(demo, case, _payment(case)))
        text = text.replace('"card_number"', '"\\u0063ard_number"').replace('"card_cvv"', '"card\\u005fcvv"')
        return demo.post(BUY, content=text.replace(number, "\\u0034" + number[1:]), headers=json_type)
    if case == "save":
        return demo.post(SAVE, json=save, headers={"X-Case": case})
    if case == "save_nested_duplicate":  # nested copies, and the CVV named twice
        text = json.dumps({**save, "extra": {"deep": [{"card_number": number, "cvv": cvv}]}})
        return demo.post(SAVE, content=text[:-1] + f', "card_cvv": "{cvv}"}}', headers=json_type)
    if case == "malformed_buy":  # the closing braces never come
        return demo.post(BUY, content=json.dumps(_buy(demo, case, _payment(case)))[:-2], headers=json_type)
    if case == "malformed_single_quotes":
        return demo.post(SAVE, content=str(save), headers=json_type)
    if case == "form_encoded":
        form = {"Content-Type": "application/x-www-form-urlencoded", "X-Case": case}
        return demo.post(SAVE, content=f"card_number={number}&card_cvv={cvv}", headers=form)
    if case == "bin_with_whole_number":  # the whole number where Bin Query wants its first digits
        return demo.post("/partner/payment/bin", json={"bin": number, "total": 100}, headers={"X-Case": case})
    # Cut at the journal's limit: its first BODY_LIMIT bytes end inside the number, or inside the CVV.
    head = json.dumps({"customer_external_id": customer, "note": ""})[:-2]
    tail = f'", "card_number": "{number}", "card_cvv": "{cvv}"}}'
    stop = tail.index(number) + 8 if case == "cut_inside_number" else tail.index(f'"{cvv}"') + 3
    body = head + "x" * (BODY_LIMIT - len(head) - stop) + tail
    assert body.encode()[:BODY_LIMIT].endswith(
        (number[:8] if case == "cut_inside_number" else cvv[:2]).encode()
    )
    return demo.post(SAVE, content=body, headers=json_type)


def _entries(world: SandboxServer) -> list[dict[str, Any]]:
    response = httpx.get(f"{world.url}/_sandbox/requests", params={"limit": 1000})
    assert response.status_code == 200
    return response.json()["data"]["requests"]


def _entry_of(world: SandboxServer, case: str) -> dict[str, Any]:
    """The case's authenticated request (Digest clients are refused once first)."""
    (entry,) = [
        e for e in _entries(world) if e["request_headers"].get("x-case") == case and e["status"] != 401
    ]
    return entry


def _masked(case: str) -> str:
    digits = CARDS[case][0].replace(" ", "")
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def _leaks(text: str) -> list[str]:
    """Which cards' numbers or CVVs `text` shows (HTML entities read as a browser reads them)."""
    text = html.unescape(text)
    compact = re.sub(r"[ -]", "", text)
    found = []
    for case, (number, cvv) in CARDS.items():
        if number.replace(" ", "") in compact:
            found.append(f"{case}: number")
        # A CVV right after a name like one (three digits are too common to look for alone).
        if re.search(r"(?i)(cvv|cvc)\W{0,12}" + cvv + r"(?![0-9])", text):
            found.append(f"{case}: cvv")
    return found


# -- the journal -------------------------------------------------------------------------------------


def test_the_journal_keeps_no_card_number_and_no_cvv(
    world: SandboxServer, sent: dict[str, httpx.Response]
) -> None:
    entries = _entries(world)

    assert {e["request_headers"].get("x-case") for e in entries} >= set(CARDS)
    assert _leaks(json.dumps(entries, ensure_ascii=False)) == []


# What each case's kept body must read like, beyond showing no card data.
JSON_CASES = ("buy_3d", "buy_non_3d", "buy_spaced", "buy_amex", "buy_number_as_json_number",
              "buy_escaped_names", "save", "save_nested_duplicate")  # fmt: skip


@pytest.mark.parametrize("case", list(CARDS))
def test_each_body_is_kept_redacted(world: SandboxServer, sent: dict[str, httpx.Response], case: str) -> None:
    entry = _entry_of(world, case)
    body, masked = entry["request_body"], _masked(case)

    assert (_leaks(body), _leaks(entry["response_body"] or "")) == ([], [])
    if case in JSON_CASES:  # still the JSON that was sent, with the card's values redacted
        document = json.loads(body)
        payment = document.get("payment", document)
        assert (payment["card_number"], payment["card_cvv"]) == (masked, "***")
    if case == "save_nested_duplicate":
        assert json.loads(body)["extra"] == {"deep": [{"card_number": masked, "cvv": "***"}]}
        assert body.count('"card_cvv": "***"') == 2
    if case == "malformed_buy":
        assert f'"card_number": "{masked}", "card_expiry": "12/30", "card_cvv": "***"' in body
    if case == "malformed_single_quotes":
        assert f"'card_number': \"{masked}\", 'card_expiry': '12/30', 'card_cvv': \"***\"" in body
    if case == "form_encoded":
        assert body == f"card_number={masked}&card_cvv=***"
    if case == "cut_inside_number":  # no digit of a number the cut leaves unfinished
        assert body.endswith('"card_number": "********"…[truncated]')
    if case == "cut_inside_cvv":
        assert body.endswith(f'"card_number": "{masked}", "card_cvv": "***"…[truncated]')
    if case == "bin_with_whole_number":
        assert json.loads(body) == {"bin": masked, "total": 100}


def test_bodies_without_card_data_are_kept_as_sent(world: SandboxServer, demo: httpx.Client) -> None:
    text = '{"bin":  "404809", "total": 1.10, "external_id": "1700000000000", "note": "Ay\\u015fe"}'

    demo.post(
        "/partner/payment/bin", content=text, headers={"Content-Type": "application/json", "X-Case": "plain"}
    )

    (entry,) = [
        e for e in _entries(world) if e["request_headers"].get("x-case") == "plain" and e["status"] != 401
    ]
    assert entry["request_body"] == text


def test_the_dashboard_journal_shows_no_card_number_and_no_cvv(
    world: SandboxServer, sent: dict[str, httpx.Response]
) -> None:
    pages = [f"{UI}/journal", f"{UI}/journal/rows"] + [f"{UI}/journal/{e['id']}" for e in _entries(world)]

    shown = {page: httpx.get(world.url + page) for page in pages}

    assert {page: response.status_code for page, response in shown.items()} == dict.fromkeys(pages, 200)
    assert {page: _leaks(response.text) for page, response in shown.items()} == {page: [] for page in pages}
    entry_page = shown[f"{UI}/journal/{_entry_of(world, 'buy_3d')['id']}"].text
    assert _masked("buy_3d") in html.unescape(entry_page)


# -- everywhere else a body or card data is kept or shown ------------------------------------------


def test_orders_webhooks_store_and_logs_hold_no_card_number_and_no_cvv(
    world: SandboxServer, demo: httpx.Client, sent: dict[str, httpx.Response], receiver: Receiver
) -> None:
    answers = [sent[case].json()["data"] for case in CARDS if sent[case].request.url.path == BUY]
    guids = [order["guid"] for answer in answers for order in answer.get("orders", [])]
    assert len(guids) == 5  # the well-formed buys went through
    texts = {
        "partner answers": "\n".join(response.text for response in sent.values()),
        "log": sent["log"].text,
        "Get Order": "\n".join(demo.get(f"/partner/order/{guid}").text for guid in guids),
        "dashboard orders": "\n".join(httpx.get(f"{world.url}{UI}/orders/{guid}").text for guid in guids),
        "dashboard webhooks": httpx.get(f"{world.url}{UI}/webhooks").text,
        "webhook deliveries": httpx.get(f"{world.url}/_sandbox/webhooks/deliveries").text,
        "webhook payloads": "\n".join(call.body.decode() for call in receiver.calls()),
    }
    database = Path(world.settings.database_url.removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):  # the file, its WAL and shared memory
        texts[path.name] = path.read_bytes().decode("latin-1")

    assert {name: _leaks(text) for name, text in texts.items()} == {name: [] for name in texts}
    for name in ("Get Order", "dashboard orders", "webhook payloads"):  # the card, as the sandbox shows it
        assert _masked("buy_non_3d") in texts[name], name
