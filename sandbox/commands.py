"""The commands that open the database directly, without HTTP: `seed` (with a progress bar, also run by
`serve` on a database that does not hold the world yet), `migrate`, `reset`, `advance` and
`export-fixtures`, through the same `Sandbox` services the HTTP API uses; and the wait for a PostgreSQL
server started beside the sandbox, which every one of them (and `serve`) does first. Their failures are
raised (ValueError, SandboxError, UnwritableStore) for `sandbox.cli` to say in one line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from psycopg import OperationalError
from sqlmodel import or_, select
from tqdm import tqdm

from sandbox.config import Settings, WorldSettings
from sandbox.control.export import export_fixtures as export
from sandbox.core.errors import SandboxError
from sandbox.domain.lifecycle import engine
from sandbox.runtime import Sandbox
from sandbox.store import migrate as migrations
from sandbox.store.db import Store, parsed_safe, shown
from sandbox.store.models import Order
from sandbox.store.postgres import conninfo, reason, still_starting, wait_for_server
from sandbox.world import census


def seed_with_progress(settings: Settings, *, force: bool) -> None:
    """Build the world with a progress bar (`seed`: always; `serve`: unless the database holds it)."""
    sandbox = Sandbox(settings)
    bar: tqdm | None = None

    def progress(orders: int) -> None:  # the bar appears with the first orders built, never for a reuse
        nonlocal bar
        if bar is None:
            total = sandbox.world_spec.planned_orders()
            bar = tqdm(total=total, unit="orders", desc="seeding", file=sys.stderr)
        bar.update(orders)

    try:
        started = time.perf_counter()
        try:
            if force:
                sandbox.rebuild_world(progress)
                built = True
            else:
                built = sandbox.ensure_world(progress)
        finally:
            if bar is not None:
                bar.close()
        with sandbox.store.session() as session:
            orders = census.order_count(session)
        world = f"{orders} orders for {len(settings.partners)} partners (seed {sandbox.seed})"
        if built:
            took = time.perf_counter() - started
            print(f"seeded {world} into {shown(settings.database_url)} in {took:.1f} s", file=sys.stderr)
        else:
            print(
                f"reusing the world already in {shown(settings.database_url)}: {world}; "
                "`minted-sandbox seed` builds it afresh",
                file=sys.stderr,
            )
    finally:
        sandbox.close()


def reset(settings: Settings, everything: bool) -> None:

    sandbox = Sandbox(settings)
    try:
        result = sandbox.reset(everything)
    finally:
        sandbox.close()
    print(f"reset in {result['milliseconds']:g} ms, {result['orders']} orders")


def advance(settings: Settings, ref: str, to: str | None) -> None:

    sandbox = Sandbox(settings)
    try:
        sandbox.ensure_world()
        with sandbox.store.session(write=True) as session:
            # Like the control API: an order is named by its guid or order_code (unique across partners).
            order = session.exec(
                select(Order).where(or_(Order.guid == ref.upper(), Order.order_code == ref.upper()))
            ).first()
            if order is None:
                raise SandboxError("order_not_found")
            before = engine.status_of(order)
            entered = engine.advance(session, order, sandbox.clock.now(), sandbox.rng_in(session), to=to)
            code = order.order_code
    finally:
        sandbox.close()
    print(f"{code}: {' -> '.join([before, *entered])}")


def export_fixtures(settings: Settings, out: Path, partner: str) -> None:

    sandbox = Sandbox(settings)
    try:
        written = export(sandbox, out, partner)
    finally:
        sandbox.close()
    for name, (path, count) in written.items():
        print(f"wrote {count} {name} to {path}")


def wait_for_database(settings: WorldSettings) -> None:
    """A PostgreSQL server that does not answer yet is waited for, up to DATABASE_WAIT seconds."""
    if not settings.database_url.startswith("postgresql"):
        return

    where = shown(settings.database_url)
    seconds = settings.database_wait

    def waiting(why: str) -> None:
        print(f"waiting up to {seconds:g} s for the database server of {where}: {why}", file=sys.stderr)

    try:
        waited = wait_for_server(conninfo(settings.database_url), seconds, waiting)
    except OperationalError as error:
        within = f" within {seconds:g} s" if still_starting(error) else ""
        message = f"cannot connect to the database server of {where}{within}: {reason(error)}"
        raise ValueError(message) from None
    if waited >= 0.5:
        print(f"the database server of {where} answered after {waited:.1f} s", file=sys.stderr)


def migrate(settings: WorldSettings) -> None:

    store = Store(settings.database_url)
    try:
        before, after = migrations.upgrade(store)
    finally:
        store.dispose()
    where = parsed_safe(settings.database_url)
    if after is None:
        print(f"{where} holds a schema from before migrations: `serve` or `seed` rebuilds its world")
    elif before == after:
        print(f"{where} is at schema {after} already")
    else:
        print(f"migrated {where} from schema {before or 'none'} to {after}")
