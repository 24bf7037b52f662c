"""A whole day of shift changes driven by a fixed clock, minute by minute: each notice and
each queue change happens once, at its minute — also with two schedulers on one
PostgreSQL database, and when the leader dies half-way."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.render.text import render_text
from bot.runtime import Runtime, build_runtime
from bot.scheduler import Background
from commands.core import Reply
from integrations.clock import FixedClock
from integrations.pbx.sim.backend import SimPbx
from store.db import make_sessionmaker, reading, transaction
from store.demo.team import load_demo
from store.messaging.clockwork import ClockRun
from store.messaging.outbox import OutboxMessage
from testing.timetable import import_week
from tests.conftest import MADRID, Database, make_services, make_settings

DAY = datetime(2026, 11, 23, 0, 0, tzinfo=MADRID)
BOUNDARIES = [DAY.replace(hour=h, minute=m) for h, m in
              ((9, 0), (10, 15), (11, 30), (12, 45), (14, 0))]
# Monday of testing/timetable.py: who the queue holds from each boundary on.
SLOTS = set(BOUNDARIES) | {b - timedelta(minutes=5) for b in BOUNDARIES}
QUEUE = {BOUNDARIES[0]: ["211", "212"], BOUNDARIES[1]: ["213", "214"],
         BOUNDARIES[2]: ["215"], BOUNDARIES[3]: ["216", "217"], BOUNDARIES[4]: []}


class CountingPbx(SimPbx):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.sets: list[tuple[datetime, list[str]]] = []

    def set_members(self, extensions: Sequence[str]) -> None:
        self.sets.append((self.clock.now(), list(extensions)))
        super().set_members(extensions)


def runtime_on(db: Database, clock: FixedClock, engine: object = None) -> Runtime:
    settings = make_settings(DATABASE_URL=db.url)
    services = make_services(db, settings, clock)
    if engine is not None:
        services.sessions = make_sessionmaker(engine)  # type: ignore[arg-type]
    services.pbx = CountingPbx(services.sessions, settings.pbx_queue, clock)
    return build_runtime(settings, services)


def prepare(runtime: Runtime) -> None:
    services = runtime.services
    with transaction(services.sessions) as session:
        load_demo(session, services.clock.now())
    import_week(services)


def messages(runtime: Runtime) -> list[tuple[str, datetime, str, str]]:
    with reading(runtime.services.sessions) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.key, r.created_at, r.target, render_text(Reply.from_dict(r.body)))
                for r in rows]


def team_notices(runtime: Runtime) -> list[tuple[datetime, str]]:
    return [(at.astimezone(MADRID), text) for key, at, target, text in messages(runtime)
            if key.startswith("shift-notice") and target == "team"]


def run_day(clock: FixedClock, schedulers: list[Background], until: datetime,
            kill: tuple[datetime, Background] | None = None) -> None:
    """Minute by minute: the clock jobs wake every minute (the scheduler polls them every
    15 s), every other job every 15 minutes; at the slots everything wakes twice."""
    while clock.now() < until:
        clock.advance(timedelta(minutes=1))
        if kill is not None and clock.now() >= kill[0] and kill[1] in schedulers:
            kill[1].leadership.release()  # its lock connection closes: the process is gone
            schedulers.remove(kill[1])
        for background in schedulers:
            if clock.now() in SLOTS:
                background.tick_all()
                background.tick_all()  # a second wake-up at a slot changes nothing
            elif clock.now().minute % 15 == 0:
                background.tick_all()
            else:
                background.tick("shift-notice")
                background.tick("queue-set")


def test_a_whole_day_of_shift_changes(db: Database) -> None:
    clock = FixedClock(DAY.replace(hour=8, minute=40))
    runtime = runtime_on(db, clock)
    prepare(runtime)
    printed: list[str] = []
    background = Background(runtime, console_sink=lambda t, r: printed.append(render_text(r)))
    run_day(clock, [background], DAY.replace(hour=14, minute=20))
    notices = team_notices(runtime)
    assert [at for at, _ in notices] == [b - timedelta(minutes=5) for b in BOUNDARIES]
    assert notices[0][1] == "Turn 1 (09:00–10:15) starts at 09:00.\nComing in: @alice, @bruno."
    assert notices[1][1] == ("Turn 2 (10:15–11:30) starts at 10:15.\nComing in: @chen, "
                             "@diego.\nLeaving: Alice Agent, Bruno Agent.")
    assert notices[4][1] == "The last turn ends at 14:00.\nLeaving: Farah Agent, Gael Agent."
    dms = [(key, text) for key, _, target, text in messages(runtime)
           if key.startswith("shift-notice") and target.startswith("person:")]
    assert ("shift-notice:20261123T0900:dm:alice",
            "Alice, your turn starts at 09:00 on line T1 and ends at 10:15.") in dms
    assert len(dms) == 2 + 2 + 1 + 2
    pbx = runtime.services.pbx
    assert isinstance(pbx, CountingPbx)
    assert pbx.sets == [(b, QUEUE[b]) for b in BOUNDARIES]
    with reading(runtime.services.sessions) as session:
        runs = session.scalars(select(ClockRun).where(ClockRun.job == "queue-set")).all()
    assert [(r.slot.astimezone(MADRID), r.outcome) for r in runs] == [
        (b, "done") for b in BOUNDARIES]
    assert any("Coming in: @alice, @bruno" in p for p in printed)  # delivered to the console


def test_nothing_is_announced_on_a_holiday(db: Database) -> None:
    clock = FixedClock(DAY.replace(day=25, hour=8, minute=50))  # Wednesday: festiu
    runtime = runtime_on(db, clock)
    prepare(runtime)
    background = Background(runtime)
    run_day(clock, [background], DAY.replace(day=25, hour=9, minute=20))
    clock.set(DAY.replace(day=25, hour=13, minute=50))
    run_day(clock, [background], DAY.replace(day=25, hour=14, minute=10))
    assert messages(runtime) == []
    pbx = runtime.services.pbx
    assert isinstance(pbx, CountingPbx) and pbx.sets == []


def test_a_restart_runs_a_recent_missed_slot_once_and_skips_old_ones(
        db: Database, caplog: pytest.LogCaptureFixture) -> None:
    clock = FixedClock(DAY.replace(hour=8, minute=54))
    runtime = runtime_on(db, clock)
    prepare(runtime)
    first = Background(runtime)
    first.tick_all()
    first.shutdown()  # the process stops …
    clock.set(DAY.replace(hour=8, minute=58))  # … and is back 3 min after the 08:55 notice
    restarted = Background(runtime)
    restarted.tick_all()
    restarted.shutdown()
    assert [at for at, _ in team_notices(runtime)] == [DAY.replace(hour=8, minute=58)]
    clock.set(DAY.replace(hour=10, minute=40))  # 10:10 and 10:15 are too late: skipped
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        for _ in range(2):
            again = Background(runtime)
            again.tick_all()
            again.shutdown()
    assert len(team_notices(runtime)) == 1
    skipped = [r.getMessage().split(" skipped")[0] for r in caplog.records
               if "skipped: missed by" in r.getMessage()]
    assert skipped == ["shift-notice for 2026-11-23 10:10:00+01:00",
                       "queue-set for 2026-11-23 09:00:00+01:00",
                       "queue-set for 2026-11-23 10:15:00+01:00"]
    pbx = runtime.services.pbx
    assert isinstance(pbx, CountingPbx)
    assert pbx.sets == []  # 09:00 was not due at 08:58, and far too late at 10:40


def test_two_schedulers_send_one_message_per_slot_and_the_survivor_takes_over(
        db: Database) -> None:
    if db.backend != "postgresql":
        pytest.skip("replicas share a PostgreSQL database (SQLite: one process per file)")
    clock = FixedClock(DAY.replace(hour=8, minute=40))
    first = runtime_on(db, clock)
    second_engine = db.new_engine()
    second = runtime_on(db, clock, second_engine)
    prepare(first)
    a, b = Background(first), Background(second)
    try:
        run_day(clock, [a, b], DAY.replace(hour=14, minute=20), kill=(DAY.replace(hour=11), a))
        assert b.leadership.is_leader() is True  # the survivor leads …
        assert a.leadership.is_leader() is False  # … and a restarted process waits
    finally:
        a.shutdown()
        b.shutdown()
        second_engine.dispose()
    notices = team_notices(first)
    assert [at for at, _ in notices] == [x - timedelta(minutes=5) for x in BOUNDARIES]
    pbx_a, pbx_b = first.services.pbx, second.services.pbx
    assert isinstance(pbx_a, CountingPbx) and isinstance(pbx_b, CountingPbx)
    # The first leads until it dies at 11:00; the second sets the rest of the day.
    assert [at for at, _ in pbx_a.sets] == BOUNDARIES[:2]
    assert [at for at, _ in pbx_b.sets] == BOUNDARIES[2:]


def test_slots_before_the_first_start_on_a_new_database_were_not_missed(
        db: Database, caplog: pytest.LogCaptureFixture) -> None:
    clock = FixedClock(DAY.replace(hour=14, minute=43))  # after the day's turns and 05:30
    runtime = runtime_on(db, clock)
    prepare(runtime)
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        first = Background(runtime)
        first.tick_all()
        first.shutdown()
    assert [r.getMessage() for r in caplog.records] == []
    assert [key for key, *_ in messages(runtime) if key.startswith(("shift", "queue"))] == []
    with reading(runtime.services.sessions) as session:
        runs = session.scalars(select(ClockRun).order_by(ClockRun.job, ClockRun.slot)).all()
        skipped = {(r.job, r.slot.astimezone(MADRID)) for r in runs if r.outcome == "skipped"}
    assert len(runs) == len(skipped) == 1 + 2 * len(BOUNDARIES)  # recorded, never to run
    assert ("hr-sync", DAY.replace(hour=5, minute=30)) in skipped
    clock.set(DAY.replace(day=24, hour=10, minute=0))  # down over the next 05:30: missed
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        again = Background(runtime)
        again.run_job("hr-sync")
        again.shutdown()
    assert [r.getMessage().split(" skipped")[0] for r in caplog.records] == [
        "hr-sync for 2026-11-24 05:30:00+01:00"]
