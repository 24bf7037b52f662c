"""kept holidays: public holidays the coordinators chose to serve as the timetable plans
them (/holiday keep), so they are not asked about them again

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kept_holiday",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kept_by_id", sa.Integer(), nullable=True),
        sa.Column("kept_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kept_by_id"],
            ["person.id"],
            name=op.f("fk_kept_holiday_kept_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_kept_holiday")),
    )


def downgrade() -> None:
    op.drop_table("kept_holiday")
