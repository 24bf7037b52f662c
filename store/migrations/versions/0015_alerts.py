"""live alerts: one episode per condition seen (ring-no-answer, queue under pressure,
service level, nobody in the queue), and the coordinators' mutes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("started_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("alerted_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_episode")),
    )
    op.create_index("ix_alert_episode_open", "alert_episode", ["rule", "scope", "ended_at"])
    op.create_table(
        "alert_mute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("until", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_alert_mute_person_id_person"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_mute")),
    )
    op.create_index(op.f("ix_alert_mute_until"), "alert_mute", ["until"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_mute_until"), table_name="alert_mute")
    op.drop_table("alert_mute")
    op.drop_index("ix_alert_episode_open", table_name="alert_episode")
    op.drop_table("alert_episode")
