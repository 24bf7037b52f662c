"""callbacks remember the PBX's reference of the call "Call now" placed, until the PBX
says how it went (Asterisk's OriginateResponse carries it as its ActionID)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("callback", sa.Column("call_ref", sa.String(length=64), nullable=True))
    op.create_index("ix_callback_call_ref", "callback", ["call_ref"], unique=True)


def downgrade() -> None:
    # Plain ALTER TABLE on both databases (no batch rebuild of a table others refer to).
    op.drop_index("ix_callback_call_ref", table_name="callback")
    op.drop_column("callback", "call_ref")
