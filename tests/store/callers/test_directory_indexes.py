"""Every query a lookup, the screen pop, /calls or /typify runs on a growing table is served
by an index, on SQLite and PostgreSQL (EXPLAIN)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.sql import Executable

from store.callers import directory
from store.callers.directory import DirectoryAccount, DirectoryContact, _prefix_range
from store.calls import registry
from store.calls.registry import RegisteredCall
from store.db import make_sessionmaker, transaction
from testing.explain import assert_indexed
from tests.conftest import T0, Database

QUERIES: dict[str, Executable] = {
    "phone": directory.phone_matches("+34600112233", 401),
    "one name word": directory.name_matches(["pere"], 401),
    "two name words": directory.name_matches(["ana", "pere"], 401),
    "name ending in z": directory.name_matches(["gomez", "zz"], 401),
    "tax id": directory.accounts_where("tax_id", "ESB12345674", 21),
    "crm code": directory.accounts_where("crm_code", "1001", 21),
    "erp code": directory.accounts_where("erp_code", "E-1", 21),
    "contact page": directory.first_contacts(7, 10),
    "contact counts": directory.contact_counts([1, 2]),
    "own phones": directory.own_phones([1, 2]),
    "contact phones": directory.contact_phones([1, 2]),
    "contacts by id": select(DirectoryContact).where(DirectoryContact.id.in_([1, 2])),
    "account by name": select(DirectoryAccount.id).where(DirectoryAccount.name_key == "acme"),
    "a call by PBX id": select(RegisteredCall).where(RegisteredCall.call_id == "17.1"),
    "a person's calls": registry.calls_query(person_id=3),
    "a person's day": registry.calls_query(person_id=3, start=T0,
                                                end=T0 + timedelta(days=1)),
    "a number's calls": registry.calls_query(phone="+34600112233"),
    "calls per category": registry.counts_by_category_query(T0, T0 + timedelta(days=1)),
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_served_by_an_index(db: Database, name: str) -> None:
    with transaction(make_sessionmaker(db.engine)) as session:
        assert_indexed(session, QUERIES[name])


def test_a_person_s_last_call_is_one_index_probe(db: Database) -> None:
    query = select(RegisteredCall).where(RegisteredCall.person_id == 3).order_by(
        RegisteredCall.rang_at.desc(), RegisteredCall.id.desc()).limit(1)
    with transaction(make_sessionmaker(db.engine)) as session:
        assert_indexed(session, query)


@pytest.mark.parametrize("word, low, high", [
    ("ana", "ana", "anb"), ("gomez", "gomez", "gomf"), ("az", "az", "b"), ("a9", "a9", "aa"),
    ("zz", "zz", None),
])
def test_prefix_ranges_stay_inside_the_index_alphabet(word: str, low: str,
                                                      high: str | None) -> None:
    assert _prefix_range(word) == (low, high)
