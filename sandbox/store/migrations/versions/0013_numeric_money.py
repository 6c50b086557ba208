"""Schema 13: on PostgreSQL, money and grams are `numeric(28, 6)` columns, not integer millionths.

PostgreSQL has an exact decimal type: a team's own queries, `psql` and BI tools then read 1250.500000
where they read 1250500000. SQLite has none, and keeps integer millionths (`Amount` in
sandbox/store/models.py): on it this revision only moves the schema number on. The saved templates of
worlds (schemas `sandbox_template_*`) hold the old columns; they are dropped, and the next reset makes
the one it needs again.
"""

import sqlalchemy as sa
from alembic import op

from sandbox.store.migrate import mark

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

AMOUNTS = {
    "price_fix": ["total"],
    "orders": ["price", "tax", "total", "payment_cost"],
    "wallet": ["balance"],
    "ledger_entry": ["amount"],
    "order_item": ["spot_price", "price", "tax_rate", "tax", "amount", "total"],
    "payment": ["amount", "comission", "total", "refunded_amount"],
}


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for table, columns in AMOUNTS.items():
            changes = ", ".join(
                f'ALTER COLUMN "{c}" TYPE numeric(28, 6) USING "{c}"::numeric / 1000000' for c in columns
            )
            op.execute(f'ALTER TABLE "{table}" {changes}')
        templates = connection.execute(
            sa.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :made"),
            {"made": "sandbox\\_template\\_%"},
        )
        for (schema,) in templates.fetchall():
            op.execute(f'DROP SCHEMA "{schema}" CASCADE')
    mark(connection, revision)
