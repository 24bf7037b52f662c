"""The embedded PBX: queue membership, pauses and member states live in the store.

Every process (web server, console, CLI) sees the same queue because the state is a
table, not memory. Extensions are "registered devices" when some person in the store
has them, which is how a real PBX would know an extension.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from integrations.clock import Clock
from integrations.pbx.base import CallInfo, MemberState, MemberStatus, PbxError
from store import people
from store.db import transaction
from store.pbx import CallRecord, SimMember, calls_between, sim_member, sim_members

log = logging.getLogger(__name__)


class SimPbx:
    name = "sim"

    def __init__(self, sessions: sessionmaker[Session], queue: str, clock: Clock) -> None:
        self.sessions = sessions
        self.queue = queue
        self.clock = clock
        self.originated: list[tuple[str, str, datetime]] = []

    # ------------------------------------------------------------------ reading

    def queue_status(self) -> list[MemberStatus]:
        with transaction(self.sessions) as session:
            return [_status(m) for m in self._members(session)]

    def call_records(self, start: datetime, end: datetime) -> list[CallInfo]:
        with transaction(self.sessions) as session:
            return [_call(r) for r in calls_between(session, "sim", self.queue, start, end)]

    # ------------------------------------------------------------------ changing

    def pause(self, extension: str, reason: str | None = None) -> None:
        with transaction(self.sessions) as session:
            member = self._member(session, extension)
            if member.paused:
                raise PbxError(f"extension {extension} is already paused"
                               + (f" ({member.pause_reason})" if member.pause_reason else ""),
                               "already_paused")
            member.paused = True
            member.pause_reason = reason
            member.paused_since = self.clock.now()

    def resume(self, extension: str) -> None:
        with transaction(self.sessions) as session:
            member = self._member(session, extension)
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
            session.delete(self._member(session, extension))

    def set_members(self, extensions: Sequence[str]) -> None:
        wanted = list(dict.fromkeys(extensions))
        with transaction(self.sessions) as session:
            current = {m.extension: m for m in self._members(session)}
            for extension in wanted:
                if extension not in current:
                    self._add(session, extension)
            for extension, member in current.items():
                if extension not in wanted:
                    session.delete(member)

    def originate(self, extension: str, number: str) -> None:
        """Place a simulated call: the extension must exist. Calls are kept in
        ``originated`` (this process only) and logged; no call record is written."""
        with transaction(self.sessions) as session:
            if not self._known(session, extension):
                raise PbxError(f"extension {extension} does not exist", "unknown_extension")
        if not number.startswith("+") or not number[1:].isdigit():
            raise PbxError(f"{number!r} is not an E.164 number", "rejected")
        self.originated.append((extension, number, self.clock.now()))
        log.info("sim PBX: ringing %s, then dialling %s", extension, number)

    def set_state(self, extension: str, state: MemberState) -> None:
        """Change a member's device state (what a phone registering or dropping would do)."""
        with transaction(self.sessions) as session:
            self._member(session, extension).state = state.value

    # ------------------------------------------------------------------ helpers

    def _members(self, session: Session) -> list[SimMember]:
        return sim_members(session, self.queue)

    def _member(self, session: Session, extension: str) -> SimMember:
        member = sim_member(session, self.queue, extension)
        if member is None:
            if not self._known(session, extension):
                raise PbxError(f"extension {extension} does not exist", "unknown_extension")
            raise PbxError(f"extension {extension} is not a member of queue {self.queue}",
                           "not_member")
        return member

    def _known(self, session: Session, extension: str) -> bool:
        return people.by_extension(session, extension) is not None

    def _add(self, session: Session, extension: str) -> None:
        if not self._known(session, extension):
            raise PbxError(f"extension {extension} does not exist", "unknown_extension")
        if sim_member(session, self.queue, extension) is not None:
            raise PbxError(f"extension {extension} is already in queue {self.queue}",
                           "already_member")
        session.add(SimMember(queue=self.queue, extension=extension,
                              state=MemberState.AVAILABLE.value, added_at=self.clock.now()))
        session.flush()


def _status(m: SimMember) -> MemberStatus:
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


def _call(r: CallRecord) -> CallInfo:
    return CallInfo(
        call_id=r.call_id, queue=r.queue, entered_at=r.entered_at, outcome=r.outcome,
        caller=r.caller, answered_at=r.answered_at, ended_at=r.ended_at,
        extension=r.extension, wait_seconds=r.wait_seconds, talk_seconds=r.talk_seconds,
    )
