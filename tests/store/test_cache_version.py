"""The cache version moves with every committed change of a watched table, and only then."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from store import cache_version
from store.cache_version import WATCHED, CacheVersion
from store.callbacks import ivr_keys
from store.callbacks.bookings import Callback
from store.callbacks.capacity import (
    CapacityOverride,
    CapacityPool,
    CapacityTemplate,
    SlotCounter,
    WeekDay,
    WeeklySchedule,
)
from store.callbacks.ivr_keys import IvrKey
from store.db import make_sessionmaker, reading, transaction
from store.shifts.absences import NoServiceDay
from testing.explain import assert_indexed
from tests.conftest import T0, Database


def version(sessions: sessionmaker[Session]) -> int:
    alone = cache_version.read(sessions)
    with reading(sessions) as session:
        assert cache_version.current(session) == alone
    return alone


def test_every_watched_table_has_its_triggers(db: Database) -> None:
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            rows = conn.execute(text("SELECT tbl_name, name FROM sqlite_master "
                                     "WHERE type = 'trigger'")).all()
            found = {(table, name.rsplit("_", 1)[1]) for table, name in rows
                     if name.startswith("bump_cache_version_")}
            assert found == {(t, op) for t in WATCHED for op in ("insert", "update", "delete")}
        else:
            # tgtype bits: 4 insert, 8 delete, 16 update; deferrable and initially deferred.
            rows = conn.execute(text(
                "SELECT c.relname, t.tgtype & 28, t.tgdeferrable, t.tginitdeferred "
                "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'bump_cache_version' "
                "AND c.relnamespace = current_schema()::regnamespace")).all()
            assert sorted(rows) == sorted((t, 28, True, True) for t in WATCHED)


def new_rows(session: Session) -> list[Callable[[], Any]]:
    """A maker of one new row per watched table, in an order their foreign keys accept."""
    def one(model: Any, **values: Any) -> Callable[[], Any]:
        return lambda: model(**values)

    def first(model: Any) -> int:
        return int(session.scalars(select(model.id)).one())

    return [
        one(IvrKey, name="client", key_id="0123456789ab", secret_sha256="0" * 64,
            created_at=T0),
        one(CapacityTemplate, name="t", slots={"10:00": 1}),
        one(WeeklySchedule, name="w"),
        lambda: WeekDay(week_id=first(WeeklySchedule), weekday=0,
                        template_id=first(CapacityTemplate)),
        lambda: CapacityPool(kind="queue", name="q", week_id=first(WeeklySchedule)),
        lambda: CapacityOverride(pool_id=first(CapacityPool), day=date(2026, 12, 1),
                                 closed=True),
        one(SlotCounter, pool="queue:q", starts_at=T0, booked=0),
        one(Callback, phone="+34612345678", queue="q", pool="queue:q", slot_start=T0,
            requested_for=T0, due_at=T0, source="ivr", created_by="ivr:x", created_at=T0),
        one(NoServiceDay, day=date(2026, 12, 8), name="Inmaculada"),
    ]


CHANGES: dict[str, Callable[[Any], None]] = {
    "ivr_key": lambda row: setattr(row, "revoked_at", T0),
    "callback_template": lambda row: setattr(row, "slots", {"10:00": 2}),
    "callback_week": lambda row: setattr(row, "name", "w2"),
    "callback_week_day": lambda row: setattr(row, "weekday", 1),
    "callback_pool": lambda row: setattr(row, "name", "q2"),
    "callback_override": lambda row: setattr(row, "closed", False),
    "callback_slot": lambda row: setattr(row, "booked", 1),
    "callback": lambda row: setattr(row, "status", "cancelled"),
    "no_service_day": lambda row: setattr(row, "name", "Immaculate Conception"),
}


def test_each_insert_update_and_delete_of_a_watched_table_moves_the_version(
        db: Database) -> None:
    sessions = make_sessionmaker(db.engine)
    rows: list[Any] = []
    for index in range(len(WATCHED)):
        before = version(sessions)
        with transaction(sessions) as session:
            row = new_rows(session)[index]()
            session.add(row)
        rows.append(row)
        assert version(sessions) > before, f"inserting a {row.__tablename__} row did not move it"
    assert [row.__tablename__ for row in rows] == list(WATCHED)
    for row in rows:
        before = version(sessions)
        with transaction(sessions) as session:
            CHANGES[row.__tablename__](session.merge(row))
        assert version(sessions) > before, f"UPDATE of {row.__tablename__} did not move it"
    for row in reversed(rows):
        before = version(sessions)
        with transaction(sessions) as session:
            session.delete(session.merge(row))
        assert version(sessions) > before, f"deleting a {row.__tablename__} row did not move it"


def test_a_change_moves_the_version_when_it_commits_and_not_if_it_rolls_back(
        db: Database) -> None:
    sessions = make_sessionmaker(db.engine)
    other = make_sessionmaker(db.new_engine())  # another process or replica
    start = version(other)
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        session.add(NoServiceDay(day=date(2026, 12, 25), name="Navidad"))
        session.flush()
        raise RuntimeError("rolled back")
    assert version(other) == start
    with transaction(sessions) as session:
        session.add(NoServiceDay(day=date(2026, 12, 25), name="Navidad"))
        session.flush()
        if db.backend == "postgresql":  # not seen by anyone before the commit
            assert version(other) == start
    assert version(other) > start
    # Tables the caches do not depend on leave it alone: the rate count, for one.
    with transaction(sessions) as session:
        ivr_keys.create(session, "client", T0)
        row = ivr_keys.by_name(session, "client")
        assert row is not None
    moved = version(other)
    with transaction(sessions) as session:
        assert ivr_keys.count_requests(session, row.id, 1000, 3) == 3
    assert version(other) == moved
    other.kw["bind"].dispose()


def test_reading_the_version_never_waits_for_a_writer(db: Database) -> None:
    sessions = make_sessionmaker(db.engine)
    other = make_sessionmaker(db.new_engine())
    start = version(sessions)
    with transaction(other) as session:  # holds SQLite's write lock, PostgreSQL's row lock
        session.add(NoServiceDay(day=date(2026, 12, 25), name="Navidad"))
        session.flush()
        session.execute(update(CacheVersion).values(version=CacheVersion.version + 100))
        assert cache_version.read(sessions) == start
    assert cache_version.read(sessions) > start + 100
    other.kw["bind"].dispose()


def test_the_version_read_and_the_rate_count_use_their_keys(db: Database) -> None:
    sessions = make_sessionmaker(db.engine)
    with transaction(sessions) as session:
        assert_indexed(session, select(CacheVersion.version).where(CacheVersion.id == 1))
        assert_indexed(session, ivr_keys.count_statement(session, 1, 1000, 5))
        assert_indexed(session, update(CacheVersion).where(CacheVersion.id == 1)
                       .values(version=CacheVersion.version + 1))


def test_an_unmigrated_row_is_an_error_not_a_zero(db: Database) -> None:
    sessions = make_sessionmaker(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM cache_version"))
    with pytest.raises(RuntimeError, match="db upgrade"), reading(sessions) as session:
        cache_version.current(session)
    with pytest.raises(RuntimeError, match="db upgrade"):
        cache_version.read(sessions)

