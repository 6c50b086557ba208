"""Tenants: many isolated worlds on one server, each a `Sandbox` with a store of its own.

The default world is the server's own `Sandbox` (its database, as before tenants). A tenant is a
database file beside it (`<name>.tenants/<id>.db`, or an in-memory store beside an in-memory one)
with its own clock, fault rules, journal, webhooks, lifecycles and resets, and partners of its own:
`<id>-demo`, `<id>-acme` with passwords drawn from the OS. The registry (sandbox/store/registry.py)
lists them for every process serving the same files; a process opens a tenant's store the first time
a request names it, and closes it when the tenant is removed (through any process) or expires.

A new tenant's world is copied from a template (SQLite's backup API, a few milliseconds): the
default world's when the tenant asks for the same one, else one built once per world (Faker) and
kept in `<name>.tenants/templates/`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Hashable
from datetime import timedelta
from pathlib import Path

from sandbox.core.clock import Clock
from sandbox.core.errors import SandboxError
from sandbox.core.ids import SystemRandom
from sandbox.runtime import Sandbox
from sandbox.store import shared
from sandbox.store.db import Store
from sandbox.store.postgres import drop_schema
from sandbox.store.registry import Registry, Tenant
from sandbox.world import WorldSpec, template

log = logging.getLogger("sandbox.tenants")
_NEVER = object()
PASSWORD_LENGTH = 32
# A tenant's last use is written at most this often per process (its time-to-live counts from it).
TOUCH_SECONDS = 10.0
EXPIRY_CHECK_SECONDS = 5.0
# SQLite's page cache per connection of a tenant's store (a default world is under 1 MiB on disk):
# 100 open tenants took 314 MB of RSS with SQLite's default 2 MiB, 258 MB with this.
TENANT_CACHE_KIB = 256
# PostgreSQL: connections a tenant's store keeps open (beside its generation watcher and journal).
TENANT_POOL_SIZE = 2


class Tenants:
    def __init__(self, default: Sandbox) -> None:
        self.default = default
        self.settings = default.settings
        self._partners = default.settings.partners
        path = default.store.path
        self.directory = path.with_name(f"{path.stem}.tenants") if path else None
        self.registry = Registry(default.store, self.directory)
        # What requests read (the dicts below): held for a registry read at most, as every request's
        # `refresh` may wait for it. Opening, creating and removing a world take `_worlds` instead, one
        # at a time; a request for an open tenant never waits for them. Order: `_worlds`, then `_lock`.
        self._lock = threading.RLock()
        self._worlds = threading.Lock()
        self._seen: Hashable = _NEVER
        self._known: dict[str, Tenant] = {}
        self._users: dict[str, tuple[str, str, str]] = {}  # username → (tenant, partner, password)
        self._open: dict[str, Sandbox] = {}
        self._touched: dict[str, float] = {}  # tenant → when this process last wrote its use
        self._templates: dict[str, sqlite3.Connection] = {}  # in memory: world signature → template
        self._serving = False
        self._stop = threading.Event()
        self._expiry: threading.Thread | None = None
        self._as_of: object = _NEVER  # the default world's version when the registry was last read

    # -- what requests need -----------------------------------------------------------------------

    def refresh(self) -> bool:
        """Before each request, on the event loop: catch the default world up (never waiting), and say
        whether the registry must be read again (`catch_up`, off the event loop): only when the default
        world's configuration version moved, as adding or removing a tenant through any process moves
        it (`_announce`). A request pays the default world's `sync`, which it pays anyway, and a
        comparison."""
        with contextlib.suppress(SandboxError):  # a failing store: the route answers store_unavailable
            self.default.sync(wait=False)
        return self.default.version != self._as_of

    def catch_up(self) -> None:
        """Read the registry again after `refresh` said so (blocking: it may close removed worlds)."""
        self._as_of = self.default.version  # first: a change while reading moves it again
        self.sync()

    def sync(self) -> None:
        """Read the registry again if it changed (a tenant added, removed or used through any process);
        close the stores of tenants that are gone."""
        generation = self.registry.generation()
        if generation is not None and generation == self._seen:
            return
        with self._lock:
            listed = self.registry.all()
            self._known = {tenant.id: tenant for tenant in listed}
            self._users = {
                username: (tenant.id, partner, password)
                for tenant in listed
                for username, partner, password in tenant.partners
            }
            gone = [self._forget(tenant_id) for tenant_id in set(self._open) - set(self._known)]
            self._seen = generation
        for sandbox in gone:
            if sandbox is not None:
                sandbox.close()

    def password(self, username: str) -> str | None:
        """A partner's Digest password: the default world's (settings) or a tenant's."""
        password = self._partners.get(username)
        if password is None and (found := self._users.get(username)):
            password = found[2]
        return password

    def username_of(self, tenant_id: str | None, partner: str) -> str | None:
        """The Digest username of `partner` in a world (the default world's: its own name); None: unknown."""
        if tenant_id is None:
            return partner if partner in self._partners else None
        users = self._users.items()
        return next(
            (name for name, (owner, known, _) in users if (owner, known) == (tenant_id, partner)), None
        )

    def partner_of(self, username: str) -> str:
        """The partner a Digest username is in its world (`t1-demo`: `demo`; `demo`: itself)."""
        found = self._users.get(username)
        return found[1] if found else username

    def any(self) -> bool:
        """Whether any tenant is registered (as of the last `sync`)."""
        return bool(self._known)

    def usernames(self) -> list[str]:
        return [*self.settings.partners, *self._users]

    def of_user(self, username: str) -> tuple[str, str] | None:
        """(tenant id, partner in its world) for a tenant's username; None for the default world's."""
        found = self._users.get(username)
        return (found[0], found[1]) if found else None

    def opened(self, tenant_id: str) -> Sandbox | None:
        """The tenant's sandbox if this process has it open (no blocking)."""
        return self._open.get(tenant_id)

    def get(self, tenant_id: str) -> Sandbox | None:
        """The tenant's sandbox, opened if needed (blocking: call it off the event loop); None when no
        such tenant is registered."""
        found = self._open.get(tenant_id)
        if found is not None:
            return found
        with self._worlds:
            self.sync()  # made, or removed, through any process a moment ago?
            found = self._open.get(tenant_id)
            tenant = self._known.get(tenant_id)
            if found is not None or tenant is None:
                return found
            sandbox = self._sandbox(tenant)
            sandbox.ensure_world()  # reopened after a restart: its file and template are in place
            return self._keep_open(tenant_id, sandbox)

    def used(self, tenant_id: str) -> bool:
        """Whether the tenant's last use should be written now (at most every TOUCH_SECONDS)."""
        return time.monotonic() - self._touched.get(tenant_id, 0.0) >= TOUCH_SECONDS

    def touch(self, tenant_id: str) -> None:
        self._touched[tenant_id] = time.monotonic()
        self.registry.touch(tenant_id, Clock.real_now())

    # -- the control API ---------------------------------------------------------------------------

    def create(
        self,
        *,
        tenant_id: str | None,
        seed: int | None,
        scenario: str,
        orders: int | None,
        customers: int | None,
        ttl_seconds: int | None,
    ) -> Tenant:
        """A new tenant holding the world these choices describe; `tenant_id` None: the next `t<n>`."""
        spec = self.default.spec_for(
            seed=self.settings.seed if seed is None else seed,
            scenario=scenario,
            orders=orders,
            customers=customers,
        )
        self.sync()
        source = self._template_for(spec)
        with self._worlds:
            tenant = self._register(tenant_id, spec, ttl_seconds)
            chosen = tenant.id
            self._remove_files(chosen)  # what an earlier tenant of that id may have left behind
            sandbox = self._sandbox(tenant)
            try:
                sandbox.install(self._copy_of(source, chosen, spec))
            except BaseException:
                sandbox.close()
                self._remove_files(chosen)
                self.registry.remove(chosen)
                raise
            self._keep_open(chosen, sandbox)
        self._announce()
        return tenant

    def _register(self, tenant_id: str | None, spec: WorldSpec, ttl_seconds: int | None) -> Tenant:
        """The new tenant, in the registry: the id is ours from here on, in every process."""
        while True:
            chosen = tenant_id or f"t{self.registry.next_number()}"
            now = Clock.real_now()
            tenant = Tenant(
                id=chosen,
                seed=spec.seed,
                scenario=spec.scenario,
                orders=spec.orders,
                customers=spec.customers_per_partner,
                partners=tuple(
                    (f"{chosen}-{partner}", partner, SystemRandom.hex(PASSWORD_LENGTH))
                    for partner in spec.partners
                ),
                ttl_seconds=ttl_seconds,
                created_at=now,
                used_at=now,
            )
            if self.registry.add(tenant):
                return tenant
            if tenant_id is not None:
                raise SandboxError("tenant_exists", params={"tenant": tenant_id})

    def all(self) -> list[Tenant]:
        self.sync()
        return list(self._known.values())

    def remove(self, tenant_id: str) -> bool:
        """Remove the tenant, its world and its credentials; False when there is no such tenant.

        Its world closes after its background work in flight (a webhook attempt: up to the webhook
        timeout); requests for other worlds go on meanwhile."""
        with self._worlds:
            with self._lock:
                sandbox = self._forget(tenant_id)  # first: no request gets it from here on
            removed = self.registry.remove(tenant_id)
            if sandbox is not None:
                sandbox.close()
            if removed:
                self._remove_files(tenant_id)
        if removed:
            self._announce()
        return removed

    def _announce(self) -> None:
        """Tell every process the registry changed: through the default world's configuration version,
        which each one looks at before every request anyway (`refresh`)."""
        with self.default.store.session(write=True) as session:
            shared.changed(session)
        self.sync()

    def expire(self) -> list[str]:
        """Remove the tenants whose time-to-live ran out since their last use."""
        self.sync()
        now = Clock.real_now()
        idle = [
            tenant.id
            for tenant in self._known.values()
            if tenant.ttl_seconds is not None and now - tenant.used_at > timedelta(seconds=tenant.ttl_seconds)
        ]
        return [tenant_id for tenant_id in idle if self.remove(tenant_id)]

    # -- serving -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Serve: open tenants run their background threads, and idle ones expire."""
        self._serving = True
        with self._lock:
            for sandbox in self._open.values():
                sandbox.start()
        self._stop.clear()
        self._expiry = threading.Thread(target=self._expire_forever, name="sandbox-tenants", daemon=True)
        self._expiry.start()

    def close(self) -> None:
        self._stop.set()
        if self._expiry is not None:
            self._expiry.join(timeout=5)
        with self._worlds, self._lock:
            closing = [self._forget(tenant_id) for tenant_id in list(self._open)]
            for saved in self._templates.values():
                saved.close()
            self._templates.clear()
        for sandbox in closing:
            if sandbox is not None:
                sandbox.close()
        self.registry.dispose()

    def _expire_forever(self) -> None:
        while not self._stop.wait(EXPIRY_CHECK_SECONDS):
            try:
                self.expire()
            except Exception:  # the next check retries
                log.exception("tenant expiry failed")

    # -- files and stores --------------------------------------------------------------------------

    def _sandbox(self, tenant: Tenant) -> Sandbox:
        if self.default.store.dialect == "postgresql":  # a schema of the same database
            url = self.default.store.url
            store = Store(url, schema=_schema(tenant.id), pool_size=TENANT_POOL_SIZE)
        else:
            url = f"sqlite:///{self.directory / f'{tenant.id}.db'}" if self.directory else "sqlite://"
            store = Store(url, cache_kib=TENANT_CACHE_KIB)
        # Its links (a card payment's 3-D Secure page, Get Orders' pages) name it: sandbox/auth/tenancy.py.
        base_url = f"{self.settings.public_base_url}/t/{tenant.id}"
        settings = self.settings.model_copy(update={"database_url": url, "public_base_url": base_url})
        spec = self.default.spec_for(
            seed=tenant.seed, scenario=tenant.scenario, orders=tenant.orders, customers=tenant.customers
        )
        return Sandbox(settings, nonce_clock=self.default.nonce_clock, world=spec, store=store)

    def _keep_open(self, tenant_id: str, sandbox: Sandbox) -> Sandbox:
        if self._serving:
            sandbox.start()
        with self._lock:
            self._open[tenant_id] = sandbox
        return sandbox

    def _forget(self, tenant_id: str) -> Sandbox | None:
        """Under `_lock`: the tenant is no longer open here; its sandbox, for the caller to close (after
        letting go of `_lock`: closing waits for its background threads)."""
        self._touched.pop(tenant_id, None)
        return self._open.pop(tenant_id, None)

    def _template_for(self, spec: WorldSpec) -> sqlite3.Connection | Path:
        """A saved template of `spec`'s world: the default world's, else one built once."""
        if spec.signature() == self.default.world.signature() and self.default.template is not None:
            default_file = template.template_path(self.default.store)
            return default_file if default_file is not None else self.default.template
        key = hashlib.sha256(json.dumps(spec.signature(), sort_keys=True).encode()).hexdigest()[:16]
        if self.directory is None:
            saved = self._templates.get(key)
            if saved is None:
                saved = self._templates[key] = template.build(spec, self.settings.fixtures_dir)
            return saved
        path = self.directory / "templates" / f"{key}.db"
        if template.open_saved(path, spec) is None:  # not built yet (or by an older version)
            path.parent.mkdir(exist_ok=True)
            template.close(template.save(template.build(spec, self.settings.fixtures_dir), path))
        return path

    def _copy_of(
        self, source: sqlite3.Connection | Path, tenant_id: str, spec: WorldSpec
    ) -> sqlite3.Connection:
        """The tenant's own template: a link to the saved file (templates are replaced, never changed in
        place), or a copy in memory."""
        if isinstance(source, Path):
            assert self.directory is not None
            own = self.directory / f"{tenant_id}.template.db"
            try:
                os.link(source, own)
            except OSError:  # another file system, or links not allowed
                copy = sqlite3.connect(own)
                with contextlib.closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as read:
                    read.backup(copy)
                copy.close()
            saved = template.open_saved(own, spec)
            assert saved is not None, "a template of the tenant's world"
            return saved
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        source.backup(copy)
        return copy

    def _remove_files(self, tenant_id: str) -> None:
        """What holds the tenant's world: its files, or its schema on PostgreSQL."""
        if self.default.store.dialect == "postgresql":
            drop_schema(self.default.store, _schema(tenant_id))
            return
        if self.directory is None:
            return
        for leftover in self.directory.glob(f"{tenant_id}.*"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _schema(tenant_id: str) -> str:
    return f"tenant_{tenant_id}"
