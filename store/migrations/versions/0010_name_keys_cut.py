"""name keys cut to their column: a name whose fold grew past 200 characters ("ß" → "ss")
was stored whole on SQLite (PostgreSQL refused it); store.directory.name_key now cuts it,
so the stored keys are cut the same way to be found again

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_KEY_MAX = 200  # as store.directory.NAME_KEY_MAX was at this revision


def upgrade() -> None:
    for table in ("directory_account", "directory_contact"):
        # The table names are this file's own constants; nothing here comes from input.
        op.execute(f"UPDATE {table} SET name_key = rtrim(substr(name_key, 1, {NAME_KEY_MAX}))"  # noqa: S608
                   f" WHERE length(name_key) > {NAME_KEY_MAX}")


def downgrade() -> None:
    """Nothing to undo: a cut key is what any later import writes."""
