"""calls: call records from every source, statistics

One ``call_record`` per (source, call id, queue) with the dialled number, the answering
person, wrap-up and the outcome vocabulary of the statistics; the simulator's own
bookkeeping moves to ``sim_call``; hourly rollups (``call_stats_hour``) and the
thresholds they were built with (``call_stats_basis``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTERS = ("received", "answered", "transferred", "abandoned", "short_abandons", "timeouts",
             "exit_empty", "exit_key", "full", "closed", "waiting", "answered_in_sl",
             "answered_timed", "abandoned_timed", "waited", "handled")
_TOTALS = ("answered_wait_sum", "abandoned_wait_sum", "wait_sum", "talk_sum", "wrapup_sum")


def upgrade() -> None:
    op.create_table(
        "sim_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("caller", sa.String(length=32), nullable=False),
        sa.Column("entered_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("phase", sa.String(length=8), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=True),
        sa.Column("answered_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("patience_until", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("talk_until", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_call")),
        sa.UniqueConstraint("queue", "call_id", name=op.f("uq_sim_call_queue")),
    )
    op.create_table(
        "call_stats_basis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("short_abandon_seconds", sa.Integer(), nullable=False),
        sa.Column("service_level_seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_stats_basis")),
    )
    op.create_table(
        "call_stats_hour",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("hour", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTERS],
        *[sa.Column(name, sa.Float(), nullable=False) for name in _TOTALS],
        sa.Column("wait_max", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_stats_hour")),
        sa.UniqueConstraint("queue", "hour", "extension", name=op.f("uq_call_stats_hour_queue")),
    )
    with op.batch_alter_table("call_stats_hour", schema=None) as batch_op:
        batch_op.create_index("ix_call_stats_hour_hour", ["hour"], unique=False)

    _close_open_sim_calls()
    op.execute("UPDATE call_record SET outcome = 'answered' WHERE outcome = 'completed'")
    with op.batch_alter_table("call_record", schema=None) as batch_op:
        batch_op.alter_column("call_id", existing_type=sa.String(length=64),
                              type_=sa.String(length=128), existing_nullable=False)
        batch_op.add_column(sa.Column("dialled", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("wrapup_seconds", sa.Float(), nullable=True))
        batch_op.drop_column("patience_until")
        batch_op.drop_column("talk_until")
        batch_op.drop_constraint("uq_call_record_source", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_call_record_source"),
                                          ["source", "call_id", "queue"])
        batch_op.create_foreign_key(batch_op.f("fk_call_record_person_id_person"), "person",
                                    ["person_id"], ["id"], ondelete="SET NULL")
        batch_op.drop_index("ix_call_record_queue")
        batch_op.create_index("ix_call_record_period", ["queue", "entered_at"], unique=False)
        batch_op.create_index("ix_call_record_agent", ["extension", "ended_at"], unique=False)


def _close_open_sim_calls() -> None:
    """Simulated calls left open lose their bookkeeping: end them as the simulator would
    have (the caller's patience or the planned end of the conversation)."""
    records = sa.table(
        "call_record",
        sa.column("id", sa.Integer), sa.column("outcome", sa.String),
        sa.column("entered_at", store.base.UTCDateTime()),
        sa.column("answered_at", store.base.UTCDateTime()),
        sa.column("ended_at", store.base.UTCDateTime()),
        sa.column("wait_seconds", sa.Float), sa.column("talk_seconds", sa.Float),
        sa.column("patience_until", store.base.UTCDateTime()),
        sa.column("talk_until", store.base.UTCDateTime()),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(records).where(
        records.c.outcome.in_(("waiting", "ringing", "answered")),
        records.c.ended_at.is_(None))).mappings().all()
    for row in rows:
        if row["outcome"] == "answered" and row["answered_at"] is not None:
            end = row["talk_until"] or row["answered_at"]
            values = {"ended_at": end,
                      "talk_seconds": (end - row["answered_at"]).total_seconds()}
        else:
            end = row["patience_until"] or row["entered_at"]
            values = {"outcome": "abandoned", "ended_at": end,
                      "wait_seconds": (end - row["entered_at"]).total_seconds()}
        conn.execute(sa.update(records).where(records.c.id == row["id"]).values(**values))


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text(
        "DELETE FROM call_record WHERE id NOT IN "
        "(SELECT keep FROM (SELECT min(id) AS keep FROM call_record "
        "GROUP BY source, call_id) AS kept)"))
    with op.batch_alter_table("call_record", schema=None) as batch_op:
        batch_op.drop_index("ix_call_record_agent")
        batch_op.drop_index("ix_call_record_period")
        batch_op.create_index(batch_op.f("ix_call_record_queue"), ["queue"], unique=False)
        batch_op.drop_constraint(batch_op.f("fk_call_record_person_id_person"),
                                 type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_call_record_source"), type_="unique")
        batch_op.create_unique_constraint("uq_call_record_source", ["source", "call_id"])
        batch_op.add_column(sa.Column("talk_until", store.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("patience_until", store.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.drop_column("wrapup_seconds")
        batch_op.drop_column("person_id")
        batch_op.drop_column("dialled")
        batch_op.alter_column("call_id", existing_type=sa.String(length=128),
                              type_=sa.String(length=64), existing_nullable=False)
    op.execute("UPDATE call_record SET outcome = 'completed' "
               "WHERE outcome IN ('answered', 'transferred') AND ended_at IS NOT NULL")
    op.execute("UPDATE call_record SET outcome = 'abandoned' "
               "WHERE outcome IN ('timeout', 'exit_empty', 'exit_key', 'full', 'closed')")
    with op.batch_alter_table("call_stats_hour", schema=None) as batch_op:
        batch_op.drop_index("ix_call_stats_hour_hour")
    op.drop_table("call_stats_hour")
    op.drop_table("call_stats_basis")
    op.drop_table("sim_call")

