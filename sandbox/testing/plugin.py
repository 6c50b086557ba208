"""pytest plugin: a clean Minted Connect sandbox for every test (entry point `pytest11: minted_sandbox`).

One sandbox per test session (uvicorn in a daemon thread on port 0, SQLite file in a temp dir), and a
function-scoped `minted_sandbox` handle that copies the seeded world back before each test. With
`--minted-sandbox-url` (ini `minted_sandbox_url`) the handles drive an external sandbox (a container)
instead. Every control call goes over HTTP to `/_sandbox`, whichever server is behind it, in English.

The plugin's own server reads no `SANDBOX_*` variable (a shell configured for another sandbox must not
change the tests' world): its settings are the defaults. Under pytest-xdist each worker starts a server
of its own. On an external sandbox each session (each pytest-xdist worker, or the one process without
it) creates a tenant, a world of its own on that server, works in it (its partners' credentials, every
control call with `X-Sandbox-Tenant`) and removes it at the end: workers never reset each other's world
and the sandbox's own world is never touched.

Importing this module imports neither FastAPI, uvicorn nor SQLModel: pytest loads it in every suite
of an environment where the sandbox is installed, so the app is only built when a fixture runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx
    import requests.auth

    from sandbox.testing.server import SandboxServer

PARTNER_HEADERS = {"x-client-id": "web"}
ASGI_HOST = "minted-sandbox"  # the in-process app's name: allowed by its SANDBOX_ALLOWED_HOSTS
ASGI_BASE_URL = f"http://{ASGI_HOST}"
MARKER_KEYS = frozenset({"seed", "scenario", "orders", "customers"})
CONTROL_HEADERS = {"accept-language": "en"}
TENANT_HEADER = "x-sandbox-tenant"
# A session's tenant is removed at its end; one of a killed run goes an hour after its last request.
TENANT_TTL_SECONDS = 3600
TENANTS_SINCE = "0.2.0"  # the first minted-sandbox with /_sandbox/tenants

Partners = dict[str, tuple[str, str]]  # partner name → its Digest (username, password)


class MintedSandboxError(Exception):
    """A `/_sandbox` control call that failed: refused (`status`, the error `body`) or, with `status`
    None, not answered at all (nothing listens at the URL)."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class World:
    """Which seeded world the sandbox holds; None sizes are the scenario's own."""

    seed: int
    scenario: str
    orders: int | None = None
    customers: int | None = None


def _refusal(method: str, url: str, response: httpx.Response) -> str:
    """`POST <url> answered 422 scenario_unknown: Unknown scenario; valid scenarios: ...`."""
    try:
        body = response.json()
        key, text = body["data"]["error"], body["message"]
        notes = body["data"].get("errors", {})
    except (ValueError, KeyError, TypeError):  # not the sandbox's envelope
        return f"{method} {url} answered {response.status_code}: {response.text[:300]}"
    fields = "".join(f"; {name}: {' '.join(lines)}" for name, lines in notes.items())
    hint = " (--minted-sandbox-token)" if key in ("control_token_required", "control_token_invalid") else ""
    return f"{method} {url} answered {response.status_code} {key}: {text}{fields}{hint}"


# -- control: the /_sandbox API, one code path for every server ----------------------------------------


