"""Callers for the embedded ``sim`` PBX: they arrive, ring a member, talk, hang up or give up.

A discrete-event simulation whose state between steps is the store — the queue's members
(``SimMember``) and its calls in progress (``SimCall`` waiting, ringing or talking) — plus
the arrival stream kept in this object. So the web server, the console and the CLI see the
same queue, commands may pause, resume, add or remove members between two steps, and a
restarted simulator carries on with the calls left open. What each call was is written as
a call record (``store.calls.ingest.save_calls``, source ``sim``) in the same transaction,
like every other source's calls: ``waiting`` from its arrival, ``answered`` once a member
picks up, and its end.

Bookkeeping on a call in progress: ``patience_until`` is when the caller hangs up if
nobody has answered yet; ``talk_until`` is when the member's current phase ends — the
answer while the call rings, the hang-up once it is answered.

Repeatable: each call's caller, patience and talk time come from RNGs seeded with (seed,
call number), the arrivals from an RNG of their own, and simultaneous events are handled in
a fixed order, so the same seed and the same member changes write the same records whatever
the step sizes.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import phonenumbers
from sqlalchemy.orm import Session, sessionmaker

from integrations.pbx.base import MemberState
from store.calls.ingest import save_calls
from store.calls.records import ABANDONED, ANSWERED, WAITING, CallInfo, last_call_id
from store.db import transaction
from store.queue.sim_pbx import RINGING, TALKING, SimCall, SimMember, sim_calls, sim_members

__all__ = ["RING_SECONDS", "CallEvent", "CallEventKind", "StepReport", "TrafficSimulator"]

RING_SECONDS = 8.0
# A few numbers call again and again, as real customers do.
REGULAR_CALLERS = 12
REGULAR_SHARE = 0.2
# The longest stretch of simulated time handled in one transaction (a catch-up after the
# laptop slept is split, so commands never wait long for the store).
CHUNK = timedelta(minutes=5)
# Callers are drawn in E.164 already; any region reads them.
REGION = "ES"


class CallEventKind(StrEnum):
    ARRIVED = "arrived"
    RINGING = "ringing"
    ANSWERED = "answered"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


# Simultaneous events: a member freed at t can take a caller arriving at t, and a caller
# answered at the very moment their patience runs out counts as answered.
_PRIORITY = {CallEventKind.COMPLETED: 0, CallEventKind.ANSWERED: 1,
             CallEventKind.ABANDONED: 2, CallEventKind.ARRIVED: 3}


@dataclass(frozen=True)
class CallEvent:
    """Something that happened to one call (a RINGING event is what a screen pop needs)."""

    kind: CallEventKind
    at: datetime
    call_id: str
    caller: str | None
    extension: str | None = None


@dataclass(frozen=True)
class StepReport:
    """What one ``step`` simulated: the interval (begin, end] and its events in order."""

    begin: datetime
    end: datetime
    events: tuple[CallEvent, ...] = ()

    def count(self, kind: CallEventKind) -> int:
        return sum(1 for e in self.events if e.kind is kind)


@dataclass
class _Arrivals:
    number: int  # the next caller's call number
    at: datetime  # when that caller arrives
    rng: random.Random

    def copy(self) -> _Arrivals:
        rng = random.Random()
        rng.setstate(self.rng.getstate())
        return _Arrivals(self.number, self.at, rng)


class TrafficSimulator:
    """Simulated callers on one queue of the ``sim`` PBX; call ``step(now)`` every few seconds."""

    def __init__(self, sessions: sessionmaker[Session], queue: str, *, seed: int,
                 calls_per_hour: float, mean_talk_seconds: float,
                 mean_patience_seconds: float, ring_seconds: float = RING_SECONDS,
                 start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start: expected a timezone-aware datetime")
        for name, value in (("calls_per_hour", calls_per_hour),
                            ("mean_talk_seconds", mean_talk_seconds),
                            ("mean_patience_seconds", mean_patience_seconds)):
            if not value > 0:
                raise ValueError(f"{name}: expected a positive number, got {value!r}")
        if not ring_seconds >= 0:
            raise ValueError(f"ring_seconds: expected zero or more, got {ring_seconds!r}")
        if not queue or len(queue) > 56:
            raise ValueError("queue: expected a name of 1 to 56 characters (it prefixes call ids)")
        self.sessions = sessions
        self.queue = queue
        self.seed = seed
        self.ring = timedelta(seconds=ring_seconds)
        self._mean_gap = 3600.0 / calls_per_hour
        self._mean_talk = mean_talk_seconds
        self._mean_patience = mean_patience_seconds
        self._cursor = start.astimezone(UTC)
        self._arrivals: _Arrivals | None = None
        self._lock = threading.Lock()

    def step(self, now: datetime) -> StepReport:
        """Simulate from the previous step (or ``start``) to ``now``; earlier ``now`` is a no-op."""
        if now.tzinfo is None:
            raise ValueError("now: expected a timezone-aware datetime")
        until = now.astimezone(UTC)
        events: list[CallEvent] = []
        with self._lock:
            begin = self._cursor
            while self._cursor < until:
                self._advance(min(until, self._cursor + CHUNK), events)
        return StepReport(begin=begin, end=max(begin, until), events=tuple(events))

    def _advance(self, until: datetime, events: list[CallEvent]) -> None:
        # The arrival stream is only kept if the transaction commits.
        arrivals = self._arrivals.copy() if self._arrivals else None
        done: list[CallEvent] = []
        with transaction(self.sessions) as session:
            if arrivals is None:
                arrivals = self._first_arrivals(session)
            _Interval(self, session, arrivals, done).run(self._cursor, until)
        self._arrivals, self._cursor = arrivals, until
        events.extend(done)

    def _first_arrivals(self, session: Session) -> _Arrivals:
        # Carry on numbering after the calls of an earlier run in the same store.
        last = last_call_id(session, "sim", self.queue)
        number = _number(last) + 1 if last else 1
        rng = random.Random(f"{self.seed}:arrivals:{number}")
        return _Arrivals(number, self._cursor + self.gap(rng), rng)

    # ------------------------------------------------------------ draws

    def call_id(self, number: int) -> str:
        return f"{self.queue}-{number:06d}"

    def gap(self, rng: random.Random) -> timedelta:
        return timedelta(seconds=rng.expovariate(1 / self._mean_gap))

    def patience_and_talk(self, number: int) -> tuple[timedelta, timedelta]:
        rng = random.Random(f"{self.seed}:call:{number}")
        patience = rng.expovariate(1 / self._mean_patience)
        talk = rng.expovariate(1 / self._mean_talk)
        return timedelta(seconds=patience), timedelta(seconds=talk)

    def caller(self, number: int) -> str:
        rng = random.Random(f"{self.seed}:caller:{number}")
        if rng.random() < REGULAR_SHARE:
            rng = random.Random(f"{self.seed}:regular:{rng.randrange(REGULAR_CALLERS)}")
        return spanish_mobile(rng)


def spanish_mobile(rng: random.Random) -> str:
    """A valid Spanish mobile number in E.164 (+34 6xx xxx xxx)."""
    for _ in range(20):
        parsed = phonenumbers.parse(f"+346{rng.randrange(10**8):08d}")
        if (phonenumbers.is_valid_number(parsed)
                and phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    raise RuntimeError("the phone number metadata no longer accepts +34 6xx mobiles")


def _number(call_id: str) -> int:
    tail = call_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


_Due = tuple[datetime, int, int, CallEventKind, SimCall | None]


class _Interval:
    """One transaction's worth of simulated time, (begin, until]."""

    def __init__(self, sim: TrafficSimulator, session: Session, arrivals: _Arrivals,
                 events: list[CallEvent]) -> None:
        self.sim = sim
        self.session = session
        self.arrivals = arrivals
        self.events = events
        self.calls: list[SimCall] = []
        self.members: list[SimMember] = []
        self.records: dict[str, CallInfo] = {}  # what changed, written once at the end

    def run(self, begin: datetime, until: datetime) -> None:
        self.calls = sim_calls(self.session, self.sim.queue)
        self.members = self._members(lock=False)
        if self._next(until) is None and not self._offerable():
            return  # nothing happens: read, write nothing
        # Lock the members only now: a pause or removal committed meanwhile is seen, and
        # one arriving while we work waits for us instead of losing its update.
        self.members = self._members(lock=True)
        self._simulate(begin, until)
        if self.records:
            save_calls(self.session, "sim", self.records.values(), region=REGION)

    def _simulate(self, begin: datetime, until: datetime) -> None:
        offered_at_begin = False
        while True:
            due = self._next(until)
            # Members changed by commands since the last step may take waiting callers at
            # the start of the interval (after any events left over from a previous run).
            if not offered_at_begin and (due is None or due[0] >= begin):
                self._offer(begin)
                offered_at_begin = True
                continue
            if due is None:
                return
            at, _, _, kind, call = due
            if call is None:
                self._arrive(at)
            elif kind is CallEventKind.ANSWERED:
                self._answer(call, at)
            elif kind is CallEventKind.COMPLETED:
                self._complete(call, at)
            else:
                self._abandon(call, at)
            self._offer(at)

    def _members(self, *, lock: bool) -> list[SimMember]:
        return sim_members(self.session, self.sim.queue, lock=lock)

    def _next(self, until: datetime) -> _Due | None:
        candidates: list[_Due] = [(self.arrivals.at, _PRIORITY[CallEventKind.ARRIVED],
                                   self.arrivals.number, CallEventKind.ARRIVED, None)]
        for call in self.calls:
            number = _number(call.call_id)
            phases: list[tuple[datetime | None, CallEventKind]] = []
            if call.phase in (WAITING, RINGING):
                phases.append((call.patience_until, CallEventKind.ABANDONED))
            if call.phase == RINGING:
                phases.append((call.talk_until, CallEventKind.ANSWERED))
            if call.phase == TALKING:
                phases.append((call.talk_until, CallEventKind.COMPLETED))
            candidates.extend((at, _PRIORITY[kind], number, kind, call)
                              for at, kind in phases if at is not None)
        first = min(candidates, key=lambda c: (c[0], c[1], c[2]))
        return first if first[0] <= until else None

    # ------------------------------------------------------------ offering

    def _free(self) -> list[SimMember]:
        """Members who may ring now, longest idle first."""
        busy = {c.extension for c in self.calls if c.phase in (RINGING, TALKING)}
        free = [m for m in self.members
                if m.state == MemberState.AVAILABLE.value and not m.paused
                and m.call_id is None and m.extension not in busy]
        return sorted(free, key=lambda m: (m.last_call_at or m.added_at, m.extension))

    def _waiting(self) -> list[SimCall]:
        waiting = [c for c in self.calls if c.phase == WAITING]
        return sorted(waiting, key=lambda c: (c.entered_at, _number(c.call_id)))

    def _offerable(self) -> bool:
        return bool(self._waiting()) and bool(self._free())

    def _offer(self, at: datetime) -> None:
        waiting = self._waiting()
        if not waiting:
            return
        for call, member in zip(waiting, self._free(), strict=False):
            call.phase = RINGING
            call.extension = member.extension
            call.talk_until = at + self.sim.ring
            member.state = MemberState.RINGING.value
            member.call_id = call.call_id
            self._emit(CallEventKind.RINGING, call, at)

    # ------------------------------------------------------------ events

    def _arrive(self, at: datetime) -> None:
        number = self.arrivals.number
        patience, _talk = self.sim.patience_and_talk(number)
        call = SimCall(call_id=self.sim.call_id(number), queue=self.sim.queue,
                       caller=self.sim.caller(number), entered_at=at, phase=WAITING,
                       patience_until=at + patience)
        self.session.add(call)
        self.calls.append(call)
        self.records[call.call_id] = CallInfo(
            call_id=call.call_id, queue=call.queue, entered_at=at, outcome=WAITING,
            caller=call.caller)
        self.arrivals.number = number + 1
        self.arrivals.at = at + self.sim.gap(self.arrivals.rng)
        self._emit(CallEventKind.ARRIVED, call, at)

    def _answer(self, call: SimCall, at: datetime) -> None:
        _patience, talk = self.sim.patience_and_talk(_number(call.call_id))
        call.phase = TALKING
        call.answered_at = at
        call.talk_until = at + talk
        member = self._holder(call)
        if member is not None and member.state == MemberState.RINGING.value:
            member.state = MemberState.IN_CALL.value
        self._record(call, outcome=ANSWERED, answered_at=at, extension=call.extension,
                     wait_seconds=(at - call.entered_at).total_seconds())
        self._emit(CallEventKind.ANSWERED, call, at)

    def _complete(self, call: SimCall, at: datetime) -> None:
        assert call.answered_at is not None
        talk = (at - call.answered_at).total_seconds()
        # A member removed (or removed and added again) mid-call is not credited with it.
        member = self._holder(call)
        if member is not None:
            member.call_id = None
            if member.state in (MemberState.IN_CALL.value, MemberState.RINGING.value):
                member.state = MemberState.AVAILABLE.value
            member.calls_taken += 1
            member.seconds_in_calls += round(talk)
            member.last_call_at = at
        self._record(call, ended_at=at, talk_seconds=talk)
        self._close(call, CallEventKind.COMPLETED, at)

    def _abandon(self, call: SimCall, at: datetime) -> None:
        member = self._holder(call) if call.phase == RINGING else None
        if member is not None:
            member.call_id = None
            if member.state == MemberState.RINGING.value:
                member.state = MemberState.AVAILABLE.value
        self._record(call, outcome=ABANDONED, ended_at=at,
                     wait_seconds=(at - call.entered_at).total_seconds())
        self._close(call, CallEventKind.ABANDONED, at)

    def _record(self, call: SimCall, **changes: Any) -> None:
        current = self.records.get(call.call_id) or CallInfo(
            call_id=call.call_id, queue=call.queue, entered_at=call.entered_at,
            outcome=WAITING if call.answered_at is None else ANSWERED, caller=call.caller,
            answered_at=call.answered_at,
            extension=call.extension if call.answered_at is not None else None,
            wait_seconds=(None if call.answered_at is None
                          else (call.answered_at - call.entered_at).total_seconds()))
        self.records[call.call_id] = current._replace(**changes)

    def _holder(self, call: SimCall) -> SimMember | None:
        return next((m for m in self.members
                     if m.extension == call.extension and m.call_id == call.call_id), None)

    def _close(self, call: SimCall, kind: CallEventKind, at: datetime) -> None:
        self.calls.remove(call)
        self._emit(kind, call, at)
        if call in self.session.new:  # arrived and ended within this interval
            self.session.expunge(call)
        else:
            self.session.delete(call)

    def _emit(self, kind: CallEventKind, call: SimCall, at: datetime) -> None:
        self.events.append(CallEvent(kind, at, call.call_id, call.caller, call.extension))
