"""The pause/session log's queries: reasons by word, open rows, periods, locking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from commands.core import Services
from store.db import make_engine, make_sessionmaker, transaction
from store.queue import activity
from store.queue.activity import PAUSE, SESSION, Activity
from store.team import people
from tests.conftest import T0, Database

H = timedelta(hours=1)


def alice_id(session: Session) -> int:
    alice = people.by_key(session, "alice")
    assert alice is not None
    return alice.id


def test_reasons_are_found_by_code_or_alias_in_any_case(demo: Services) -> None:
    with transaction(demo.sessions) as session:
        assert [r.code for r in activity.reasons(session)] == [
            "break", "lunch", "training", "meeting", "other"]
        found = {w: activity.find_reason(session, w) for w in ("LUNCH", "Comida", " descanso ",
                                                                 "formación", "siesta")}
        assert {w: r.code if r else None for w, r in found.items()} == {
            "LUNCH": "lunch", "Comida": "lunch", " descanso ": "break",
            "formación": "training", "siesta": None}
        lunch = activity.reason_by_code(session, "lunch")
        assert lunch is not None and lunch.max_minutes == 60


def test_start_finish_and_the_open_row(demo: Services) -> None:
    with transaction(demo.sessions) as session:
        pid = alice_id(session)
        assert activity.open_activity(session, pid, PAUSE) is None
        first = activity.start(session, pid, PAUSE, T0, reason="break", by_id=pid)
        stint = activity.start(session, pid, SESSION, T0 - H, source="schedule")
        assert activity.open_activity(session, pid, PAUSE) is first
        assert activity.open_activity(session, pid, SESSION) is stint
        activity.finish(first, T0 - H, by_id=None, note="clock skew")
        assert first.ended_at == first.started_at  # never before it started
        assert activity.open_activity(session, pid, PAUSE) is None
        assert activity.open_activities(session, SESSION) == [stint]
        with pytest.raises(ValueError, match="source"):
            activity.start(session, pid, PAUSE, T0, source="phone")
        with pytest.raises(ValueError, match="kind"):
            activity.start(session, pid, "nap", T0)


def test_a_period_takes_every_row_that_overlaps_it(demo: Services) -> None:
    begin, end = T0, T0 + 8 * H
    spans = {
        "before": (T0 - 3 * H, T0 - H),
        "touching the start": (T0 - H, T0),
        "across the start": (T0 - H, T0 + H),
        "inside": (T0 + 2 * H, T0 + 3 * H),
        "open across the end": (T0 + 7 * H, None),
        "from the end": (T0 + 8 * H, None),
    }
    with transaction(demo.sessions) as session:
        pid = alice_id(session)
        for note, (start, stop) in spans.items():
            session.add(Activity(person_id=pid, kind=PAUSE, reason=note, started_at=start,
                                 ended_at=stop, source="chat"))
        session.flush()
        rows = activity.in_period(session, begin, end, person_id=pid)
        assert [r.reason for r in rows] == ["across the start", "inside", "open across the end"]
        assert [activity.seconds_within(r, begin, end) for r in rows] == [3600, 3600, 3600]
        assert activity.in_period(session, begin, end, person_id=pid + 1000) == []


def test_seconds_between_counts_real_time_across_a_clock_change() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    start = datetime(2026, 10, 25, 0, 0, tzinfo=madrid)
    end = datetime(2026, 10, 26, 0, 0, tzinfo=madrid)
    assert activity.seconds_between(start, end) == 25 * 3600
    assert activity.seconds_between(start.astimezone(UTC), end) == 25 * 3600


def test_lock_person_makes_a_second_writer_wait(db: Database, demo: Services) -> None:
    with transaction(demo.sessions) as session:
        pid = alice_id(session)
    other = make_engine(db.url)
    if db.backend == "sqlite":
        # SQLite's writers queue at BEGIN IMMEDIATE; wait 0.2 s there instead of 30.
        event.listen(other, "connect",
                     lambda conn, _record: conn.execute("PRAGMA busy_timeout=200"))
    try:
        with transaction(demo.sessions) as holder:
            activity.lock_person(holder, pid)
            with pytest.raises(OperationalError), make_sessionmaker(other)() as waiter, \
                    waiter.begin():
                if db.backend == "postgresql":
                    waiter.connection().exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
                activity.lock_person(waiter, pid)
    finally:
        other.dispose()
