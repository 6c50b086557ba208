"""The sandbox backend: one object that owns the store, clocks, ids, price feed, fault book and the
background threads (webhook sender, timed-progression ticker).

The HTTP app, the CLI and the pytest fixture all drive the same `Sandbox`, so there is one way to
build the world, one reset, and one place state lives (the moto "backend" idea).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from sandbox.config import Settings
from sandbox.core.clock import CLOCK_MAX, Clock
from sandbox.core.errors import SandboxError, ValidationFailed
from sandbox.core.ids import Ids, Rng
from sandbox.domain.faults import FaultBook
from sandbox.domain.journal import Journal
from sandbox.domain.lifecycle.progression import any_timed, progress_due
from sandbox.domain.prices.feed import PriceFeed
from sandbox.domain.webhooks.config import apply_defaults
from sandbox.runtime.ticker import Ticker
from sandbox.runtime.worker import WebhookWorker
from sandbox.store import migrate, shared
from sandbox.store.db import Store
from sandbox.store.models import Partner, WorldMeta, pk
from sandbox.world import WorldSpec, census, scenarios, template, world_is_current

log = logging.getLogger("sandbox.world")
_NEVER = object()  # a generation no store has: the first `sync` reads the shared row


class Sandbox:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        nonce_clock: Clock | None = None,
        world: WorldSpec | None = None,
        store: Store | None = None,
    ) -> None:
        """`world`, `store`: a tenant's world and store; else the settings' scenario, sizes and database."""
        self.settings = settings
        self.store = store or Store(settings.database_url)
        # One business clock for every process serving the store (sandbox/store/shared.py). A clock
        # given here (tests) is written there once the world is in place; else the store's is read.
        self.clock = clock or Clock()
        self.clock.keeper = shared.keeper(self.store)
        self._given_clock = clock.state if clock else None
        # Digest nonces age on real time even when the business clock is frozen (docs/design/digest.md §4.1).
        self.nonce_clock = nonce_clock or Clock()
        # The world the store holds. Settings are frozen, so a reseed changes this, never them.
        self.world = world or self._spec(settings.scenario)
        self._follow_seed()
        self.journal = Journal(self.store, settings.journal_size)
        # This process's cached fault rules, drawing from the seeded "faults" stream.
        self.faults = FaultBook(self.store, self.ids.stream("faults"))
        self.webhooks = WebhookWorker(self, self.tick, self.sync)
        self.ticker = Ticker(self.tick)
        # The pristine seeded world a reset copies back (set by ensure_world / rebuild_world).
        self.template: sqlite3.Connection | None = None
        # username → (partner id, profile), until the configuration changes (`sync`).
        self._partners: dict[str, tuple[int, str]] = {}
        # One reset, reseed or catching up (`sync`) at a time: each may swap the template.
        self._world_lock = threading.RLock()
        self._changing = 0  # resets and reseeds of this process under way (`_changing_world`)
        # What `sync` last saw: the store's generation, and the shared row's epoch and version.
        self._seen: Hashable = _NEVER
        self._epoch: int | None = None
        self._version: int | None = None
        # Whether any flow is timed, as of (epoch, version): an idle tick then reads nothing.
        self._timed: tuple[tuple[int | None, int | None], bool] | None = None

    @property
    def world_spec(self) -> WorldSpec:
        return self.world

    @property
    def seed(self) -> int:
        """The seed of the world the store holds (a reseed may have changed it from `settings.seed`)."""
        return self.world.seed

    def ensure_world(self, progress: Callable[[int], None] | None = None) -> bool:
        """Build the seeded world unless the database already holds exactly this one. True if built.

        Either way the reset template is ready afterwards: the saved one when it matches, else rebuilt.
        First the database is brought to this version's schema, in place (sandbox/store/migrate.py)."""
        migrate.upgrade(self.store)
        built = not world_is_current(self.store, self.world)
        if built:
            self.rebuild_world(progress)
        elif self.template is None:
            path = template.template_path(self.store)
            saved = template.open_saved(path, self.world)
            if saved is None:
                saved = template.save(template.build(self.world, self.settings.fixtures_dir, progress), path)
            self.template = saved
        given, self._given_clock = self._given_clock, None
        if given is not None:
            self.clock.move(lambda _shared: given)
        self.sync()
        return built

    def rebuild_world(self, progress: Callable[[int], None] | None = None) -> None:
        """Build the world (Faker) into a new template and copy it over the database; config is kept."""
        self._install(self.world, progress)

    def reset(self, everything: bool = False) -> dict[str, Any]:
        """Copy the template over the database (no Faker). The user's configuration (webhooks, fault
        rules, lifecycle modes) and the clock stay, unless `everything`; ids restart from the seed."""
        with self._changing_world():
            if self.template is None:
                self.ensure_world()
            started = time.perf_counter()
            for _attempt in range(3):
                self.sync()  # a reseed through another process: its world is the one to go back to
                if self.template is None:
                    self.ensure_world()
                assert self.template is not None, "ensure_world installs the template"
                try:
                    epoch = template.restore(self.store, self.template, keep=not everything)
                    break
                except template.WorldMoved:
                    continue
            else:
                raise template.WorldMoved()
            self._restart_runtime(epoch)
            milliseconds = round((time.perf_counter() - started) * 1000, 1)
        self.tick()
        with self.store.session() as session:
            return {"reset": True, "milliseconds": milliseconds, "orders": census.order_count(session)}

    def reseed(
        self,
        *,
        seed: int | None = None,
        scenario: str = scenarios.DEFAULT,
        orders: int | None = None,
        customers: int | None = None,
    ) -> dict[str, Any]:
        """Build another world (seed, scenario, sizes) and make it the new template; config is kept.

        An omitted seed keeps the current one; omitted sizes are the scenario's."""
        spec = self.spec_for(
            seed=self.world.seed if seed is None else seed,
            scenario=scenario,
            orders=orders,
            customers=customers,
        )
        started = time.perf_counter()
        self._install(spec, None)
        milliseconds = round((time.perf_counter() - started) * 1000, 1)
        self.tick()
        with self.store.session() as session:
            held = census.per_partner(session)
            count = census.order_count(session)
        return {
            "seed": spec.seed,
            "scenario": spec.scenario,
            "orders": count,
            "customers": sum(partner["customers"] for partner in held),
            "milliseconds": milliseconds,
        }

    def move_clock(
        self, *, mode: str | None = None, at: datetime | None = None, advance: float | None = None
    ) -> None:
        """Freeze (at `at`, or now), go back to real time, and/or move forward; then timed work catches
        up. The Digest nonce clock never moves: nonces age on real time. Moving past CLOCK_MAX is refused
        before anything changes."""
        if advance:
            base = at or (self.clock.real_now() if mode == "real" else self.clock.now())
            if base + timedelta(seconds=advance) > CLOCK_MAX:
                left = max(int((CLOCK_MAX - base).total_seconds()), 0)
                raise ValidationFailed(errors={"advance": [("less_than_equal", {"le": left})]})
        if at is not None:
            self.clock.freeze(at)
        elif mode == "frozen":
            self.clock.freeze()
        elif mode == "real":
            self.clock.unfreeze()
        if advance:
            if advance < 0:
                raise ValueError("the clock only moves forward")
            self.clock.advance(advance)
        self.tick()

    def state(self) -> dict[str, Any]:
        """Counts per partner, order type and status, for dashboards and assertions."""
        with self.store.session() as session:
            return {
                "seed": self.world.seed,
                "scenario": self.world.scenario,
                "partners": census.per_partner(session),
                "webhooks_pending": census.webhooks_pending(session),
            }

    def _install(self, spec: WorldSpec, progress: Callable[[int], None] | None) -> None:
        """Build `spec` into a scratch template, save it, and restore it over the live database: the
        live database switches worlds in one step, never half-built."""
        built = template.build(spec, self.settings.fixtures_dir, progress)
        with self._changing_world():
            # Saved and restored in one step for every process: the template file always holds the
            # world the database holds, however many reseed at once.
            with self.store.exclusive():
                saved = template.save(built, template.template_path(self.store))
                try:
                    epoch = template.restore(self.store, saved, moved_ok=True)
                except BaseException:
                    # The store failed (store_unavailable): it still holds the world it held, and
                    # resets go back to that one, not to a world it never got.
                    if saved is not self.template:
                        template.close(saved)
                    raise
            self._follow_world(spec, saved)
            self._restart_runtime(epoch)

    def _follow_world(self, spec: WorldSpec, saved: sqlite3.Connection | None) -> None:
        previous, self.template = self.template, saved
        if previous is not self.template:
            template.close(previous)
        self.world = spec
        self._follow_seed()

    def spec_for(
        self, *, seed: int, scenario: str, orders: int | None = None, customers: int | None = None
    ) -> WorldSpec:
        """The world a reseed or a new tenant with these choices holds; refusals in the envelope."""
        try:
            return self._spec(scenario, seed=seed, orders=orders, customers=customers)
        except scenarios.UnknownScenario as error:
            raise SandboxError("scenario_unknown", params={"scenarios": ", ".join(error.known)}) from None
        except scenarios.WorldTooSmall:
            raise SandboxError(
                "validation_failed", errors={"customers": [("greater_than_equal", {"ge": 1})]}
            ) from None

    def install(self, saved: sqlite3.Connection) -> None:
        """Start this sandbox's store from `saved`, a template of its world (a new tenant's)."""
        with self._changing_world():
            epoch = template.restore(self.store, saved, keep=False, moved_ok=True)
            self._follow_world(self.world, saved)
            self._restart_runtime(epoch)

    def _spec(self, scenario: str, **overrides: int | None) -> WorldSpec:
        s = self.settings
        base = scenarios.Sizes(
            seed=s.seed,
            partners=dict(s.partners),
            orders=s.orders,
            customers=s.customers,
            buy_spread=s.buy_spread,
            sell_spread=s.sell_spread,
        )
        return scenarios.spec_for(scenarios.find(s.fixtures_dir, scenario), base, **overrides)

    def _follow_seed(self) -> None:
        """Everything seed-derived follows the world's seed: ids and the price feed."""
        self.ids = Ids(self.world.seed)
        self.feed = PriceFeed(self.world.seed, self.world.buy_spread, self.world.sell_spread)

    def _restart_runtime(self, epoch: int) -> None:
        """After this process restored the store (at `epoch`): it starts over, the request journal
        empties, and the clock and the rest of the shared row are read back."""
        self._start_over()
        with contextlib.suppress(SandboxError):  # a lost journal file: the journal logs why, the reset stands
            self.journal.clear()
        apply_defaults(
            self.store, self.settings
        )  # SANDBOX_WEBHOOK_URL comes back after `reset?everything=true`
        with self._world_lock:
            self._epoch, self._seen = epoch, _NEVER
            self.sync()

    @property
    def version(self) -> tuple[int | None, int | None]:
        """The shared row's epoch and configuration version as of the last `sync`."""
        return self._epoch, self._version

    def rng_in(self, session: Session) -> Rng:
        """The seeded stream of the ids a write transaction makes (tokens, guids, order codes): the n-th
        transaction since the last reset that draws any gets stream n, in whichever process it runs,
        so the same requests against the same seed get the same ids."""
        return self.ids.stream(f"runtime:{shared.draw_number(session)}")

    def _start_over(self) -> None:
        """The store went back to a pristine world: cached copies empty, fault draws restart."""
        self.faults.restart(self.ids.stream("faults"))
        self._partners.clear()

    def sync(self, *, wait: bool = True) -> None:
        """Catch up with what was committed since the last look, by this process or any other serving
        the store (sandbox/store/shared.py): called before each request, each tick and each webhook
        sweep. Costs a comparison when nothing was committed. `wait=False` (the event loop): return at
        once while this process resets or reseeds."""
        generation = self.store.generation()
        if generation is not None and generation == self._seen:
            return
        if not self._world_lock.acquire(blocking=wait):
            if self._changing:  # this process resets or reseeds: the request goes on meanwhile
                return
            self._world_lock.acquire()  # another thread of this process catching up: a moment
        try:
            if generation is not None and generation == self._seen:
                return
            seen = shared.look(self.store)
            if seen is not None:
                if seen.epoch != self._epoch:  # a reset or reseed, here or in another process
                    if self._epoch is not None:
                        self._follow_store()
                        self._start_over()
                elif seen.version != self._version:
                    self.faults.invalidate()
                    self._partners.clear()
                self.clock.adopt(seen.clock)
                self._epoch, self._version = seen.epoch, seen.version
            self._seen = generation
        finally:
            self._world_lock.release()

    @contextlib.contextmanager
    def _changing_world(self) -> Iterator[None]:
        """A reset or reseed of this process: it holds the world lock; `sync(wait=False)` goes on."""
        with self._world_lock:
            self._changing += 1
            try:
                yield
            finally:
                self._changing -= 1

    def _follow_store(self) -> None:
        """Another process reseeded: take its world (seed, sizes) and the template it saved."""
        with self.store.session() as session:
            signature = {row.key: row.value for row in session.exec(select(WorldMeta))}
        if signature == self.world.signature():
            return
        try:
            spec = self._spec(
                signature["scenario"],
                seed=int(signature["seed"]),
                orders=int(signature["orders"]),
                customers=int(signature["customers"]),
            )
        except (KeyError, ValueError, scenarios.UnknownScenario) as error:
            log.warning("the store holds a world this process cannot describe (%s): %s", error, signature)
            return
        self._follow_world(spec, template.open_saved(template.template_path(self.store), spec))

    def known_partner(self, username: str) -> tuple[int, str] | None:
        """The partner's id and profile if looked up since the configuration last changed, else None."""
        return self._partners.get(username)

    def partner(self, username: str) -> tuple[int, str]:
        """The partner's id and its profile (its own, else the server's default), read from the store."""
        version = self._version
        with self.store.session() as session:
            partner = session.exec(select(Partner).where(Partner.username == username)).one()
        known = (pk(partner), partner.profile or self.settings.profile)
        if version == self._version:  # not changed meanwhile: still current
            self._partners[username] = known
        return known

    def partner_id(self, username: str) -> int:
        known = self.known_partner(username)
        return known[0] if known else self.partner(username)[0]

    def tick(self) -> int:
        """Let time-driven work catch up with the clock (timed order progression); called after the
        clock moves and by the background ticker. Returns the status steps taken."""
        self.sync()
        as_of = self.version
        if self._timed is None or self._timed[0] != as_of:
            with self.store.session() as session:
                self._timed = (as_of, any_timed(session))
        if not self._timed[1]:
            return 0  # the common case: no write lock taken
        with self.store.session(write=True) as session:
            return progress_due(session, self.clock.now(), lambda: self.rng_in(session))

    def start(self) -> None:
        """Start the background threads of a serving sandbox: the webhook sender, the ticker."""
        self.webhooks.start()
        self.ticker.start()

    def close(self) -> None:
        """Stop the background threads (if started), then let go of the template and the store."""
        self.ticker.stop()
        self.webhooks.stop()
        self.journal.close()  # what its writer still holds goes to the file
        template.close(self.template)
        self.template = None
        self.store.dispose()
