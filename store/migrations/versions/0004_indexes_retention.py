"""indexes for what is open now and bounded periods; retention

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("ended_at IS NULL")
SENT = sa.text("status = 'sent'")


def upgrade() -> None:
    with op.batch_alter_table("agent_activity", schema=None) as batch_op:
        batch_op.create_index("ix_agent_activity_running", ["started_at"], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index("ix_agent_activity_ended_at", ["ended_at"], unique=False)
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_person_id")
        batch_op.create_index("ix_audit_entry_person", ["person_id", "id"], unique=False)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_message_sent", ["sent_at"], unique=False,
                              sqlite_where=SENT, postgresql_where=SENT)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_sent")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_person")
        batch_op.create_index("ix_audit_entry_person_id", ["person_id"], unique=False)
    with op.batch_alter_table("agent_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_activity_ended_at")
        batch_op.drop_index("ix_agent_activity_running")
