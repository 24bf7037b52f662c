"""callbacks get a public id: the IVR API names a callback by an opaque, unguessable id
(``cb_`` and 22 random URL-safe characters) instead of its sequential one

Every existing callback gets one. On SQLite the column is added NOT NULL with an empty
default (SQLite adds a NOT NULL column only with a default, and rebuilding the table
would cascade-delete its events); the application always writes the id itself.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _public_id() -> str:
    # As store.callbacks.bookings.new_public_id was at this revision.
    return "cb_" + secrets.token_urlsafe(16)


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    # Plain ALTER TABLE on both databases (no batch rebuild of a table others refer to).
    op.add_column("callback", sa.Column("public_id", sa.String(length=32), nullable=not sqlite,
                                        server_default=sa.text("''") if sqlite else None))
    callback = sa.table("callback", sa.column("id", sa.Integer),
                        sa.column("public_id", sa.String))
    ids = list(conn.execute(sa.select(callback.c.id).order_by(callback.c.id)).scalars())
    update = (sa.update(callback).where(callback.c.id == sa.bindparam("row_id"))
              .values(public_id=sa.bindparam("new_id")))
    for start in range(0, len(ids), BATCH):
        conn.execute(update, [{"row_id": row_id, "new_id": _public_id()}
                              for row_id in ids[start:start + BATCH]])
    if not sqlite:
        # The updates queued the deferred cache-version triggers (0009); a table with
        # pending trigger events cannot be altered, so they fire now.
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")
        op.alter_column("callback", "public_id", existing_type=sa.String(length=32),
                        nullable=False)
    op.create_index("ix_callback_public_id", "callback", ["public_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_callback_public_id", table_name="callback")
    op.drop_column("callback", "public_id")
