"""The sandbox backend: one object that owns the store, clocks, ids and price feed.

The HTTP app, the CLI and (later) the pytest fixture all drive the same `Sandbox`, so there is one
way to build the world and one place state lives (the moto "backend" idea).
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox.config import Settings
from sandbox.control.journal import Journal
from sandbox.core.clock import Clock
from sandbox.core.ids import Ids
from sandbox.partner.prices.feed import PriceFeed
from sandbox.store.db import Store
from sandbox.store.seed import WorldSpec, build_world, world_is_current


class Sandbox:
    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, nonce_clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        # Digest nonces age on real time even when the business clock is frozen (DIGEST.md §4.1).
        self.nonce_clock = nonce_clock or Clock()
        self.ids = Ids(settings.seed)
        # Ids the running sandbox makes (tokens, guids, order codes): seeded, so the same requests
        # against the same seed get the same ids.
        self.rng = self.ids.stream("runtime")
        self.store = Store(settings.database_url)
        self.feed = PriceFeed(settings.seed, settings.buy_spread, settings.sell_spread)
        self.journal = Journal(settings.journal_size)
        self._partner_ids: dict[str, int] = {}

    @property
    def world_spec(self) -> WorldSpec:
        s = self.settings
        return WorldSpec(
            seed=s.seed,
            partners=dict(s.partners),
            customers_per_partner=s.customers,
            orders=s.orders,
            buy_spread=s.buy_spread,
            sell_spread=s.sell_spread,
        )

    def ensure_world(self, progress: Callable[[int], None] | None = None) -> bool:
        """Build the seeded world unless the database already holds exactly this one. True if built."""
        if world_is_current(self.store, self.world_spec):
            return False
        self.rebuild_world(progress)
        return True

    def rebuild_world(self, progress: Callable[[int], None] | None = None) -> None:
        build_world(self.store, self.world_spec, self.settings.fixtures_dir, progress)
        self._partner_ids.clear()

    def partner_id(self, username: str) -> int:
        if username not in self._partner_ids:
            from sqlmodel import select

            from sandbox.store.models import Partner

            with self.store.session() as session:
                partner = session.exec(select(Partner).where(Partner.username == username)).one()
            self._partner_ids[username] = partner.id
        return self._partner_ids[username]

    def tick(self) -> int:
        """Let time-driven work catch up with the clock (timed order progression); called after the
        clock moves and by the background ticker. Returns the status steps taken."""
        from sandbox.lifecycle.progression import modes, progress_due

        with self.store.session() as session:
            if all(mode.mode != "timed" for mode in modes(session).values()):
                return 0  # the common case: no write lock taken
        with self.store.session(write=True) as session:
            return progress_due(session, self.clock.now(), self.rng)

    def close(self) -> None:
        self.store.dispose()
