"""The dashboard's "play a flow": a scripted flow run on a fresh customer at a chosen pace, for demos.

Every step is a real request sent through the app itself (httpx over ASGI, `Player.send`): the partner
API with the partner's Digest credentials, the control API with the control token, the 3-D Secure
page as the cardholder's browser posts it. Each passes the same pipeline as an integrator's request:
the journal keeps the partner calls (tagged `X-Sandbox-Play: <play>.<step>`, so the play's page links
them), fault rules apply to them, and the order's status changes raise its webhooks.

Before the order a play is about, the customer gets a mode of its own (`manual`, sandbox/domain/
lifecycle/progression.py): that order then moves only when the play advances it, one step per pause,
whatever the flows' modes are. The order that only prepares the story (the gold a sell or a delivery
needs) is bought while the customer's mode is `immediate`, so it settles at once, whatever the flows'.

A play runs in the process whose dashboard started it; its row (`Play`) is what every process's pages
show. A stopped server stops its plays (state `stopped`); a reset removes them with the rest of the world.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from sandbox.catalog import STATUS_NAMES
from sandbox.core.ids import Rng
from sandbox.runtime import Sandbox
from sandbox.store.models import Order, OrderStatusHistory, Play, pk
from sandbox.world import identity_number

log = logging.getLogger("sandbox.player")

Script = Literal["buy-card", "buy-cash", "sell", "delivery"]
SCRIPTS: dict[str, str] = {
    "buy-card": "Card buy with 3-D Secure: the cardholder approves, the gold is credited",
    "buy-cash": "Cash buy: a deposit, a price fix, a buy that moves on to Completed",
    "sell": "Sell: the customer buys gold, then sells it back for cash",
    "delivery": "Delivery to Completed: gold bought, then prepared, packed, shipped and delivered",
}
SPEEDS_MS = {"fast": 500, "normal": 2000, "slow": 5000}  # the pause before each step
PLAY_HEADER = "X-Sandbox-Play"
DOCUMENTED_CARD = "4048095010857528"  # the partner's documented test card: a 3-D card
DEPOSIT = "100000"
HOLD = "The customer's orders move when the play says"


class PlayRequest(BaseModel):
    """What the dashboard's form asks for."""

    model_config = ConfigDict(extra="forbid")

    script: Script
    partner: str = Field(min_length=1, max_length=64)
    pause_ms: int = Field(SPEEDS_MS["normal"], ge=0, le=60_000)


class PlayFailed(Exception):
    """A step was refused: the play stops there, with the answer's message."""


class PlayGone(Exception):
    """The play's row is gone (a reset removed it): nothing is left to tell, the play just ends."""