class Control:
    """`/_sandbox` over an `httpx.Client` (a socket for a server, starlette's TestClient for ASGI), for
    the server's own world or, with `tenant`, for that tenant's alone.

    Methods answer the `data` of the sandbox's envelope and raise `MintedSandboxError` on a refusal."""

    def __init__(self, http: httpx.Client, tenant: str | None = None) -> None:
        self._http = http
        self.tenant = tenant
        self._headers = {**CONTROL_HEADERS, **({TENANT_HEADER: tenant} if tenant else {})}
        self.clock = ClockControl(self)
        self.webhooks = WebhookControl(self)
        state = self.call("GET", "/state")
        self.baseline = World(state["seed"], state["scenario"])  # what unmarked tests get
        self.world = self.baseline

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        path = "/_sandbox" + path
        base = str(self._http.base_url).rstrip("/")
        try:
            # The sandbox answers in Turkish by default, as the partner does; tests read English.
            response = self._http.request(method, path, headers=self._headers, **kwargs)
        except httpx.TransportError as error:
            raise MintedSandboxError(
                f"cannot reach the Minted sandbox at {base} ({method} {path}: {type(error).__name__}: "
                f"{error or 'no answer'}); is it running at that URL?"
            ) from None
        url = base + path
        if response.status_code >= 400:
            raise MintedSandboxError(_refusal(method, url, response), response.status_code, response.text)
        return response.json()["data"]

    def reset(self, everything: bool = False) -> dict[str, Any]:
        """Copy the seeded world back (milliseconds). `everything` also drops webhook config, fault
        rules and lifecycle modes and unfreezes the clock (the fixtures reset this way)."""
        return self.call("POST", "/reset", params={"everything": str(everything).lower()})

    def seed(
        self,
        seed: int | None = None,
        scenario: str = "default",
        *,
        orders: int | None = None,
        customers: int | None = None,
    ) -> dict[str, Any]:
        """Build another world and make it the one resets go back to (omitted seed: the current one)."""
        body = {"seed": seed, "scenario": scenario, "orders": orders, "customers": customers}
        data = self.call("POST", "/seed", json={k: v for k, v in body.items() if v is not None})
        self.world = World(data["seed"], data["scenario"], orders, customers)
        return data

    def state(self) -> dict[str, Any]:
        """Seed, scenario, clock and order counts per partner, type and status."""
        return self.call("GET", "/state")

    def advance(self, order_ref: str, to: str | None = None) -> dict[str, Any]:
        """Move an order (guid or order_code) one step, or along its flow to status `to`."""
        return self.call("POST", f"/orders/{order_ref}/advance", json={"to": to})

    def set_mode(self, flow: str, mode: str, step_seconds: int | None = None) -> dict[str, Any]:
        """How a flow's orders move on by themselves: `immediate`, `manual` or `timed` (step_seconds)."""
        body = {"mode": mode, "step_seconds": step_seconds}
        return self.call("PUT", f"/lifecycles/{flow}/mode", json=body)

    def profile(self, partner: str, profile: str | None) -> dict[str, Any]:
        """Put `partner` on the `strict` or `lenient` profile (None: the server's default): strict refuses
        what the partner's docs do not allow; a full reset (the fixtures') drops it again."""
        return self.call("PUT", "/profile", json={"partner": partner, "profile": profile})

    def add_fault(self, rule: dict[str, Any]) -> dict[str, Any]:
        """Add a fault rule, e.g. `{"match": {"path": "/partner/pricefix"}, "effect": {"type": "error",
        "status": 503}, "times": 1}`; answers the stored rule with its id."""
        return self.call("POST", "/faults", json=rule)

    def enable_fault(self, fault_id: int, enabled: bool = True) -> dict[str, Any]:
        """Switch a fault rule on, or off with `enabled=False` (kept, but it never matches and its
        `times` are not used); answers the stored rule."""
        return self.call("PATCH", f"/faults/{fault_id}", json={"enabled": enabled})

    def clear_faults(self) -> dict[str, Any]:
        return self.call("DELETE", "/faults")

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """The request journal, oldest first; filters: path (prefix), method, status, since, partner,
        limit."""
        return self.call("GET", "/requests", params=filters)["requests"]


class ClockControl:
    def __init__(self, control: Control) -> None:
        self._control = control

    def freeze(self, at: datetime | str | None = None) -> dict[str, Any]:
        """Stop the business clock at `at` (an aware datetime or ISO string), or now."""
        if at is None:
            return self._move({"mode": "frozen"})
        return self._move({"at": at.isoformat() if isinstance(at, datetime) else at})

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the business clock forward; timed order progression catches up."""
        return self._move({"advance": seconds})

    def real(self) -> dict[str, Any]:
        """Back to wall-clock time."""
        return self._move({"mode": "real"})

    def now(self) -> dict[str, Any]:
        """`{"mode", "now", "offset_seconds"}`."""
        return self._control.call("GET", "/clock")

    def _move(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._control.call("POST", "/clock", json=body)


class WebhookControl:
    def __init__(self, control: Control) -> None:
        self._control = control

    def configure(self, url: str, partner: str = "demo", secret: str | None = None) -> dict[str, Any]:
        """Send `partner`'s webhook events to `url`."""
        body = {"partner": partner, "url": url, **({"secret": secret} if secret else {})}
        return self._control.call("PUT", "/webhooks", json=body)

    def flush(self, everything: bool = False) -> dict[str, Any]:
        """Deliver every due event now, synchronously: `{"delivered", "failed", "retrying", "pending"}`."""
        return self._control.call("POST", "/webhooks/flush", params={"everything": str(everything).lower()})

    def deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        """Outbox events with their attempts, newest first; filters: partner, state, order, limit."""
        return self._control.call("GET", "/webhooks/deliveries", params=filters)


# -- the handles tests get ------------------------------------------------------------------------------


