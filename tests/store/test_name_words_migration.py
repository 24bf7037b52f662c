"""Revision 0022 on a directory stored with a word row per account and contact: every
stored name is found by its words afterwards, each name's words stored once; the
downgrade gives every owner its words back."""

from __future__ import annotations

from sqlalchemy import text

from integrations.directory.local import LocalDirectory
from store import migrate
from store.callers.directory import name_key
from store.db import make_sessionmaker
from tests.conftest import Database

NAMES = [  # (account, its contacts): "ana perez" twice, one word longer than WORD_MAX
    ("Acme SL", ["Ana Pérez", "Luis Gómez"]),
    ("Beta Logística SA", ["Ana Pérez", "Supercalifragilisticexpialidocious Ruiz"]),
]


def test_names_are_found_by_their_words_after_the_upgrade_and_the_downgrade(
        empty_db: Database) -> None:
    engine = empty_db.engine
    migrate.upgrade(engine, "0021")
    with engine.begin() as conn:
        for number, (account, contacts) in enumerate(NAMES, start=1):
            conn.execute(text("INSERT INTO directory_account (id, name, name_key, updated_at)"
                              " VALUES (:id, :name, :key, '2026-12-07 02:00:00')"),
                         {"id": number, "name": account, "key": name_key(account)})
            for name in contacts:
                conn.execute(text(
                    "INSERT INTO directory_contact (account_id, name, name_key, updated_at) "
                    "VALUES (:account, :name, :key, '2026-12-07 02:00:00')"),
                    {"account": number, "name": name, "key": name_key(name)})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        pairs = conn.execute(text("SELECT word, name_key FROM directory_name_word "
                                  "ORDER BY word, name_key")).all()
    assert [tuple(p) for p in pairs].count(("ana", "ana perez")) == 1
    assert ("supercalifragilisticexpialidocio", "supercalifragilisticexpialidocious ruiz") \
        in [tuple(p) for p in pairs]  # cut to WORD_MAX (32)
    directory = LocalDirectory(make_sessionmaker(engine))
    assert [a.name for a in directory.find("name", "ana pere", 5)] == ["Acme SL",
                                                                       "Beta Logística SA"]
    assert [a.name for a in directory.find("name", "logistica", 5)] == ["Beta Logística SA"]
    assert [a.name for a in directory.find("name", "supercalifragilistic", 5)] == [
        "Beta Logística SA"]
    migrate.downgrade(engine, "0021")
    with engine.connect() as conn:
        owners = conn.execute(text("SELECT account_id, contact_id FROM directory_word "
                                   "WHERE word = 'ana'")).all()
    assert sorted(tuple(o) for o in owners) == [(1, 1), (2, 3)]
