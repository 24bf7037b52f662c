"""The traffic simulator of the sim PBX, driven by a fixed clock on every test database."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from integrations.clock import FixedClock
from integrations.pbx import MemberState
from integrations.pbx.sim.backend import SimPbx
from integrations.pbx.sim.traffic import CallEvent, CallEventKind, StepReport, TrafficSimulator
from store.calls.ingest import save_calls
from store.calls.records import CallInfo, CallRecord
from store.db import make_sessionmaker, transaction
from store.queue.sim_pbx import SimCall, SimMember
from store.team.people import Person
from tests.conftest import T0, Database

RING = 8.0
AGENTS = ["211", "212", "213", "214"]
Kind = CallEventKind


class Queue:
    """One sim queue with its members, a simulator on it and a clock both share."""

    def __init__(self, sessions: sessionmaker[Session], name: str, members: Sequence[str],
                 *, seed: int = 7, calls_per_hour: float = 60, talk: float = 180,
                 patience: float = 90) -> None:
        self.sessions = sessions
        self.name = name
        self.clock = FixedClock(T0)
        self.pbx = SimPbx(sessions, name, self.clock)
        with transaction(sessions) as session:
            known = set(session.scalars(select(Person.extension)))
            for extension in members:
                if extension not in known:
                    session.add(Person(key=f"p{extension}", name=f"Person {extension}",
                                       extension=extension, created_at=T0))
        self.pbx.set_members(members)
        self.sim = TrafficSimulator(sessions, name, seed=seed, calls_per_hour=calls_per_hour,
                                    mean_talk_seconds=talk, mean_patience_seconds=patience,
                                    ring_seconds=RING, start=T0)
        self.events: list[CallEvent] = []

    def step(self, delta: timedelta) -> StepReport:
        report = self.sim.step(self.clock.advance(delta))
        assert report.end == self.clock.now()
        self.events.extend(report.events)
        return report

    def run(self, total: timedelta, step: timedelta) -> None:
        end = self.clock.now() + total
        while self.clock.now() < end:
            self.step(min(step, end - self.clock.now()))

    def records(self) -> list[CallRecord]:
        with transaction(self.sessions) as session:
            return list(session.scalars(select(CallRecord).where(CallRecord.queue == self.name)
                                        .order_by(CallRecord.entered_at, CallRecord.id)))

    def open_calls(self) -> dict[str, SimCall]:
        with transaction(self.sessions) as session:
            return {c.call_id: c for c in session.scalars(
                select(SimCall).where(SimCall.queue == self.name))}

    def patience(self, call_id: str) -> timedelta:
        return self.sim.patience_and_talk(int(call_id.rsplit("-", 1)[1]))[0]

    def members(self) -> dict[str, SimMember]:
        with transaction(self.sessions) as session:
            return {m.extension: m for m in session.scalars(
                select(SimMember).where(SimMember.queue == self.name))}

    def rings(self) -> list[CallEvent]:
        return [e for e in self.events if e.kind is Kind.RINGING]


@pytest.fixture
def sessions(db: Database) -> sessionmaker[Session]:
    return make_sessionmaker(db.engine)


def comparable(records: list[CallRecord]) -> list[tuple[Any, ...]]:
    """A record without what legitimately differs between two queues (id, queue name)."""
    return [(r.call_id.rsplit("-", 1)[1], r.caller, r.entered_at, r.answered_at, r.ended_at,
             r.extension, r.outcome, r.wait_seconds, r.talk_seconds) for r in records]


def comparable_open(q: Queue) -> list[tuple[Any, ...]]:
    return sorted((c.call_id.rsplit("-", 1)[1], c.phase, c.extension, c.patience_until,
                   c.talk_until) for c in q.open_calls().values())


def member_rows(q: Queue) -> dict[str, tuple[Any, ...]]:
    return {e: (m.state, m.paused, m.call_id and m.call_id.rsplit("-", 1)[1], m.calls_taken,
                m.seconds_in_calls, m.last_call_at) for e, m in q.members().items()}


# ---------------------------------------------------------------- invariants


def test_invariants_over_a_few_hours(sessions: sessionmaker[Session]) -> None:
    q = Queue(sessions, "support", [*AGENTS, "215", "216"])
    q.pbx.pause("215", "lunch")
    q.pbx.set_state("216", MemberState.DISCONNECTED)
    sizes = [timedelta(seconds=s) for s in (7, 30, 61, 1, 240)]
    for i in range(400):
        q.step(sizes[i % len(sizes)])
    end = q.clock.now()
    records = q.records()
    assert len(records) > 100

    by_id = {r.call_id: r for r in records}
    assert [e.call_id for e in q.events if e.kind is Kind.ARRIVED] == list(by_id)
    still_open = q.open_calls()
    for r in records:
        assert r.entered_at <= end and r.source == "sim"
        parsed = phonenumbers.parse(r.caller)
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == r.caller
        patience = r.entered_at + q.patience(r.call_id)
        if r.outcome == "answered" and r.ended_at is not None:
            assert r.answered_at and r.extension in AGENTS and r.call_id not in still_open
            assert r.wait_seconds == (r.answered_at - r.entered_at).total_seconds() >= RING
            assert r.talk_seconds == (r.ended_at - r.answered_at).total_seconds() > 0
            assert r.answered_at <= patience
        elif r.outcome == "abandoned":
            assert r.answered_at is None and r.talk_seconds is None and r.ended_at
            assert r.extension is None and r.call_id not in still_open
            assert r.wait_seconds == (r.ended_at - r.entered_at).total_seconds()
            assert r.ended_at == patience  # wait = patience
        elif r.outcome == "waiting":  # in the queue, or a phone rings for it
            assert patience > end and r.extension is None and r.ended_at is None
            call = still_open[r.call_id]
            assert call.phase in ("waiting", "ringing") and call.patience_until == patience
            if call.phase == "ringing":
                assert call.talk_until and call.talk_until > end and call.extension in AGENTS
        else:
            assert r.outcome == "answered" and r.answered_at and r.ended_at is None
            call = still_open[r.call_id]
            assert call.phase == "talking" and call.talk_until and call.talk_until > end
            assert r.wait_seconds == (r.answered_at - r.entered_at).total_seconds() >= RING
    assert set(still_open) <= set(by_id)
    outcomes = {r.outcome for r in records}
    assert {"answered", "abandoned"} <= outcomes

    # What each member went through, from the events: one call at a time, ringing for
    # exactly the ring time before an answer, offered in the order callers arrived.
    busy: dict[str, str] = {}
    rang_at: dict[str, datetime] = {}
    abandoned_ringing = 0
    for e in q.events:
        if e.kind is Kind.RINGING:
            assert e.extension in AGENTS, "paused and disconnected members are never offered"
            assert e.extension not in busy, f"{e.extension} got two calls at once"
            busy[e.extension] = e.call_id
            rang_at[e.call_id] = e.at
        elif e.kind is Kind.ANSWERED:
            assert busy[e.extension] == e.call_id
            assert e.at - rang_at[e.call_id] == timedelta(seconds=RING)
        elif e.kind in (Kind.COMPLETED, Kind.ABANDONED) and e.extension is not None:
            assert busy.pop(e.extension) == e.call_id
            abandoned_ringing += e.kind is Kind.ABANDONED
    assert abandoned_ringing > 0, "callers also hang up while a phone rings"
    ring_order = [e.call_id for e in q.rings()]
    assert ring_order == sorted(ring_order)
    for r in records:
        last = [e for e in q.events if e.call_id == r.call_id][-1]
        expected = {"arrived": "waiting", "ringing": "waiting", "completed": "answered"}
        assert expected.get(last.kind.value, last.kind.value) == r.outcome
        assert (last.kind in (Kind.COMPLETED, Kind.ABANDONED)) == (r.ended_at is not None)

    members = q.members()
    for extension in AGENTS:
        done = [r for r in records if r.extension == extension and r.ended_at
                and r.outcome == "answered"]
        m = members[extension]
        assert m.calls_taken == len(done) > 0
        assert m.seconds_in_calls == sum(round(r.talk_seconds or 0) for r in done)
        assert m.last_call_at == max(r.ended_at for r in done if r.ended_at)
        current = [c for c in still_open.values() if c.extension == extension]
        assert m.call_id == (current[0].call_id if current else None)
        assert m.state == {"ringing": "ringing", "talking": "in_call"}.get(
            current[0].phase if current else "", "available")
    assert not [r for r in records if r.extension in ("215", "216")]
    assert (members["215"].paused, members["215"].state) == (True, "available")
    assert (members["216"].calls_taken, members["216"].state) == (0, "disconnected")


def test_with_no_members_every_caller_abandons(sessions: sessionmaker[Session]) -> None:
    q = Queue(sessions, "support", [])
    q.run(timedelta(hours=2), timedelta(seconds=45))
    records = q.records()
    assert len(records) > 60
    assert not q.rings()
    assert {r.outcome for r in records[:-5]} == {"abandoned"}
    for r in records:
        assert r.extension is None and r.answered_at is None
        if r.outcome == "abandoned":
            assert r.ended_at == r.entered_at + q.patience(r.call_id)
            assert r.wait_seconds == (r.ended_at - r.entered_at).total_seconds() > 0
        else:
            assert r.outcome == "waiting"
            assert r.entered_at + q.patience(r.call_id) > q.clock.now()
            assert q.open_calls()[r.call_id].phase == "waiting"


# ---------------------------------------------------------------- repeatability


def test_step_size_does_not_change_the_records(sessions: sessionmaker[Session]) -> None:
    big, small, odd = (Queue(sessions, name, AGENTS[:3], calls_per_hour=90)
                       for name in ("big", "small", "odd"))
    big.step(timedelta(hours=1))
    small.run(timedelta(hours=1), timedelta(seconds=1))
    sizes = random.Random(3)
    while odd.clock.now() < T0 + timedelta(hours=1):
        left = T0 + timedelta(hours=1) - odd.clock.now()
        odd.step(min(left, timedelta(seconds=sizes.uniform(0.001, 400))))

    expected = comparable(big.records())
    assert len(expected) > 50
    assert {"abandoned", "answered"} <= {r[6] for r in expected}
    assert any(r[6] == "answered" and r[4] is None for r in expected)  # one still talking
    assert comparable(small.records()) == expected
    assert comparable(odd.records()) == expected
    assert comparable_open(small) == comparable_open(big) == comparable_open(odd)
    assert member_rows(small) == member_rows(big) == member_rows(odd)
    assert [(e.kind, e.at, e.caller) for e in small.events] == [
        (e.kind, e.at, e.caller) for e in big.events]


def test_the_seed_decides_the_traffic(sessions: sessionmaker[Session]) -> None:
    runs = [Queue(sessions, f"q{seed}", AGENTS, seed=seed) for seed in (7, 7, 8)]
    for q in runs:
        q.run(timedelta(hours=1), timedelta(minutes=1))
    same, again, other = (comparable(q.records()) for q in runs)
    assert same == again
    assert [r[2] for r in other] != [r[2] for r in same]  # arrivals
    assert {r[1] for r in other} != {r[1] for r in same}  # callers


def test_more_agents_fewer_abandons(sessions: sessionmaker[Session]) -> None:
    few = Queue(sessions, "few", AGENTS[:2])
    many = Queue(sessions, "many", AGENTS)
    for q in (few, many):
        q.run(timedelta(hours=3), timedelta(minutes=2))
    few_records, many_records = few.records(), many.records()
    assert [(r.entered_at, r.caller) for r in few_records] == [
        (r.entered_at, r.caller) for r in many_records]  # the same callers in both

    def abandoned(records: list[CallRecord]) -> int:
        return sum(r.outcome == "abandoned" for r in records)

    assert 0 <= abandoned(many_records) < abandoned(few_records)


# ---------------------------------------------------------------- the queue changes


def step_until(q: Queue, condition: Any, limit: int = 2000) -> None:
    for _ in range(limit):
        if condition():
            return
        q.step(timedelta(seconds=5))
    raise AssertionError("the condition never held")


def in_call(q: Queue) -> list[SimMember]:
    return [m for m in q.members().values() if m.state == "in_call"]


def test_commands_between_steps(sessions: sessionmaker[Session]) -> None:
    q = Queue(sessions, "support", AGENTS, talk=300)
    with transaction(sessions) as session:
        session.add(Person(key="p217", name="Late Joiner", extension="217", created_at=T0))
    step_until(q, lambda: len(in_call(q)) >= 3)
    paused, removed, dropped = in_call(q)[:3]
    assert paused.call_id and removed.call_id and dropped.call_id
    q.pbx.pause(paused.extension, "break")
    q.pbx.remove_member(removed.extension)
    q.pbx.set_state(dropped.extension, MemberState.DISCONNECTED)
    q.pbx.add_member("217")
    changed_at = len(q.events)
    q.run(timedelta(hours=1), timedelta(seconds=20))

    later = q.events[changed_at:]
    rung = {e.extension for e in later if e.kind is Kind.RINGING}
    assert not rung & {paused.extension, removed.extension, dropped.extension}
    assert "217" in rung
    records = {r.call_id: r for r in q.records()}
    for held in (paused, removed, dropped):  # calls already in progress carry on
        assert held.call_id is not None
        record = records[held.call_id]
        assert (record.outcome, record.extension) == ("answered", held.extension)
        assert record.ended_at is not None
    members = q.members()
    assert removed.extension not in members
    assert members[paused.extension].paused and members[paused.extension].state == "available"
    assert members[paused.extension].calls_taken == paused.calls_taken + 1
    assert members[dropped.extension].state == "disconnected"
    assert members[dropped.extension].call_id is None

    q.pbx.resume(paused.extension)
    resumed_at = len(q.events)
    q.run(timedelta(hours=1), timedelta(seconds=20))
    assert paused.extension in {e.extension for e in q.events[resumed_at:]
                                if e.kind is Kind.RINGING}


def test_removed_and_added_back_mid_call_never_doubles_up(sessions: sessionmaker[Session]) -> None:
    q = Queue(sessions, "support", AGENTS[:1], talk=600, calls_per_hour=120)
    step_until(q, lambda: bool(in_call(q)))
    call_id = in_call(q)[0].call_id
    q.pbx.remove_member("211")
    q.pbx.add_member("211")
    q.run(timedelta(minutes=30), timedelta(seconds=10))
    first = next(r for r in q.records() if r.call_id == call_id)
    assert first.outcome == "answered" and first.ended_at
    rings_after = [e.at for e in q.rings() if e.call_id > (call_id or "")]
    assert rings_after and min(rings_after) >= first.ended_at


def test_longest_idle_member_rings_first_and_open_calls_are_resumed(
        sessions: sessionmaker[Session]) -> None:
    q = Queue(sessions, "support", AGENTS[:3], calls_per_hour=0.001)
    with transaction(sessions) as session:
        members = {m.extension: m for m in session.scalars(select(SimMember))}
        members["211"].last_call_at = T0 - timedelta(minutes=1)
        members["212"].last_call_at = T0 - timedelta(minutes=9)
        members["213"].last_call_at = T0 - timedelta(minutes=5)
        for n in (1, 2):  # left waiting by an earlier run
            entered = T0 - timedelta(seconds=30 - n)
            session.add(SimCall(call_id=f"support-00000{n}", queue="support",
                                caller="+34612345678", phase="waiting", entered_at=entered,
                                patience_until=T0 + timedelta(minutes=n)))
            save_calls(session, "sim", [CallInfo(f"support-00000{n}", "support", entered,
                                                 "waiting", caller="+34612345678")],
                       region="ES")
    report = q.step(timedelta(seconds=1))
    assert [(e.kind, e.call_id, e.extension, e.at) for e in report.events] == [
        (Kind.RINGING, "support-000001", "212", T0),
        (Kind.RINGING, "support-000002", "213", T0),
    ]
    q.pbx.set_state("213", MemberState.DISCONNECTED)  # the phone drops while it rings
    report = q.step(timedelta(seconds=RING))
    assert [(e.kind, e.extension) for e in report.events] == [
        (Kind.ANSWERED, "212"), (Kind.ANSWERED, "213")]
    members = q.members()
    assert (members["212"].state, members["212"].call_id) == ("in_call", "support-000001")
    assert (members["213"].state, members["213"].call_id) == ("disconnected", "support-000002")
    assert next(r for r in q.records() if r.call_id.endswith("1")).wait_seconds == 29 + RING


def test_numbering_carries_on_after_a_restart(sessions: sessionmaker[Session]) -> None:
    q = Queue(sessions, "support", AGENTS)
    q.run(timedelta(minutes=30), timedelta(seconds=30))
    before = q.records()
    q.sim = TrafficSimulator(sessions, "support", seed=7, calls_per_hour=60,
                             mean_talk_seconds=180, mean_patience_seconds=90,
                             ring_seconds=RING, start=q.clock.now())
    q.run(timedelta(minutes=30), timedelta(seconds=30))
    after = q.records()
    ids = [r.call_id for r in after]
    assert len(set(ids)) == len(ids) > len(before)
    assert {r.call_id for r in before if r.ended_at is None} & {
        r.call_id for r in after if r.ended_at is not None}


# ---------------------------------------------------------------- cost and readers


@contextmanager
def writes(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        text = statement.lstrip().upper()
        if text.startswith(("INSERT", "UPDATE", "DELETE")) or "FOR UPDATE" in text:
            seen.append(text)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_a_step_with_nothing_to_do_writes_nothing(db: Database,
                                                  sessions: sessionmaker[Session]) -> None:
    q = Queue(sessions, "support", AGENTS[:2], calls_per_hour=20, talk=900, patience=600)
    idle = busy = 0
    for _ in range(900):
        with writes(db) as seen:
            report = q.step(timedelta(seconds=2))
        if report.events:
            busy += 1
            assert seen
        else:
            idle += 1
            assert seen == [], f"an idle step wrote: {seen}"
    assert idle > 800 and busy > 5


def test_call_records_returns_what_the_simulator_wrote(sessions: sessionmaker[Session]) -> None:
    q = Queue(sessions, "support", AGENTS[:3])
    other = Queue(sessions, "sales", AGENTS[:3], seed=99)
    for queue in (q, other):
        queue.run(timedelta(hours=2), timedelta(minutes=1))
    last: dict[str, CallEvent] = {}
    answered: dict[str, datetime] = {}
    for e in q.events:
        last[e.call_id] = e
        if e.kind is Kind.ANSWERED:
            answered[e.call_id] = e.at
    first_hour = [cid for cid, e in last.items()
                  if next(a.at for a in q.events if a.call_id == cid) < T0 + timedelta(hours=1)]

    calls = q.pbx.call_records(T0, T0 + timedelta(hours=1))
    assert [c.call_id for c in calls] == first_hour
    for c in calls:
        e = last[c.call_id]
        assert c.queue == "support" and c.caller == e.caller
        assert c.outcome == {"arrived": "waiting", "ringing": "waiting",
                             "completed": "answered"}.get(e.kind.value, e.kind.value)
        assert c.answered_at == answered.get(c.call_id)
        if e.kind in (Kind.COMPLETED, Kind.ABANDONED):
            assert c.ended_at == e.at
            assert c.wait_seconds == ((c.answered_at or e.at) - c.entered_at).total_seconds()
        else:
            assert c.ended_at is None
        if e.kind is Kind.COMPLETED:
            assert c.talk_seconds == (e.at - answered[c.call_id]).total_seconds()
            assert c.extension == e.extension
    everything = q.pbx.call_records(T0, T0 + timedelta(hours=3))
    assert len(everything) == len(last) > len(calls)


def test_bad_arguments_are_refused_by_name(sessions: sessionmaker[Session]) -> None:
    good: dict[str, Any] = dict(seed=1, calls_per_hour=10, mean_talk_seconds=60,
                                mean_patience_seconds=30, start=T0)
    for field, value in (("calls_per_hour", 0), ("mean_talk_seconds", -1),
                         ("mean_patience_seconds", float("nan")), ("ring_seconds", -2),
                         ("start", datetime(2026, 1, 1))):  # noqa: DTZ001
        with pytest.raises(ValueError, match=field):
            TrafficSimulator(sessions, "support", **{**good, field: value})
    sim = TrafficSimulator(sessions, "support", **good)
    with pytest.raises(ValueError, match="now"):
        sim.step(datetime(2026, 11, 23, 10))  # noqa: DTZ001
    assert sim.step(T0 - timedelta(hours=1)).events == ()  # the past is a no-op
    assert sim.step(T0.astimezone(UTC)).begin == T0
