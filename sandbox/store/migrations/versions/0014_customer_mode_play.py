"""Schema 14: a customer's own progression mode (`customer_mode`) and the dashboard's played flows
(`play`)."""

import sqlalchemy as sa
from alembic import op

from sandbox.store.migrate import mark

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_mode",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("step_seconds", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "play",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("script", sa.String(), nullable=False),
        sa.Column("pause_ms", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(), nullable=False),
        sa.Column("customer_external_id", sa.String(), nullable=False),
        sa.Column("order_guid", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("steps", sa.String(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    mark(op.get_bind(), revision)
