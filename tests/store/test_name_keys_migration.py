"""Revision 0010 on a SQLite database holding a name key longer than its column (stored
whole before name keys were cut): the key is cut as ``name_key`` cuts it, so the account
is found again."""

from __future__ import annotations

from sqlalchemy import text

from store import migrate
from store.callers import directory
from store.callers.directory import name_key
from store.db import make_sessionmaker, transaction
from tests.conftest import Database


def test_long_name_keys_are_cut_to_be_found_again(empty_db: Database) -> None:
    """SQLite kept keys longer than the column; both databases kept, for a while, a cut
    that ended in a space. After 0010 each is what ``name_key`` makes of its name."""
    engine = empty_db.engine
    migrate.upgrade(engine, "0009")
    names = ["a" + "ß" * 99 + " " + "ß" * 60,  # folds to 199 + 1 + 120 characters
             "ß" * 99 + "b c"]  # folds to 201 characters; cut at 200: it ends in " "
    stored = [directory.fold(names[0]), directory.fold(names[1])[:200]]
    if engine.dialect.name != "sqlite":  # PostgreSQL refused the first (varchar(200))
        names, stored = names[1:], stored[1:]
    with engine.begin() as conn:
        for name, key in zip(names, stored, strict=True):
            conn.execute(text("INSERT INTO directory_account (name, name_key, updated_at) "
                              "VALUES (:name, :key, '2026-11-30 12:00:00')"),
                         {"name": name, "key": key})
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        for name in names:
            found = directory.find_account(session, erp_code=None, crm_code=None,
                                           tax_id=None, name_key=name_key(name))
            assert found is not None and found.name == name
            assert found.name_key == name_key(name) and not found.name_key.endswith(" ")
