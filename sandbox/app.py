"""`create_app(settings)`: the only way the sandbox's ASGI app is built."""

from __future__ import annotations

import ctypes
import faulthandler
import gc
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware

from sandbox import docs, handlers
from sandbox.auth.cors import SandboxCORS
from sandbox.auth.digest import DigestConfig, DigestVerifier
from sandbox.auth.middleware import RequestGate
from sandbox.auth.nonces import NonceManager, ReplayWindow, ServerNcWindow, SharedNcWindow
from sandbox.auth.tenancy import TenantRouter
from sandbox.cached_reads import CachedReads
from sandbox.config import Settings
from sandbox.control.lifecycle_router import router as lifecycle_router
from sandbox.control.profile_router import router as profile_router
from sandbox.control.protection import ControlGate, HostGate
from sandbox.control.router import router as control_router
from sandbox.control.tenants_router import router as tenants_router
from sandbox.control.traffic import FaultMiddleware, JournalMiddleware
from sandbox.control.traffic_router import router as traffic_router
from sandbox.control.webhooks_router import router as webhooks_router
from sandbox.control.world_router import router as world_router
from sandbox.core.clock import Clock
from sandbox.core.ids import SystemRandom
from sandbox.core.version import version
from sandbox.handlers import MiddlewareErrors
from sandbox.partner.balances.router import router as balances_router
from sandbox.partner.cards.router import router as cards_router
from sandbox.partner.customers.router import router as customers_router
from sandbox.partner.delivery.router import router as delivery_router
from sandbox.partner.legal.router import router as legal_router
from sandbox.partner.orders.router import router as orders_router
from sandbox.partner.payments.router import pages as payment_pages
from sandbox.partner.payments.router import router as payments_router
from sandbox.partner.prices.router import router as prices_router
from sandbox.partner.trading.router import router as trading_router
from sandbox.runtime import Sandbox
from sandbox.runtime.tenants import Tenants
from sandbox.ui import player
from sandbox.ui.router import router as dashboard_router

DESCRIPTION = """A local, offline, stateful sandbox of the Minted Connect partner API.

Every `/partner/...` route needs HTTP Digest auth (one username per partner) and the `x-client-id`
header. `x-fidelity` on each operation says whether its shape is documented by the partner or a
sandbox decision."""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    nonce_clock: Clock | None = None,
    whole_process: bool = False,
) -> FastAPI:
    """`whole_process`: the app is all its process serves (`minted-sandbox serve`), so once started,
    everything it holds is moved out of the garbage collector's sight (`gc.freeze`). Otherwise each full
    collection walks the loaded world and stalls every request in flight for about 100 ms. Never for
    apps started inside a test process: frozen objects are never collected."""
    settings = settings or Settings()
    sandbox = Sandbox(settings, clock=clock, nonce_clock=nonce_clock)
    tenants = Tenants(sandbox)
    verifier = _digest_verifier(sandbox, tenants)

    if whole_process:
        _two_malloc_arenas()
        _stacks_on_sigusr1()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(sandbox.ensure_world)
        sandbox.start()
        tenants.start()
        if whole_process:
            gc.collect()
            gc.freeze()
        yield
        await player.stop_all(_app)
        tenants.close()
        sandbox.close()
        verifier.close()

    # The whole request pipeline, outermost first.
    middleware = [
        Middleware(HostGate, hosts=settings.allowed_hosts, bind_host=settings.host),  # 421 unknown Host
        Middleware(SandboxCORS, origins=settings.cors_origins),
        Middleware(ControlGate, token=settings.control_token, origins=settings.cors_origins),
        # Which world (the default one or a tenant's: from here on `scope["sandbox"]`), caught up with
        # what any process committed: clock, world, configuration.
        Middleware(TenantRouter, tenants=tenants, verifier=verifier),
        # Outside the Digest gate: it also keeps the requests Digest refuses.
        *([Middleware(JournalMiddleware)] if settings.journal_size > 0 else []),
        Middleware(
            RequestGate,
            verifier=verifier,
            max_body_bytes=settings.max_body_bytes,
            partner_of=tenants.partner_of,
        ),
        Middleware(MiddlewareErrors),  # errors raised by the middlewares below: the partner's envelope
        # Inside the gate: a rule can match the authenticated partner and the buffered body.
        Middleware(FaultMiddleware),
        # Innermost: cached answers still pass the journal, Digest and the fault rules.
        Middleware(CachedReads),
    ]
    app = FastAPI(
        title="Minted Connect partner API — sandbox",
        version=version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        middleware=middleware,
    )
    app.state.sandbox = sandbox  # the default world
    app.state.tenants = tenants
    app.state.plays = set()  # the dashboard's played flows running in this process (sandbox/ui/player.py)
    app.include_router(orders_router)
    app.include_router(prices_router)
    app.include_router(trading_router)
    app.include_router(customers_router)
    app.include_router(balances_router)
    app.include_router(delivery_router)
    app.include_router(payments_router)
    app.include_router(payment_pages)
    app.include_router(cards_router)
    app.include_router(legal_router)
    app.include_router(control_router)
    app.include_router(world_router)
    app.include_router(tenants_router)
    app.include_router(lifecycle_router)
    app.include_router(profile_router)
    app.include_router(traffic_router)
    app.include_router(webhooks_router)
    app.include_router(dashboard_router)  # the demo dashboard, /_sandbox/ui
    handlers.install(app)
    docs.install(app)
    return app


def _two_malloc_arenas() -> None:
    """glibc gives threads that allocate at once arenas of their own (up to eight per core) and keeps
    what each arena once held: with 40 worker threads, peak RSS at 100,000 orders was 7-13 MB higher
    than with two arenas, for the same speed. Set before the first worker thread starts; a no-op off
    glibc (musl, macOS)."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    m_arena_max = -8  # glibc's malloc.h
    mallopt(m_arena_max, 2)


def _stacks_on_sigusr1() -> None:
    """`kill -USR1 <pid>` prints every thread's stack to stderr, and the server goes on: what a server
    that stopped answering waits for (docs/operations.md). faulthandler's handler runs in C, so it
    prints even while the event loop is blocked. No SIGUSR1 on Windows."""
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, all_threads=True)


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn worker processes (`--workers N`): settings from SANDBOX_* variables."""
    return create_app(Settings(), whole_process=True)


def _digest_verifier(sandbox: Sandbox, tenants: Tenants) -> DigestVerifier:
    settings = sandbox.settings
    secret = (settings.digest_secret or SystemRandom.hex(64)).encode()
    config = DigestConfig(
        realm=settings.digest_realm,
        algorithms=settings.digest_algorithms,
        allow_legacy=settings.digest_allow_legacy,
        nonce_ttl=settings.digest_nonce_ttl,
        nextnonce_after=max(settings.digest_nonce_ttl - 60, 1),
    )
    nonces = NonceManager(
        secret,
        settings.digest_realm,
        settings.digest_nonce_ttl,
        sandbox.nonce_clock.timestamp,
        SystemRandom.hex,
    )
    # A database file may be served by several processes: a captured header passes once in all of them.
    store, database = sandbox.store, sandbox.store.path
    window: ReplayWindow | None = None  # an in-memory store: this process's own
    if store.dialect == "postgresql":
        window = ServerNcWindow(store.conninfo, config.nonce_ttl, nonces.clock)
    elif database is not None:
        window = SharedNcWindow(database.with_name(f"{database.name}.nonces"), config.nonce_ttl, nonces.clock)
    return DigestVerifier(config, tenants.password, nonces, usernames=tenants.usernames, window=window)
