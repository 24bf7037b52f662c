"""Revision 0010 on a SQLite database holding a name key longer than its column (stored
whole before name keys were cut): the key is cut as ``name_key`` cuts it, so the account
is found again."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from store import directory, migrate
from store.db import make_sessionmaker, transaction
from store.directory import DirectoryAccount, name_key
from tests.conftest import Database


def test_long_name_keys_are_cut_to_be_found_again(empty_db: Database) -> None:
    engine = empty_db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL never stored such a key (varchar(200) refused it)")
    migrate.upgrade(engine, "0009")
    name = "a" + "ß" * 99 + " " + "ß" * 60  # folds to 199 + 1 + 120: the cut ends in a space
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO directory_account (name, name_key, updated_at) "
                          "VALUES (:name, :key, '2026-11-30 12:00:00.000000')"),
                     {"name": name, "key": directory.fold(name)})
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        found = directory.find_account(session, erp_code=None, crm_code=None, tax_id=None,
                                       name_key=name_key(name))
        assert found is not None and found.name == name
        stored = session.get(DirectoryAccount, found.id)
        assert stored is not None and stored.name_key == "a" + "ss" * 99
