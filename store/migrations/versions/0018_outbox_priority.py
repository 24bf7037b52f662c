"""outbox rows get a priority: the screen pop and direct answers (0) before alerts (1)
before broadcasts (2); existing rows count as alerts

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox_message", sa.Column("priority", sa.SmallInteger(), nullable=False,
                                              server_default=sa.text("1")))


def downgrade() -> None:
    op.drop_column("outbox_message", "priority")
