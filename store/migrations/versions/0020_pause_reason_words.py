"""the default pause reasons also answer to their Catalan, Spanish and Portuguese words
("dinar", "comer", "almoço"): each word is added to the reason of that code where the team
still has it and no other reason uses the word

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 22:30:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORDS = {
    "break": ["descans", "cafè", "café", "intervalo"],
    "lunch": ["dinar", "comer", "almoço", "almoçar", "almoco"],
    "training": ["formació", "treinamento", "treino"],
    "meeting": ["reunió", "reunião"],
    "other": ["altre", "outro"],
}

REASONS = sa.table("pause_reason", sa.column("id", sa.Integer), sa.column("code", sa.String),
                   sa.column("aliases", sa.JSON))


def _rows(connection: sa.Connection) -> list[tuple[int, str, list[str]]]:
    found = []
    for row in connection.execute(sa.select(REASONS.c.id, REASONS.c.code, REASONS.c.aliases)):
        aliases = row.aliases if isinstance(row.aliases, list) else json.loads(row.aliases or "[]")
        found.append((row.id, row.code, list(aliases)))
    return found


def upgrade() -> None:
    connection = op.get_bind()
    rows = _rows(connection)
    taken = {w.casefold() for _, code, aliases in rows for w in (code, *aliases)}
    for row_id, code, aliases in rows:
        new = [w for w in WORDS.get(code, []) if w.casefold() not in taken]
        if new:
            taken.update(w.casefold() for w in new)
            connection.execute(REASONS.update().where(REASONS.c.id == row_id)
                               .values(aliases=aliases + new))


def downgrade() -> None:
    connection = op.get_bind()
    for row_id, code, aliases in _rows(connection):
        kept = [w for w in aliases if w not in WORDS.get(code, [])]
        if kept != aliases:
            connection.execute(REASONS.update().where(REASONS.c.id == row_id)
                               .values(aliases=kept))
