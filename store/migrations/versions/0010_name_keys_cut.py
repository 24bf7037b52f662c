"""name keys cut to their column: a name whose fold grew past 200 characters ("ß" → "ss")
was stored whole on SQLite (PostgreSQL refused it), and for a while cut without trimming
the space a cut can end in; store.callers.directory.name_key now cuts and trims, so the stored
keys are made the same to be found again

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

NAME_KEY_MAX = 200  # as store.callers.directory.NAME_KEY_MAX was at this revision


def upgrade() -> None:
    for table in ("directory_account", "directory_contact"):
        # The table names are this file's own constants; nothing here comes from input.
        # Longer than the column (SQLite kept them), or ending in the space a cut made
        # before the cut was right-trimmed (both databases).
        cut = f"rtrim(substr(name_key, 1, {NAME_KEY_MAX}))"
        op.execute(f"UPDATE {table} SET name_key = {cut} WHERE name_key <> {cut}")  # noqa: S608


def downgrade() -> None:
    """Nothing to undo: a cut key is what any later import writes."""
