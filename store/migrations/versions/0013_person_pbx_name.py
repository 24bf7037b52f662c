"""people get a PBX member name: the name an Asterisk queue_log written with
``log_membername_as_agent`` gives them as its agent (null: their name is matched)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (no batch rebuild of a table others refer to).
    op.add_column("person", sa.Column("pbx_name", sa.String(length=128), nullable=True))
    op.create_index("ix_person_pbx_name", "person", ["pbx_name"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_person_pbx_name", table_name="person")
    op.drop_column("person", "pbx_name")
