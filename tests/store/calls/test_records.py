"""call_record: one upsert for every source, rollups kept with it, and every hot query on
the growing tables served by an index (EXPLAIN on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from store.calls import records
from store.calls.ingest import save_calls, stored_query
from store.calls.records import CallInfo, CallRecord
from store.db import make_sessionmaker, transaction
from store.queue.activity import around_query
from store.queue.sim_pbx import SimCall, sim_calls
from store.stats import rollups as callstats
from store.stats import sums
from store.stats.agent_time import times_query
from store.stats.rollups import Basis, CallStatsHour, aggregates
from testing.explain import assert_indexed
from tests.conftest import T0, Database


@pytest.fixture
def session(db: Database) -> Session:
    with make_sessionmaker(db.engine)() as s, s.begin():
        yield s  # type: ignore[misc]


def call(call_id: str, minutes: float = 0, outcome: str = "answered", **kw: object) -> CallInfo:
    return CallInfo(call_id, str(kw.pop("queue", "support")),
                    T0 + timedelta(minutes=minutes), outcome, **kw)  # type: ignore[arg-type]


def test_saving_twice_changes_nothing(session: Session) -> None:
    facts = [call("a", caller="600 11 22 33", wait_seconds=4.0, extension="211"),
             call("b", 70, "abandoned", wait_seconds=33.0)]
    first = save_calls(session, "asterisk", facts, region="ES")
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert first.hours == {("support", T0.replace(minute=0)), ("support", T0 + timedelta(hours=1))}
    rollups = session.execute(select(CallStatsHour.hour, CallStatsHour.received)
                              .order_by(CallStatsHour.hour)).all()
    again = save_calls(session, "asterisk", facts, region="ES")
    assert (again.created, again.updated, again.unchanged, again.hours) == (0, 0, 2, set())
    assert session.execute(select(CallStatsHour.hour, CallStatsHour.received)
                           .order_by(CallStatsHour.hour)).all() == rollups
    row = session.scalar(select(CallRecord).where(CallRecord.call_id == "a"))
    assert row is not None and row.caller == "+34600112233"


def test_a_change_moves_the_call_between_hours(session: Session) -> None:
    save_calls(session, "asterisk", [call("a", 10)], region="ES")
    moved = save_calls(session, "asterisk", [call("a", 75)], region="ES")
    assert moved.updated == 1
    assert moved.hours == {("support", T0), ("support", T0 + timedelta(hours=1))}
    assert session.execute(select(CallStatsHour.hour, CallStatsHour.received)).all() == [
        (T0 + timedelta(hours=1), 1)]


def test_the_same_call_id_in_two_queues_and_two_sources(session: Session) -> None:
    save_calls(session, "asterisk", [call("a"), call("a", 1, queue="sales")], region="ES")
    save_calls(session, "webhook", [call("a")], region="ES")
    assert session.scalar(select(func.count()).select_from(CallRecord)) == 3


def test_bad_calls_are_refused_by_name(session: Session) -> None:
    with pytest.raises(ValueError, match="outcome must be one of"):
        save_calls(session, "asterisk", [call("a", outcome="lost")], region="ES")
    with pytest.raises(ValueError, match="source must be one of"):
        save_calls(session, "elsewhere", [call("a")], region="ES")
    with pytest.raises(ValueError, match="1 to 128 characters"):
        save_calls(session, "asterisk", [call("x" * 129)], region="ES")


def test_the_answering_extension_is_linked_to_its_person(session: Session) -> None:
    from store.team.people import Person

    session.add(Person(key="alice", name="Alice", extension="211", created_at=T0))
    session.flush()
    save_calls(session, "sim", [call("a", extension="211"), call("b", extension="999")],
               region="ES")
    owners = dict(session.execute(select(CallRecord.call_id, CallRecord.person_id)).all())
    assert owners["a"] is not None and owners["b"] is None


def test_rollups_and_records_give_the_same_sums(session: Session) -> None:
    facts = [call(f"c{n}", n * 7, ("answered", "abandoned", "timeout")[n % 3],
                  wait_seconds=float(n % 40), talk_seconds=60.0 if n % 3 == 0 else None,
                  extension="211" if n % 3 == 0 else None) for n in range(60)]
    save_calls(session, "sim", facts, region="ES")
    end = T0 + timedelta(hours=8)
    from_rollups = sums.period_sums(session, T0, end)[None]
    straight = callstats.Sums.from_row(
        session.execute(select(*[e.label(n) for n, e in aggregates(Basis()).items()])
                        .where(CallRecord.entered_at >= T0, CallRecord.entered_at < end))
        .mappings().one())
    assert from_rollups == straight
    assert callstats.rebuild(session, Basis(0, 30)) == 7  # 60 calls, 09:00 to 15:53
    assert sums.period_sums(session, T0, end)[None].short_abandons == 0


def test_a_rebuild_visits_only_the_hours_that_have_calls(session: Session) -> None:
    # A stray record 30 years back once made the rebuild walk every hour in between.
    old = call("old")._replace(entered_at=T0 - timedelta(days=365 * 30))
    save_calls(session, "sim", [old, call("now"), call("later", 200)], region="ES")
    assert callstats.rebuild(session, Basis(0, 30)) == 3


# --------------------------------------------------------------------------- EXPLAIN

WEEK = (T0, T0 + timedelta(days=7))


@pytest.mark.parametrize("name", [
    "stored rows by key", "one source's calls of a period",
    "an agent's last call", "the simulator's last call id", "rollup of one hour",
    "calls open at a restart",
    "rollups of a period, one queue", "rollups of a period, every queue",
    "records of a part hour, one queue", "records of a part hour, every queue",
    "pauses and sessions overlapping a period", "a pause open or covering a moment",
])
def test_hot_queries_are_served_by_an_index(session: Session, name: str) -> None:
    basis = Basis()
    statement = {
        "stored rows by key": stored_query("asterisk", ["1.1", "1.2"],
                                           session.get_bind().dialect.name),
        "one source's calls of a period": records.between_query("sim", "support", *WEEK),
        "an agent's last call": records.last_answered_query("asterisk", "211", T0),
        "the simulator's last call id": records.last_call_query("sim", "support"),
        "calls open at a restart": records.open_calls_query("asterisk", T0),
        "rollup of one hour": callstats.hour_query("support", T0, aggregates(basis)),
        "rollups of a period, one queue": sums.rollup_query(*WEEK, "support", "agent"),
        "rollups of a period, every queue": sums.rollup_query(*WEEK, None, "queue"),
        "records of a part hour, one queue": sums.record_query(
            T0, T0 + timedelta(minutes=20), "support", "agent", basis),
        "records of a part hour, every queue": sums.record_query(
            T0, T0 + timedelta(minutes=20), None, "queue", basis),
        "pauses and sessions overlapping a period": times_query(
            session.get_bind().dialect.name, *WEEK),
        "a pause open or covering a moment": around_query(1, "pause", T0),
    }[name]
    assert_indexed(session, statement, limited=name == "the simulator's last call id")


def test_the_simulators_open_calls_are_indexed(session: Session) -> None:
    session.add(SimCall(queue="support", call_id="support-000001", caller="+34600112233",
                        entered_at=T0, phase="waiting", patience_until=T0))
    assert [c.call_id for c in sim_calls(session, "support")] == ["support-000001"]
    assert_indexed(session, select(SimCall).where(SimCall.queue == "support"))


def test_writers_are_serialised(db: Database) -> None:
    """Two transactions saving the same new call one after the other: the second finds
    the first's row instead of inserting it again (PostgreSQL takes an advisory lock)."""
    sessions = make_sessionmaker(db.engine)
    with transaction(sessions) as one:
        save_calls(one, "webhook", [call("a")], region="ES")
    with transaction(sessions) as two:
        assert save_calls(two, "webhook", [call("a")], region="ES").unchanged == 1


