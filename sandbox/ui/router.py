"""The dashboard's routes under /_sandbox/ui (left out of OpenAPI): the overview with the world, clock
and lifecycle controls, the world selector, the static assets, and the other pages' routers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from sandbox.auth.tenancy import TENANT_COOKIE
from sandbox.catalog import ORDER_TYPES
from sandbox.control.lifecycle_router import ModeRequest
from sandbox.control.world_router import ClockMove, SeedRequest, clock_view, state_view
from sandbox.core.clock import ISTANBUL
from sandbox.domain.flows import FLOWS
from sandbox.domain.lifecycle import progression
from sandbox.runtime import Sandbox
from sandbox.ui import customers_pages, faults_pages, feeds_pages, orders_pages, plays_pages
from sandbox.ui.common import (
    HERE,
    PREFIX,
    STATUS_ORDER,
    bad_field,
    error_page,
    fragment,
    parse_form,
    redirect,
    render,
    sandbox_of,
    submit,
    tenant_ids,
    when,
)
from sandbox.world import scenarios

router = APIRouter(prefix=PREFIX, include_in_schema=False)
STATIC = HERE / "static"
DATETIME_FORM = "YYYY-MM-DDTHH:MM"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@router.get("")
def overview(request: Request) -> Response:
    """Partners and their order counts, the world (reset, reseed), the clock and the lifecycle modes."""
    sandbox = sandbox_of(request)
    with sandbox.store.session() as session:
        modes = progression.modes(session)
    state = state_view(sandbox)
    return render(
        request,
        "overview.html",
        "overview",
        state=state,
        counts={row["partner"]: _matrix(row["orders"]) for row in state["partners"]},
        flows=[(FLOWS[name], modes[name]) for name in FLOWS],
        scenarios=scenarios.load(sandbox.settings.fixtures_dir),
        types=ORDER_TYPES,
    )


def _matrix(orders: dict[str, dict[str, int]]) -> list[tuple[str, list[int | None]]]:
    """Status rows (in story order) × order type columns, only the statuses some order is in."""
    rows = [(status, [orders.get(kind, {}).get(status) for kind in ORDER_TYPES]) for status in STATUS_ORDER]
    return [(status, cells) for status, cells in rows if any(cells)]


@router.get("/clock")
def clock_fragment(request: Request) -> Response:
    """The header's clock, polled by the script."""
    return fragment("_clock.html", clock=clock_view(sandbox_of(request).clock))


@router.get("/static/{name}")
def static(name: str, request: Request) -> Response:
    """The dashboard's own CSS and script (only the files in static/, nothing else)."""
    path = STATIC / name
    if path.suffix not in STATIC_TYPES or path.parent != STATIC or not path.is_file():
        return error_page(request, 404, "Not found", f"There is no dashboard asset named {name!r}.")
    return FileResponse(path, media_type=STATIC_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})


@router.post("/tenant")
async def switch_tenant(request: Request) -> Response:
    """The layout's world selector: show the tenant chosen (field `tenant`; empty: the default world),
    back on the page it was chosen on (field `back`)."""
    form = parse_form(await request.body())
    back = form.get("back", "")
    if back != PREFIX and not back.startswith((f"{PREFIX}/", f"{PREFIX}?")):
        back = PREFIX  # only ever back to a dashboard page
    chosen = form.get("tenant", "")
    if chosen and chosen not in await run_in_threadpool(tenant_ids, request):
        return redirect(back, error=f"There is no tenant {chosen}.")
    response = redirect(back)
    if chosen:
        response.set_cookie(TENANT_COOKIE, chosen, path=PREFIX, samesite="lax")
    else:
        response.delete_cookie(TENANT_COOKIE, path=PREFIX)
    return response


@router.post("/reset")
async def reset(request: Request) -> Response:
    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        everything = form.get("everything") == "1"
        result = sandbox.reset(everything=everything)
        what = "Everything reset" if everything else "World reset"
        return f"{what} in {result['milliseconds']} ms: {result['orders']} orders."

    return await submit(request, PREFIX, act)


@router.post("/seed")
async def seed(request: Request) -> Response:
    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        fields = {name: form[name] for name in ("seed", "scenario") if form.get(name)}
        body = SeedRequest.model_validate(fields)
        result = sandbox.reseed(seed=body.seed, scenario=body.scenario)
        return (
            f"Seeded world {result['seed']} ({result['scenario']}): {result['orders']} orders, "
            f"{result['customers']} customers in {result['milliseconds']} ms."
        )

    return await submit(request, PREFIX, act)


@router.post("/clock")
async def move_clock(request: Request) -> Response:
    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        body = ClockMove.model_validate(_clock_move(form))
        sandbox.move_clock(mode=body.mode, at=body.at, advance=body.advance)
        view = clock_view(sandbox.clock)
        offset = f"{view['offset_seconds']:+g} s from real time" if view["mode"] == "real" else "frozen"
        return f"Sandbox clock: {when(sandbox.clock.now())} ({offset})."

    return await submit(request, PREFIX, act)


def _clock_move(form: dict[str, str]) -> dict[str, Any]:
    action = form.get("action", "")
    if action == "freeze":
        return {"mode": "frozen"}
    if action == "real":
        return {"mode": "real"}
    if action == "advance":
        return {"advance": form.get("seconds", "")}
    if action == "freeze_at":
        try:
            at = datetime.fromisoformat(form.get("at", ""))
        except ValueError:
            raise bad_field(
                "at", "value_error", error=f"Expected a date and time, {DATETIME_FORM}."
            ) from None
        return {"at": at if at.tzinfo else at.replace(tzinfo=ISTANBUL)}  # the form's time is Istanbul's
    raise bad_field("action", "literal_error", expected="freeze, real, advance, freeze_at")


@router.post("/lifecycles/{flow}")
async def set_mode(flow: str, request: Request) -> Response:
    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        if flow not in FLOWS:
            raise bad_field("flow", "literal_error", expected=", ".join(FLOWS))
        fields = {name: form[name] for name in ("mode", "step_seconds") if form.get(name)}
        if fields.get("mode") != "timed":
            fields.pop("step_seconds", None)
        body = ModeRequest.model_validate(fields)
        with sandbox.store.session(write=True) as session:
            mode = progression.set_mode(session, flow, body.mode, body.step_seconds, sandbox.clock.now())
        every = f" (a step every {mode.step_seconds} s)" if mode.step_seconds else ""
        return f"Flow {flow} is now {mode.mode}{every}."

    return await submit(request, PREFIX, act)


router.include_router(orders_pages.router)
router.include_router(customers_pages.router)
router.include_router(faults_pages.router)
router.include_router(feeds_pages.router)
router.include_router(plays_pages.router)
