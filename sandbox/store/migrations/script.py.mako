"""${message}"""

import sqlalchemy as sa
from alembic import op

from sandbox.store.migrate import mark

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}
    mark(op.get_bind(), revision)


def downgrade() -> None:
    raise NotImplementedError("the sandbox migrates forward only: rebuild the world instead")