def test_the_fast_insert_stores_what_the_orm_would(session: Session) -> None:
    """save_calls inserts through the driver; the stored text (SQLite) or values
    (PostgreSQL) must be exactly what SQLAlchemy itself writes, or range queries miss rows
    (a datetime without microseconds sorts before the hour it is on)."""
    on_the_hour = T0.replace(minute=0)
    session.add(CallRecord(source="sim", call_id="orm", queue="support", caller=None,
                           entered_at=on_the_hour, answered_at=on_the_hour,
                           outcome="answered", wait_seconds=0.0))
    save_calls(session, "asterisk", [CallInfo("fast", "support", on_the_hour, "answered",
                                              answered_at=on_the_hour, wait_seconds=0.0)],
               region="ES")
    raw = session.execute(text("SELECT call_id, entered_at, answered_at, wait_seconds "
                               "FROM call_record ORDER BY call_id")).all()
    assert raw[0][1:] == raw[1][1:]
    assert sums.period_sums(session, on_the_hour,
                                       on_the_hour + timedelta(hours=1))[None].received == 2


@pytest.mark.parametrize(("raw", "stored"), [
    ("600 11 22 33", "+34600112233"), ("0034600112233", "+34600112233"),
    ("+44 20 7946 0958", "+442079460958"),
    ("+34 000 000 000", "+34000000000"),  # the right length, a range not (yet) assigned
    ("1003", None), ("anonymous", None), ("", None), ("6" * 80, None),
])
def test_callers_are_kept_in_e164(session: Session, raw: str, stored: str | None) -> None:
    save_calls(session, "asterisk", [call("a", caller=raw)], region="ES")
    assert session.scalar(select(CallRecord.caller)) == stored
