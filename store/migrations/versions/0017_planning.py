"""the week planner: a person's maximum of turns a day, availability rules, the fixed-turns
template and the planner's drafts

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("person", sa.Column("max_per_day", sa.Integer(), nullable=True))
    op.create_table(
        "availability_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("bits", sa.String(length=32), nullable=False),
        sa.Column("hard", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("weekday IS NULL OR day IS NULL",
                           name=op.f("ck_availability_rule_one_kind_of_day")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_availability_rule_person_id_person"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_rule")),
    )
    op.create_index("ix_availability_rule_person_id", "availability_rule", ["person_id"])
    op.create_table(
        "fixed_turn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_fixed_turn_person_id_person"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fixed_turn")),
        sa.UniqueConstraint("weekday", "turn", "line", name=op.f("uq_fixed_turn_weekday")),
    )
    op.create_table(
        "plan_draft",
        sa.Column("monday", sa.Date(), nullable=False),
        sa.Column("made_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("made_by_id", sa.Integer(), nullable=True),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("published_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["made_by_id"], ["person.id"],
                                name=op.f("fk_plan_draft_made_by_id_person"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("monday", name=op.f("pk_plan_draft")),
    )


def downgrade() -> None:
    op.drop_table("plan_draft")
    op.drop_table("fixed_turn")
    op.drop_index("ix_availability_rule_person_id", table_name="availability_rule")
    op.drop_table("availability_rule")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("max_per_day")
