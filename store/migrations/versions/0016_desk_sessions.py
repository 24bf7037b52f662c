"""the desk's server-side sessions and one-time sign-in links

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.base import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey(
            "person.id", name=op.f("fk_desk_session_person_id_person"), ondelete="CASCADE"),
            nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_desk_session_token_hash")),
    )
    op.create_index("ix_desk_session_person", "desk_session", ["person_id", "expires_at"])
    op.create_index("ix_desk_session_expires_at", "desk_session", ["expires_at"])
    op.create_table(
        "desk_sign_in_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey(
            "person.id", name=op.f("fk_desk_sign_in_link_person_id_person"),
            ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_sign_in_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_desk_sign_in_link_token_hash")),
    )
    op.create_index("ix_desk_sign_in_link_person_id", "desk_sign_in_link", ["person_id"])
    op.create_index("ix_desk_sign_in_link_expires_at", "desk_sign_in_link", ["expires_at"])


def downgrade() -> None:
    op.drop_table("desk_sign_in_link")
    op.drop_table("desk_session")
