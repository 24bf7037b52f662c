"""cache version: one counter bumped by triggers on every change the IVR caches depend on

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As watched by this revision (store.cache_version.WATCHED may grow later; this may not).
WATCHED = (
    "ivr_key",
    "callback_template",
    "callback_week",
    "callback_week_day",
    "callback_pool",
    "callback_override",
    "callback_slot",
    "callback",
    "no_service_day",
)
OPERATIONS = ("insert", "update", "delete")
BUMP = "UPDATE cache_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "cache_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_version")),
    )
    op.execute("INSERT INTO cache_version (id, version) VALUES (1, 0)")
    if op.get_context().dialect.name == "postgresql":
        # Deferred: the counter row is locked at commit only, not from the first write.
        op.execute(f"""
            CREATE FUNCTION bump_cache_version() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {BUMP};
                RETURN NULL;
            END
            $$""")
        for table in WATCHED:
            op.execute(f"CREATE CONSTRAINT TRIGGER bump_cache_version AFTER INSERT OR UPDATE "
                       f"OR DELETE ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                       f"EXECUTE FUNCTION bump_cache_version()")
        return
    for table in WATCHED:
        for operation in OPERATIONS:
            op.execute(f"CREATE TRIGGER bump_cache_version_{table}_{operation} AFTER "
                       f"{operation.upper()} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER bump_cache_version ON {table}")
        op.execute("DROP FUNCTION bump_cache_version()")
    else:
        for table in WATCHED:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER bump_cache_version_{table}_{operation}")
    op.drop_table("cache_version")
