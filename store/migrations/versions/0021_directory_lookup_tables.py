"""the directory's phones and name words keep their account and contact ids without
foreign keys, and without the index by contact alone: the (account, contact) index serves
every read and delete of them, and a million-row import no longer checks each of its
millions of phone and word rows against two tables (store.callers.directory)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("directory_phone", "directory_word")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_contact_id"))
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_account_id_directory_account"),
                                     type_="foreignkey")
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_contact_id_directory_contact"),
                                     type_="foreignkey")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(batch_op.f(f"fk_{table}_account_id_directory_account"),
                                        "directory_account", ["account_id"], ["id"],
                                        ondelete="CASCADE")
            batch_op.create_foreign_key(batch_op.f(f"fk_{table}_contact_id_directory_contact"),
                                        "directory_contact", ["contact_id"], ["id"],
                                        ondelete="CASCADE")
            batch_op.create_index(batch_op.f(f"ix_{table}_contact_id"), ["contact_id"],
                                  unique=False)
