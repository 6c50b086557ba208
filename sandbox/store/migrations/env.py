"""Alembic's environment: run by `sandbox.store.migrate` on a connection it already holds (no
alembic.ini, no URL here)."""

from alembic import context
from sqlmodel import SQLModel

from sandbox.store import models  # noqa: F401  (every table on SQLModel.metadata)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    transaction_per_migration=True,
    # Autogenerate (`alembic revision --autogenerate`, developers) looks at the world's tables only: the
    # journal's, the replay window's and the generation row beside them are the store's own.
    include_name=lambda name, kind, _parent: kind != "table" or name in SQLModel.metadata.tables,
)
with context.begin_transaction():
    context.run_migrations()