class MintedSandbox:
    """What `minted_sandbox` gives a test: `.url`, `.auth`, `.requests_auth`, `.client()`, `.control`,
    `.credentials` (the demo partner's) and `.partners` (every partner's: name → (username, password)).

    On an external sandbox these are the session's tenant's partners (`t1-demo`, ...): the sandbox's own
    `demo` / `demo-secret` would reach its own world, not the tenant's."""

    def __init__(self, url: str, control: Control, partners: Partners) -> None:
        self.url = url
        self.control = control
        self.partners = partners
        self.credentials = partners.get("demo") or next(iter(partners.values()))
        self._clients: list[Any] = []

    @property
    def auth(self) -> httpx.DigestAuth:
        """httpx Digest auth for the demo partner."""
        import httpx

        return httpx.DigestAuth(*self.credentials)

    @property
    def requests_auth(self) -> requests.auth.HTTPDigestAuth:
        """requests Digest auth for the demo partner."""
        from requests.auth import HTTPDigestAuth

        return HTTPDigestAuth(*self.credentials)

    def client(self, credentials: tuple[str, str] | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx.Client with base URL, Digest auth and `x-client-id: web`; closed after the test."""
        import httpx

        kwargs.setdefault("timeout", 30)
        http = httpx.Client(
            base_url=self.url,
            auth=httpx.DigestAuth(*(credentials or self.credentials)),
            headers=PARTNER_HEADERS,
            **kwargs,
        )
        self._clients.append(http)
        return http

    def _close(self) -> None:
        for http in self._clients:
            http.close()
        self._clients.clear()


class MintedSandboxAsgi(MintedSandbox):
    """`minted_sandbox_asgi`: the same handle, but `.client()` is an `httpx.AsyncClient` on the app
    itself (no socket). Use it as `async with sandbox.client() as http:`; Digest works through it."""

    def __init__(self, app: Any, control: Control, partners: Partners) -> None:
        super().__init__(ASGI_BASE_URL, control, partners)
        self.app = app

    # The ASGI handle's client is async: the app runs in the test's event loop, not behind a socket.
    def client(self, credentials: tuple[str, str] | None = None, **kwargs: Any) -> httpx.AsyncClient:  # type: ignore[override]
        import httpx

        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url=self.url,
            auth=httpx.DigestAuth(*(credentials or self.credentials)),
            headers=PARTNER_HEADERS,
            **kwargs,
        )


# -- options, marker ------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("minted_sandbox", "Minted Connect sandbox")
    group.addoption(
        "--minted-sandbox-url",
        dest="minted_sandbox_url",
        default=None,
        help="Drive an already running sandbox (e.g. a container) instead of starting one.",
    )
    group.addoption(
        "--minted-sandbox-token",
        dest="minted_sandbox_token",
        default=None,
        help="Bearer token for /_sandbox when that sandbox sets SANDBOX_CONTROL_TOKEN.",
    )
    parser.addini("minted_sandbox_url", "Base URL of an external sandbox (as --minted-sandbox-url).")
    parser.addini("minted_sandbox_token", "Bearer token of the external sandbox's /_sandbox API.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "minted_sandbox(seed=None, scenario=None, orders=None, customers=None): run the test in "
        "another seeded world of the Minted sandbox (reseeded before it, and back for the next test).",
    )


def _setting(config: pytest.Config, name: str) -> str | None:
    return config.getoption(name) or config.getini(name) or None


# -- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def minted_sandbox_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxServer]:
    """The session's sandbox: uvicorn in a daemon thread on a free port, SQLite file in a temp dir.

    Skips the test under `--minted-sandbox-url`: then the sandbox is not in this process."""
    if _setting(request.config, "minted_sandbox_url"):
        pytest.skip("the sandbox is external (--minted-sandbox-url): no in-process server")
    from sandbox.config import IsolatedSettings
    from sandbox.testing.server import SandboxServer

    folder = tmp_path_factory.mktemp("minted-sandbox")
    with SandboxServer(IsolatedSettings(database_url=f"sqlite:///{folder}/sandbox.db")) as server:
        yield server


@pytest.fixture(scope="session")
def _minted_sandbox_backend(request: pytest.FixtureRequest) -> Iterator[tuple[str, Control, Partners]]:
    """(base URL, session Control, partners' credentials): a tenant of the external sandbox when one is
    configured, removed when the session ends; else the session server."""
    import httpx

    url = _setting(request.config, "minted_sandbox_url")
    if url is None:
        server = request.getfixturevalue("minted_sandbox_server")
        with httpx.Client(base_url=server.url, timeout=120) as http:
            with _reported():
                control = Control(http)
            yield server.url, control, _credentials(server.settings.partners)
        return
    url = url.rstrip("/")
    token = _setting(request.config, "minted_sandbox_token")
    headers = {"authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
        with _reported():
            sandbox = Control(http)
            tenant = _create_tenant(sandbox, url)
        try:
            with _reported():
                control = Control(http, tenant["tenant"])
            yield url, control, {p["partner"]: (p["username"], p["password"]) for p in tenant["partners"]}
        finally:
            with _reported():
                sandbox.call("DELETE", f"/tenants/{tenant['tenant']}")


def _create_tenant(sandbox: Control, url: str) -> dict[str, Any]:
    """A tenant holding the sandbox's own world (its seed and scenario): pytest-xdist workers, and runs
    sharing the sandbox, never reset each other's world."""
    world = sandbox.baseline
    body = {"seed": world.seed, "scenario": world.scenario, "ttl_seconds": TENANT_TTL_SECONDS}
    try:
        created: dict[str, Any] = sandbox.call("POST", "/tenants", json=body)
    except MintedSandboxError as error:
        if error.status != 404:
            raise
        raise MintedSandboxError(
            f"POST {url}/_sandbox/tenants answered 404: the Minted sandbox there has no tenants, and "
            f"--minted-sandbox-url runs each test session in a tenant of its own; run minted-sandbox "
            f"{TENANTS_SINCE} or newer at that URL.",
            error.status,
            error.body,
        ) from None
    return created


def _credentials(partners: dict[str, str]) -> Partners:
    """A server's partners (name → password) as the handle's: name → (username, password)."""
    return {name: (name, password) for name, password in partners.items()}


@pytest.fixture
def minted_sandbox(
    request: pytest.FixtureRequest, _minted_sandbox_backend: tuple[str, Control, Partners]
) -> Iterator[MintedSandbox]:
    """A clean sandbox for this test: the seeded world copied back, config and clock reset."""
    url, control, partners = _minted_sandbox_backend
    _prepare(request, control)
    handle = MintedSandbox(url, control, partners)
    yield handle
    handle._close()


@contextmanager
def _reported() -> Iterator[None]:
    """A control call that fails in a fixture is one line naming the call, not a plugin traceback."""
    try:
        yield
    except MintedSandboxError as error:
        # pytest.fail(), without the control error chained to it ("during handling of ...").
        raise pytest.fail.Exception(str(error), pytrace=False) from None


@pytest.fixture(scope="session")
def _minted_sandbox_asgi_backend(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Any, Control, Partners]]:
    """(app, Control, partners' credentials): the app in this process, its lifespan run in a portal
    thread (no socket)."""
    import httpx
    from anyio.from_thread import start_blocking_portal

    from sandbox.app import create_app
    from sandbox.config import IsolatedSettings

    folder = tmp_path_factory.mktemp("minted-sandbox-asgi")
    # No socket: the links the app hands out name the address its in-process client uses.
    settings = IsolatedSettings(
        database_url=f"sqlite:///{folder}/sandbox.db",
        allowed_hosts=(ASGI_HOST,),
        public_base_url=ASGI_BASE_URL,
    )
    app = create_app(settings)
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        transport = httpx.MockTransport(_PortalSender(portal, httpx.ASGITransport(app=app)).send)
        with httpx.Client(transport=transport, base_url=ASGI_BASE_URL, timeout=120) as http:
            yield app, Control(http), _credentials(settings.partners)


class _PortalSender:
    """Sends a request to the ASGI app in the portal's event loop, for a sync httpx client (control
    calls). httpx's MockTransport makes a transport of `send` (this plugin imports httpx lazily)."""

    def __init__(self, portal: Any, asgi: httpx.ASGITransport) -> None:
        self._portal = portal
        self._asgi = asgi

    def send(self, request: httpx.Request) -> httpx.Response:
        return self._portal.call(self._send, request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        import httpx

        response = await self._asgi.handle_async_request(request)
        return httpx.Response(response.status_code, headers=response.headers, content=await response.aread())


@pytest.fixture
def minted_sandbox_asgi(
    request: pytest.FixtureRequest, _minted_sandbox_asgi_backend: tuple[Any, Control, Partners]
) -> MintedSandboxAsgi:
    """Like `minted_sandbox`, in-process: `.client()` is an `httpx.AsyncClient` on `ASGITransport`."""
    app, control, partners = _minted_sandbox_asgi_backend
    _prepare(request, control)
    return MintedSandboxAsgi(app, control, partners)


def _prepare(request: pytest.FixtureRequest, control: Control) -> None:
    """Reseed when the test's marker asks for another world than the sandbox holds, then reset."""
    marker = request.node.get_closest_marker("minted_sandbox")
    options = dict(marker.kwargs) if marker else {}
    unknown = set(options) - MARKER_KEYS
    if unknown or (marker and marker.args):
        pytest.fail(f"@pytest.mark.minted_sandbox takes keywords {sorted(MARKER_KEYS)}, not {marker}")
    wanted = World(
        seed=options.get("seed", control.baseline.seed),
        scenario=options.get("scenario", control.baseline.scenario),
        orders=options.get("orders"),
        customers=options.get("customers"),
    )
    with _reported():
        if wanted != control.world:
            control.seed(wanted.seed, wanted.scenario, orders=wanted.orders, customers=wanted.customers)
        # everything=True: a fault rule, webhook endpoint or frozen clock of a test never leaks into the next.
        control.reset(everything=True)