class Player:
    """One play: each step sent through the app, then written to the play's row."""

    def __init__(
        self,
        app: FastAPI,
        sandbox: Sandbox,
        play_id: int,
        base_url: str,
        tenant: str | None,
        digest: tuple[str, str],
        pause: float,
    ) -> None:
        self.sandbox, self.play_id, self.pause = sandbox, play_id, pause
        token = sandbox.settings.control_token
        self.control_headers = {
            **({"X-Sandbox-Tenant": tenant} if tenant else {}),
            **({"Authorization": f"Bearer {token}"} if token else {}),
        }
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base_url, timeout=30, follow_redirects=False
        )
        self.digest = httpx.DigestAuth(*digest)
        self.steps: list[dict[str, Any]] = []
        self.order_guid: str | None = None  # the order the story is about, once made
        self._seen = 0  # statuses of its history already given to a step

    async def partner(
        self,
        label: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        makes_order: bool = False,
    ) -> Any:
        """`makes_order`: the answer is the order the story is about; its steps list what it entered."""
        headers = {"x-client-id": "web", "api-version": "2"}
        return await self.send(
            "partner",
            label,
            method,
            path,
            json=body,
            headers=headers,
            auth=self.digest,
            makes_order=makes_order,
        )

    async def control(self, label: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await self.send("control", label, method, path, json=body or {}, headers=self.control_headers)

    async def cardholder(self, label: str, url: str, action: str) -> Any:
        return await self.send("cardholder", label, "POST", urlsplit(url).path, data={"action": action})

    async def send(
        self, kind: str, label: str, method: str, path: str, *, makes_order: bool = False, **request: Any
    ) -> Any:
        if self.steps:
            await asyncio.sleep(self.pause)
        if not await run_in_threadpool(self._exists):
            raise PlayGone  # reset meanwhile: the next step must not act on the new world
        tag = f"{self.play_id}.{len(self.steps) + 1}"
        headers = {**request.pop("headers", {}), PLAY_HEADER: tag}
        response = await self.client.request(method, path, headers=headers, **request)
        try:
            body = response.json()
        except ValueError:
            body = None
        data = body.get("data") if isinstance(body, dict) else None
        failed = response.status_code >= 400
        if makes_order and not failed and isinstance(data, dict):
            guid = data["guid"]  # a buy's or sell's answer lists one per item; a delivery's is one
            self.order_guid = str(guid[0] if isinstance(guid, list) else guid)
        error = (body.get("message") if isinstance(body, dict) else None) or f"HTTP {response.status_code}"
        step = {
            "tag": tag,
            "kind": kind,
            "label": label,
            "method": method,
            "path": path,
            "status": response.status_code,
            "at": self.sandbox.clock.now().isoformat(),
            "message": error if failed else None,
        }
        if not await run_in_threadpool(self._record, step, "failed" if failed else None, error):
            raise PlayGone
        if failed:
            raise PlayFailed(error)
        return data

    def _exists(self) -> bool:
        with self.sandbox.store.session() as session:
            return session.get(Play, self.play_id) is not None

    def _record(self, step: dict[str, Any] | None, state: str | None, error: str | None) -> bool:
        """Write the step (and the statuses the play's order entered since the last one) to the row;
        False when the row is gone (a reset meanwhile)."""
        with self.sandbox.store.session(write=True) as session:
            play = session.get(Play, self.play_id)
            if play is None:
                return False
            if step is not None:
                step["entered"] = self._entered(session)
                self.steps.append(step)
                play.steps = json.dumps(self.steps, ensure_ascii=False)
            play.order_guid = self.order_guid
            if state is not None:
                play.state, play.error = state, error
            session.add(play)
        return True

    def _entered(self, session: Session) -> list[str]:
        if self.order_guid is None:
            return []
        order = session.exec(select(Order).where(Order.guid == self.order_guid)).first()
        if order is None:
            return []
        history = session.exec(
            select(OrderStatusHistory.status_id)
            .where(OrderStatusHistory.order_id == order.id)
            .order_by(col(OrderStatusHistory.at), col(OrderStatusHistory.id))
        ).all()
        entered = [STATUS_NAMES[status] for status in history[self._seen :]]
        self._seen = len(history)
        return entered

    def finish(self, state: str, error: str | None = None) -> None:
        try:
            self._record(None, state, error)
        except Exception:  # the world is gone (a tenant removed): nobody is left to tell
            log.debug("play %s ended as %s, unrecorded", self.play_id, state)


# -- the scripts ----------------------------------------------------------------------------------------


class Story:
    """The requests of one play, in the order the story tells them."""

    def __init__(self, player: Player, partner: str, customer: str, rng: Rng) -> None:
        self.p, self.partner, self.customer, self.rng = player, partner, customer, rng
        self.person = {
            "external_id": customer,
            "firstname": "Mehmet",
            "middlename": "",
            "lastname": "Gülbilge",
            "fullname": "Mehmet Gülbilge",
            "email": f"{customer.lower()}@example.com",
            "phone": "+905322808035",
            "gender": "M",
            "identity_number": identity_number(rng),
            "birthdate": "1970-01-31",
        }

    def external_id(self, what: str) -> str:
        return f"{self.customer}-{what}"

    async def new_customer(self) -> None:
        body = {key: value for key, value in self.person.items() if key != "fullname"}
        await self.p.partner("A fresh customer", "POST", "/partner/customer", body)

    async def deposit(self) -> None:
        body = {"amount": DEPOSIT, "currency_code": "TRY", "description": "Demo deposit"}
        await self.p.partner(
            f"Deposit {DEPOSIT} TRY", "PATCH", f"/partner/balance/customer/{self.customer}", body
        )

    async def own_mode(self, mode: str) -> None:
        """Whatever the flows' modes: `immediate` settles the gold a story needs at once, `manual` lets the
        play move the story's order."""
        label = HOLD if mode == "manual" else "The customer's orders settle at once"
        path = f"/_sandbox/customers/{self.partner}/{self.customer}/mode"
        await self.p.control(label, "PUT", path, {"mode": mode})

    async def price_fix(self) -> str:
        body = {"type": "digital", "customer_external_id": self.customer}
        fixed = await self.p.partner("Fix the prices", "POST", "/partner/pricefix", body)
        return str(fixed["token"])

    async def trade(
        self, side: str, what: str, grams: int, label: str, makes_order: bool, **extra: Any
    ) -> Any:
        """A price fix, then a buy or sell of `grams` of gold in TRY for the customer."""
        body = {
            "price_token": await self.price_fix(),
            "currency_code": "TRY",
            "external_id": self.external_id(what),
            "customer": self.person,
            "items": [{"sku": "GAU", "amount": grams}],
            **extra,
        }
        return await self.p.partner(
            label, "POST", f"/partner/order/digital/{side}", body, makes_order=makes_order
        )

    async def advance_to_end(self) -> None:
        """One control call per status, as the back office or the courier would move it; then the
        partner reads the order."""
        entered: list[str] = []
        while "Completed" not in entered:
            path = f"/_sandbox/orders/{self.p.order_guid}/advance"
            entered = (await self.p.control("Advance the order", "POST", path, {}))["entered"]
        await self.p.partner("Get the order", "GET", f"/partner/order/{self.p.order_guid}")

    async def buy_card(self) -> None:
        await self.new_customer()
        await self.own_mode("manual")
        card = {"card_number": DOCUMENTED_CARD, "card_holder": "Mehmet Gülbilge", "card_expiry": "12/40",
                "card_cvv": "000", "customer_ip": "127.0.0.1"}  # fmt: skip
        label = "Buy 1 g of gold by card"
        order = await self.trade("buy", "CARD", 1, label, True, payment_type="creditcard", payment=card)
        await self.p.cardholder("The cardholder approves on the 3-D page", _redirect_url(order), "approve")
        await self.advance_to_end()

    async def buy(self) -> None:
        await self.new_customer()
        await self.deposit()
        await self.own_mode("manual")
        await self.trade("buy", "BUY", 1, "Buy 1 g of gold with cash", True)
        await self.advance_to_end()

    async def sell(self) -> None:
        await self.new_customer()
        await self.deposit()
        await self.own_mode("immediate")
        await self.trade("buy", "GOLD", 2, "Buy the 2 g of gold to sell", False)
        await self.own_mode("manual")
        await self.trade("sell", "SELL", 1, "Sell 1 g of gold", True)
        await self.advance_to_end()

    async def delivery(self) -> None:
        await self.new_customer()
        await self.deposit()
        await self.own_mode("immediate")
        await self.trade("buy", "GOLD", 5, "Buy the 5 g of gold to deliver", False)
        await self.own_mode("manual")
        place = {"fullname": "Mehmet Gülbilge", "city": "İstanbul", "county": "Beykoz",
                 "district": "Acarlar Mah.", "address": "No: 37/4"}  # fmt: skip
        body = {
            "customer": {
                key: self.person[key] for key in ("external_id", "firstname", "lastname", "phone", "email")
            },
            "external_id": self.external_id("DELIVERY"),
            "sku": "GAU",
            "amount": 3,
            "address": {"billing": {**place, "invoice_type": "Individual"}, "shipping": place},
        }
        label = "Deliver 3 g of gold, the fee paid in cash"
        await self.p.partner(label, "POST", "/partner/delivery/create", body, makes_order=True)
        await self.advance_to_end()


def _redirect_url(order: Any) -> str:
    payment = order.get("payment") if isinstance(order, dict) else None
    url = payment.get("redirect_url") if isinstance(payment, dict) else None
    if not url:
        raise PlayFailed("The card order has no 3-D Secure page to answer.")
    return str(url)


STORIES: dict[str, Callable[[Story], Awaitable[None]]] = {
    "buy-card": Story.buy_card,
    "buy-cash": Story.buy,
    "sell": Story.sell,
    "delivery": Story.delivery,
}


# -- starting and stopping ------------------------------------------------------------------------------


def start(
    app: FastAPI,
    loop: asyncio.AbstractEventLoop,
    sandbox: Sandbox,
    tenant: str | None,
    base_url: str,
    asked: PlayRequest,
    digest: tuple[str, str],
) -> int:
    """Write the play's row, then start it on `loop` (the server's); returns its id. Called off the loop."""
    with sandbox.store.session(write=True) as session:
        play = Play(
            script=asked.script,
            pause_ms=asked.pause_ms,
            partner=asked.partner,
            customer_external_id="",
            created_at=sandbox.clock.now(),
        )
        session.add(play)
        session.flush()
        play_id = pk(play)
        # Seeded: the same seed and the same plays give the same customers.
        rng = Rng(f"{sandbox.settings.seed}:play:{play_id}")
        play.customer_external_id = customer = f"PLAY{play_id}-{rng.digits(6)}"
    player = Player(app, sandbox, play_id, base_url, tenant, digest, asked.pause_ms / 1000)
    story = Story(player, asked.partner, customer, rng)
    running: set[asyncio.Task[None]] = app.state.plays

    def spawn() -> None:
        task = loop.create_task(_run(player, STORIES[asked.script], story))
        running.add(task)
        task.add_done_callback(running.discard)

    loop.call_soon_threadsafe(spawn)
    return play_id


async def _run(player: Player, story: Callable[[Story], Awaitable[None]], told: Story) -> None:
    try:
        await story(told)
        player.finish("done")
    except (PlayFailed, PlayGone):
        pass  # its step said so, with the answer's message; or a reset took the play away
    except asyncio.CancelledError:
        player.finish("stopped")
        raise
    except Exception as error:  # the play's own bug: the page says so, the server goes on
        log.exception("play %s failed", player.play_id)
        player.finish("failed", f"{type(error).__name__}: {error}")
    finally:
        await player.client.aclose()


async def stop_all(app: FastAPI) -> None:
    """At shutdown: stop every play this process runs (each is marked `stopped`)."""
    plays: set[asyncio.Task[None]] = app.state.plays
    for task in list(plays):
        task.cancel()
    await asyncio.gather(*plays, return_exceptions=True)


def plays(sandbox: Sandbox, limit: int = 20) -> list[dict[str, Any]]:
    """The newest plays of the world, each with its steps."""
    with sandbox.store.session() as session:
        rows = session.exec(select(Play).order_by(col(Play.id).desc()).limit(limit)).all()
        return [as_dict(row) for row in rows]


def as_dict(play: Play) -> dict[str, Any]:
    return {
        "id": play.id,
        "script": play.script,
        "title": SCRIPTS.get(play.script, play.script),
        "pause_ms": play.pause_ms,
        "partner": play.partner,
        "customer": play.customer_external_id,
        "order_guid": play.order_guid,
        "state": play.state,
        "error": play.error,
        "created_at": play.created_at,
        "steps": json.loads(play.steps),
    }
