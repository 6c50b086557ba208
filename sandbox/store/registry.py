"""The tenant registry: which worlds a server holds besides its default one, and their partners'
credentials. A database of its own (`<name>.tenants/registry.db` beside a file database, in memory
beside an in-memory one, the schema `sandbox_registry` of a PostgreSQL database), so no reset or reseed
of the default world ever touches it, and every process serving the same database reads the same
registry (its generation moves with each change).
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from sandbox.store.db import Store
from sandbox.store.models import UtcDateTime

_metadata = MetaData()
tenants = Table(
    "tenant",
    _metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # t1, t2, ...: never reused
    Column("id", String, unique=True, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("scenario", String, nullable=False),
    Column("orders", Integer, nullable=False),
    Column("customers", Integer, nullable=False),
    Column("partners", Text, nullable=False),  # JSON: [[username, partner in the world, password], ...]
    Column("ttl_seconds", Integer, nullable=True),  # removed after this long without a request
    Column("created_at", UtcDateTime(), nullable=False),  # real time, not a tenant's clock
    Column("used_at", UtcDateTime(), nullable=False),
    sqlite_autoincrement=True,
)


@dataclass(frozen=True)
class Tenant:
    id: str
    seed: int
    scenario: str
    orders: int
    customers: int
    partners: tuple[tuple[str, str, str], ...]  # (username, partner in the world, password)
    ttl_seconds: int | None
    created_at: datetime
    used_at: datetime

    @classmethod
    def of(cls, row: Any) -> Tenant:
        fields = {name: getattr(row, name) for name in cls.__dataclass_fields__}
        fields["partners"] = tuple(tuple(entry) for entry in json.loads(row.partners))
        return cls(**fields)


SCHEMA = "sandbox_registry"


class Registry:
    def __init__(self, default: Store, directory: Path | None) -> None:
        """Beside the `default` world's store; `directory`: where a file database keeps its tenants."""
        if default.dialect == "postgresql":
            self.store = Store(default.url, schema=SCHEMA, pool_size=2)
        elif directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self.store = Store(f"sqlite:///{directory / 'registry.db'}")
        else:
            self.store = Store("sqlite://")
        with self.store.exclusive():  # workers starting at once: one makes the table, the others wait
            if self.store.schema:
                self.store.generation()  # which makes the schema
            _metadata.create_all(self.store.engine)

    def generation(self) -> Hashable | None:
        return self.store.generation()

    def all(self) -> list[Tenant]:
        with self.store.session() as session:
            rows = session.connection().execute(select(tenants).order_by(tenants.c.seq))
            return [Tenant.of(row) for row in rows]

    def next_number(self) -> int:
        """The number after the last tenant ever registered: names are never reused."""
        last = (
            "SELECT pg_sequence_last_value(pg_get_serial_sequence('tenant', 'seq'))"
            if self.store.dialect == "postgresql"
            else "SELECT seq FROM sqlite_sequence WHERE name = 'tenant'"
        )
        with self.store.session() as session:
            found = session.connection().exec_driver_sql(last).first()
        return 1 if found is None or found[0] is None else found[0] + 1

    def add(self, tenant: Tenant) -> bool:
        """Register `tenant`; False when its id is taken."""
        with self.store.session(write=True) as session:
            connection = session.connection()
            if connection.execute(select(tenants.c.id).where(tenants.c.id == tenant.id)).first():
                return False
            values = {**asdict(tenant), "partners": json.dumps([list(entry) for entry in tenant.partners])}
            connection.execute(insert(tenants).values(**values))
        return True

    def remove(self, tenant_id: str) -> bool:
        with self.store.session(write=True) as session:
            return session.connection().execute(delete(tenants).where(tenants.c.id == tenant_id)).rowcount > 0

    def touch(self, tenant_id: str, at: datetime) -> None:
        with self.store.session(write=True) as session:
            session.connection().execute(update(tenants).where(tenants.c.id == tenant_id).values(used_at=at))

    def dispose(self) -> None:
        self.store.dispose()
