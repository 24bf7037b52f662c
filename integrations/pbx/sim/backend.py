"""The embedded PBX: queue membership, pauses and member states live in the store.

Every process (web server, console, CLI) sees the same queue because the state is a
table, not memory. Extensions are "registered devices" when some person in the store
has them, which is how a real PBX would know an extension.

A change to a member locks its row first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
serialises writers anyway), so two /pause of one agent at the same moment are applied
one after the other and the second is refused as already paused, as a real PBX would.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from integrations.clock import Clock
from integrations.pbx.base import (
    CallInfo,
    LiveQueue,
    MemberState,
    MemberStatus,
    PbxError,
    PbxUser,
    WaitingCall,
)
from store.calls.records import calls_between
from store.db import reading, transaction
from store.queue.sim_pbx import (
    RINGING,
    WAITING,
    MemberRow,
    SimMember,
    sim_calls,
    sim_member,
    sim_member_rows,
    sim_members,
)
from store.team import people
from store.team.people import Person

log = logging.getLogger(__name__)


class SimPbx:
    name = "sim"

    def __init__(self, sessions: sessionmaker[Session], queue: str, clock: Clock) -> None:
        self.sessions = sessions
        self.queue = queue
        self.clock = clock
        self.originated: list[tuple[str, str, datetime]] = []
        # pbx sync's users, in the process: at first every extension of the people list,
        # named as a PBX names what nobody has named yet.
        self._users: dict[str, PbxUser] | None = None

    # ------------------------------------------------------------------ reading

    def queue_status(self) -> list[MemberStatus]:
        with reading(self.sessions) as session:
            return [_status(m) for m in sim_member_rows(session, self.queue)]

    def call_records(self, start: datetime, end: datetime) -> list[CallInfo]:
        """What the traffic simulator recorded (it writes call records as calls go)."""
        with reading(self.sessions) as session:
            return calls_between(session, "sim", self.queue, start, end)

    def waiting_calls(self) -> LiveQueue:
        """The simulated callers not answered yet (waiting, or with a phone ringing)."""
        now = self.clock.now()
        with reading(self.sessions) as session:
            calls = [c for c in sim_calls(session, self.queue) if c.phase in (WAITING, RINGING)]
        waiting = tuple(WaitingCall(position=n, caller=c.caller,
                                    wait_seconds=max((now - c.entered_at).total_seconds(), 0.0))
                        for n, c in enumerate(calls, start=1))
        return LiveQueue(calls=len(waiting), waiting=waiting)

    # ------------------------------------------------------------------ changing

    def pause(self, extension: str, reason: str | None = None) -> None:
        with transaction(self.sessions) as session:
            member = self._member(session, extension, lock=True)
            if member.paused:
                raise PbxError(f"extension {extension} is already paused"
                               + (f" ({member.pause_reason})" if member.pause_reason else ""),
                               "already_paused")
            member.paused = True
            member.pause_reason = reason
            member.paused_since = self.clock.now()

    def resume(self, extension: str) -> None:
        with transaction(self.sessions) as session:
            member = self._member(session, extension, lock=True)
            if not member.paused:
                raise PbxError(f"extension {extension} is not paused", "not_paused")
            member.paused = False
            member.pause_reason = None
            member.paused_since = None

    def add_member(self, extension: str) -> None:
        with transaction(self.sessions) as session:
            self._add(session, extension)

    def remove_member(self, extension: str) -> None:
        with transaction(self.sessions) as session:
            session.delete(self._member(session, extension, lock=True))

    def set_members(self, extensions: Sequence[str]) -> None:
        wanted = list(dict.fromkeys(extensions))
        with transaction(self.sessions) as session:
            current = {m.extension: m for m in self._members(session, lock=True)}
            for extension in wanted:
                if extension not in current:
                    self._add(session, extension)
            for extension, member in current.items():
                if extension not in wanted:
                    session.delete(member)

    def originate(self, extension: str, number: str, ref: str) -> bool:
        """Place a simulated call: the extension must exist. Calls are kept in
        ``originated`` (this process only) and logged; no call record is written."""
        with transaction(self.sessions) as session:
            if not self._known(session, extension):
                raise PbxError(f"extension {extension} does not exist", "unknown_extension")
        if not number.startswith("+") or not number[1:].isdigit():
            raise PbxError(f"{number!r} is not an E.164 number", "rejected")
        self.originated.append((extension, number, self.clock.now()))
        log.info("sim PBX: ringing %s, then dialling %s", extension, number)
        return False  # the simulator does not say how the call went

    # ------------------------------------------------------------------ users (pbx sync)

    can_create = True

    def users(self) -> list[PbxUser]:
        return sorted(self._user_table().values(), key=lambda u: u.extension)

    def stored_as(self, extension: str, name: str, email: str | None) -> PbxUser:
        return PbxUser(extension, name, email)

    def set_user(self, extension: str, name: str, email: str | None) -> None:
        self._user_table()[extension] = self.stored_as(extension, name, email)

    def free_user(self, extension: str) -> None:
        table = self._user_table()
        if extension not in table:
            raise PbxError(f"extension {extension} does not exist", "unknown_extension")
        table[extension] = PbxUser(extension, "", free=True)

    def _user_table(self) -> dict[str, PbxUser]:
        if self._users is None:
            with reading(self.sessions) as session:
                extensions = {p.extension for p in people.all_people(session) if p.extension}
            self._users = {e: PbxUser(e, f"Extension {e}") for e in sorted(extensions)}
        return self._users

    def set_state(self, extension: str, state: MemberState) -> None:
        """Change a member's device state (what a phone registering or dropping would do)."""
        with transaction(self.sessions) as session:
            self._member(session, extension, lock=True).state = state.value

    # ------------------------------------------------------------------ helpers

    def _members(self, session: Session, *, lock: bool = False) -> list[SimMember]:
        return sim_members(session, self.queue, lock=lock)

    def _member(self, session: Session, extension: str, *, lock: bool = False) -> SimMember:
        member = sim_member(session, self.queue, extension, lock=lock)
        if member is None:
            if not self._known(session, extension):
                raise PbxError(f"extension {extension} does not exist", "unknown_extension")
            raise PbxError(f"extension {extension} is not a member of queue {self.queue}",
                           "not_member")
        return member

    def _known(self, session: Session, extension: str, *, lock: bool = False) -> bool:
        person = people.by_extension(session, extension)
        if person is not None and lock:  # two adds of one extension wait for each other
            session.execute(select(Person.id).where(Person.id == person.id).with_for_update())
        return person is not None

    def _add(self, session: Session, extension: str) -> None:
        if not self._known(session, extension, lock=True):
            raise PbxError(f"extension {extension} does not exist", "unknown_extension")
        if sim_member(session, self.queue, extension) is not None:
            raise PbxError(f"extension {extension} is already in queue {self.queue}",
                           "already_member")
        session.add(SimMember(queue=self.queue, extension=extension,
                              state=MemberState.AVAILABLE.value, added_at=self.clock.now()))
        session.flush()


def _status(m: SimMember | MemberRow) -> MemberStatus:
    return MemberStatus(
        extension=m.extension,
        state=MemberState(m.state),
        paused=m.paused,
        pause_reason=m.pause_reason,
        paused_since=m.paused_since,
        calls_taken=m.calls_taken,
        seconds_in_calls=m.seconds_in_calls,
        last_call_at=m.last_call_at,
    )

