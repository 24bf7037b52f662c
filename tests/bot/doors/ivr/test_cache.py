"""The IVR API's caches never serve an answer older than the request, whoever changed what.

Instance ``a`` and instance ``b`` are two apps with engines and caches of their own on one
database (two workers, or two replicas). Every change is made by the other instance or
straight in the store, and the answer after it is compared with one from an instance
that has never cached anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from commands.core import Services
from integrations.clock import FixedClock
from store.callbacks import ivr_keys
from store.callbacks.capacity import QUEUE, pool
from store.callbacks.capacity_io import import_capacity, set_override
from store.db import make_sessionmaker, transaction
from store.shifts.absences import replace_no_service_days
from testing.ivr import CAPACITY, Ivr, another_instance, load_capacity, open_ivr
from tests.conftest import MADRID, Database

TUESDAY = "/slots?queue=soporte&date=2026-11-24"
TODAY = "/slots?queue=soporte&date=2026-11-23"
NEXT_DAYS = "/slots?queue=soporte"
BOOKING = {"phone": "612 34 56 78", "when": "2026-11-24T10:00:00+01:00", "queue": "soporte"}


@pytest.fixture
def ivr(demo: Services) -> Ivr:
    load_capacity(demo)
    return open_ivr(demo)


@pytest.fixture
def other(db: Database, demo: Services, ivr: Ivr) -> Iterator[Ivr]:
    instance = another_instance(db, demo, ivr.key)
    yield instance
    instance.close()


def fresh(db: Database, demo: Services, ivr: Ivr, path: str) -> Any:
    """The answer of an instance that has cached nothing."""
    instance = another_instance(db, demo, ivr.key)
    try:
        answer = instance.get(path)
        assert answer.status_code == 200, answer.json
        return answer.json
    finally:
        instance.close()


def statements(engine: Engine, run: Any) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE",
                                                             "DELETE"):
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def intervals(answer: Any) -> list[tuple[str, int]]:
    return [(i["start"][11:16], i["free"]) for day in answer["days"]
            for i in day["intervals"] or []]


def test_a_cached_slots_answer_costs_one_primary_key_read(ivr: Ivr, db: Database) -> None:
    first = ivr.get(TUESDAY)
    assert first.status_code == 200
    seen = statements(db.engine, lambda: ivr.get(TUESDAY))
    assert len(seen) == 1 and "FROM cache_version WHERE cache_version.id =" in seen[0], seen
    again = ivr.get(TUESDAY)
    assert (again.status_code, again.json) == (200, first.json)


def test_a_revoked_key_is_refused_on_the_next_request_everywhere(
        ivr: Ivr, other: Ivr, db: Database) -> None:
    for instance in (ivr, ivr, other, other):  # each has the key verified and cached
        assert instance.get(TUESDAY).status_code == 200
    with transaction(make_sessionmaker(other.engine or db.engine)) as session:
        key = ivr_keys.by_name(session, "ivr-test")
        assert key is not None
        key.revoked_at = datetime(2026, 11, 23, 9, 0, tzinfo=MADRID)
    assert ivr.get(TUESDAY).status_code == 401
    assert other.get(TUESDAY).status_code == 401
    assert ivr.post("/callbacks", BOOKING).status_code == 401


def test_a_booking_or_a_cancellation_elsewhere_shows_on_the_next_request(
        ivr: Ivr, other: Ivr, db: Database, demo: Services) -> None:
    before = ivr.get(TUESDAY).json
    assert ivr.get(TUESDAY).json == before  # cached now
    days_before = ivr.get(NEXT_DAYS).json
    booked = other.post("/callbacks", BOOKING)
    assert booked.status_code == 201
    after = ivr.get(TUESDAY).json
    assert ("10:00", 4) in intervals(after) and ("10:00", 5) in intervals(before)
    assert after == fresh(db, demo, ivr, TUESDAY)
    days_after = ivr.get(NEXT_DAYS).json
    assert days_after["days"][1]["free"] == days_before["days"][1]["free"] - 1
    assert other.delete(f"/callbacks/{booked.json['id']}").status_code == 200
    assert ivr.get(TUESDAY).json == before


def test_capacity_changes_elsewhere_show_on_the_next_request(
        ivr: Ivr, other: Ivr, db: Database, demo: Services) -> None:
    sessions = make_sessionmaker(other.engine or db.engine)
    assert intervals(ivr.get(TUESDAY).json)[0] == ("09:00", 5)
    with transaction(sessions) as session:  # switchboard slots import
        import_capacity(session, CAPACITY.replace('"09:00": 5', '"09:00": 7'))
    assert intervals(ivr.get(TUESDAY).json)[0] == ("09:00", 7)
    with transaction(sessions) as session:  # /slots close 2026-11-24
        soporte = pool(session, QUEUE, "soporte")
        assert soporte is not None
        set_override(session, soporte, date(2026, 11, 24), closed=True)
    assert ivr.get(TUESDAY).json["days"][0] == {"date": "2026-11-24", "free": 0,
                                                "intervals": []}
    assert ivr.get(NEXT_DAYS).json == fresh(db, demo, ivr, NEXT_DAYS)
    assert "2026-11-24" not in [d["date"] for d in ivr.get(NEXT_DAYS).json["days"]]
    with transaction(sessions) as session:  # a company no-service day
        replace_no_service_days(session, "company", [(date(2026, 11, 25), "Cierre")])
    assert "2026-11-25" not in [d["date"] for d in ivr.get(NEXT_DAYS).json["days"]]
    assert ivr.get(NEXT_DAYS).json == fresh(db, demo, ivr, NEXT_DAYS)
    with transaction(sessions) as session:
        replace_no_service_days(session, "company", [])
    assert "2026-11-25" in [d["date"] for d in ivr.get(NEXT_DAYS).json["days"]]


MONDAY = datetime(2026, 11, 23, tzinfo=MADRID)


# The lead time is 15 minutes: 09:30 can be booked until 09:15:00.000000 included.
MOMENTS = [(timedelta(hours=9, minutes=14, seconds=59, microseconds=999_999), True),
           (timedelta(hours=9, minutes=15), True),
           (timedelta(hours=9, minutes=15, microseconds=1), False),
           (timedelta(hours=9, minutes=15, seconds=59), False),
           (timedelta(hours=9, minutes=14, seconds=30), True)]


def test_the_time_is_part_of_the_answer_to_the_microsecond(
        ivr: Ivr, clock: FixedClock, db: Database, demo: Services) -> None:
    for offset, bookable in MOMENTS:
        clock.set(MONDAY + offset)
        for _ in range(2):  # computed, then cached
            starts = [start for start, _ in intervals(ivr.get(TODAY).json)]
            assert ("09:30" in starts) is bookable, (offset, starts)
        assert ivr.get(TODAY).json == fresh(db, demo, ivr, TODAY)


def test_midnight_moves_the_horizon_exactly(ivr: Ivr, clock: FixedClock) -> None:
    last = "/slots?queue=soporte&date=2026-12-01"  # Monday + 7 days is 30 November
    clock.set(MONDAY + timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999))
    assert [ivr.get(last).json["days"][0]["intervals"] for _ in range(2)] == [[], []]
    clock.set(MONDAY + timedelta(days=1))
    assert intervals(ivr.get(last).json)[0] == ("09:00", 5)
