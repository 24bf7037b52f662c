"""shifts: turns, timetable, absences, holidays, leadership

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clock_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("slot", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_run")),
        sa.UniqueConstraint("job", "slot", name=op.f("uq_clock_run_job")),
    )
    op.create_table(
        "hr_sync_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_success_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failing_since", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hr_sync_state")),
    )
    op.create_table(
        "no_service_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_no_service_day")),
        sa.UniqueConstraint("day", "source", name=op.f("uq_no_service_day_day")),
    )
    op.create_table(
        "timetable_week",
        sa.Column("monday", sa.Date(), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("imported_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("monday", name=op.f("pk_timetable_week")),
    )
    op.create_table(
        "turn_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turn_definition")),
        sa.UniqueConstraint("weekday", "start", name=op.f("uq_turn_definition_weekday")),
    )
    op.create_table(
        "absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("starts", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_absence_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_absence_source")),
    )
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.create_index("ix_absence_ends", ["ends"], unique=False)
        batch_op.create_index("ix_absence_person_ends", ["person_id", "ends"], unique=False)

    op.create_table(
        "calendar_feed",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revoked_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_calendar_feed_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_calendar_feed")),
    )
    op.create_table(
        "offline_episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("started_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("alerted_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_offline_episode_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_episode")),
    )
    with op.batch_alter_table("offline_episode", schema=None) as batch_op:
        batch_op.create_index("ix_offline_episode_open", ["ended_at", "person_id"], unique=False)

    op.create_table(
        "timetable_cell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.Column("line", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_timetable_cell_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timetable_cell")),
        sa.UniqueConstraint("day", "start", "line", name=op.f("uq_timetable_cell_day")),
    )
    with op.batch_alter_table("timetable_cell", schema=None) as batch_op:
        batch_op.create_index("ix_timetable_cell_person_day", ["person_id", "day"], unique=False)

    op.create_table(
        "timetable_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("line", sa.String(length=32), nullable=False),
        sa.Column("from_id", sa.Integer(), nullable=True),
        sa.Column("to_id", sa.Integer(), nullable=True),
        sa.Column("from_status", sa.String(length=8), nullable=False),
        sa.Column("to_status", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["person.id"],
            name=op.f("fk_timetable_change_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["from_id"],
            ["person.id"],
            name=op.f("fk_timetable_change_from_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_id"],
            ["person.id"],
            name=op.f("fk_timetable_change_to_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timetable_change")),
    )
    with op.batch_alter_table("timetable_change", schema=None) as batch_op:
        batch_op.create_index("ix_timetable_change_at", ["at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("timetable_change", schema=None) as batch_op:
        batch_op.drop_index("ix_timetable_change_at")

    op.drop_table("timetable_change")
    with op.batch_alter_table("timetable_cell", schema=None) as batch_op:
        batch_op.drop_index("ix_timetable_cell_person_day")

    op.drop_table("timetable_cell")
    with op.batch_alter_table("offline_episode", schema=None) as batch_op:
        batch_op.drop_index("ix_offline_episode_open")

    op.drop_table("offline_episode")
    op.drop_table("calendar_feed")
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.drop_index("ix_absence_person_ends")
        batch_op.drop_index("ix_absence_ends")

    op.drop_table("absence")
    op.drop_table("turn_definition")
    op.drop_table("timetable_week")
    op.drop_table("no_service_day")
    op.drop_table("hr_sync_state")
    op.drop_table("clock_run")
