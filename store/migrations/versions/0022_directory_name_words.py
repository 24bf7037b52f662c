"""the directory's name words are kept once per distinct name (directory_name_word, keyed
by word and name key) instead of once per account and contact (directory_word); contacts
get an index by name key, as accounts have, to reach the bearers of a name
(store.callers.directory)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 02:30:00
"""

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORD_MAX = 32  # store.callers.directory.WORD_MAX when this was written
BATCH = 10_000

name_word = sa.table("directory_name_word", sa.column("word", sa.String),
                     sa.column("name_key", sa.String))
word = sa.table("directory_word", sa.column("word", sa.String),
                sa.column("account_id", sa.Integer), sa.column("contact_id", sa.Integer))


def _words(key: str) -> list[str]:
    """A name key's index words (the key is folded already: lowercase ASCII words)."""
    return list(dict.fromkeys(part[:WORD_MAX] for part in key.split()))


def _batches(rows: Iterator[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    batch: list[dict[str, object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def upgrade() -> None:
    op.create_table(
        "directory_name_word",
        sa.Column("word", sa.String(length=WORD_MAX), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("word", "name_key", name=op.f("pk_directory_name_word")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("directory_contact", schema=None) as batch_op:
        batch_op.create_index("ix_directory_contact_name_key", ["name_key"], unique=False)
    bind = op.get_bind()
    keys = bind.execute(sa.text(
        "SELECT name_key FROM directory_account UNION SELECT name_key FROM directory_contact"))
    rows = ({"word": w, "name_key": key} for (key,) in keys for w in _words(key))
    for batch in _batches(rows):
        bind.execute(name_word.insert(), batch)
    op.drop_table("directory_word")


def downgrade() -> None:
    op.create_table(
        "directory_word",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=WORD_MAX), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_word")),
    )
    with op.batch_alter_table("directory_word", schema=None) as batch_op:
        batch_op.create_index("ix_directory_word_account", ["account_id", "contact_id"],
                              unique=False)
        batch_op.create_index("ix_directory_word_word", ["word", "account_id", "contact_id"],
                              unique=False)
    bind = op.get_bind()
    owners = bind.execute(sa.text(
        "SELECT id, NULL, name_key FROM directory_account "
        "UNION ALL SELECT account_id, id, name_key FROM directory_contact"))
    rows = ({"word": w, "account_id": account, "contact_id": contact}
            for account, contact, key in owners for w in _words(key))
    for batch in _batches(rows):
        bind.execute(word.insert(), batch)
    with op.batch_alter_table("directory_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_directory_contact_name_key")
    op.drop_table("directory_name_word")
