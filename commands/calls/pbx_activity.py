"""Agents' pauses and queue sessions from the PBX's own log, landed in the pause/session log.

Each ``AgentChange`` (a PAUSE, an UNPAUSEALL, an AGENTLOGIN …) is applied in time order
to ``agent_activity`` with source ``pbx``, so that replaying a log changes nothing:

- a start inside an interval the log already holds (a repeated PAUSEALL, a line read a
  second time) is ignored; a start while the person's pause is open is ignored too,
  except that a row the reconciliation opened a little after the fact (within
  ``ADOPT_WINDOW``) is moved back to the moment the PBX logged;
- an end closes the open row, if it began before; an end with nothing open is ignored;
- a restart of Asterisk (QUEUESTART) closes every pause and session the PBX's log opened
  (source ``pbx``) that is open at that moment.

Agents are people through their extension (``agent_extension``), or, logged by member
name, through their PBX member name (``pbx_name``, else their name:
``people.by_member_name``); an agent nobody in the store has is counted and skipped,
unless ``create_people`` (a throwaway database) adds those given by extension.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from commands.queue.activity_sync import pbx_reason
from integrations.pbx.asterisk.queue_log_calls import RESTART, AgentChange, is_member_name
from store.queue import activity
from store.team import people
from store.team.people import Person

ADOPT_WINDOW = timedelta(minutes=5)


@dataclass
class AgentReport:
    opened: int = 0
    closed: int = 0
    unchanged: int = 0
    unknown_agents: set[str] = field(default_factory=set)

    def add(self, other: AgentReport) -> None:
        self.opened += other.opened
        self.closed += other.closed
        self.unchanged += other.unchanged
        self.unknown_agents |= other.unknown_agents


def apply_agent_changes(session: Session, changes: Iterable[AgentChange], *,
                        create_people: bool = False,
                        named: Mapping[str, Person] | None = None) -> AgentReport:
    """``named``: ``people.by_member_name`` when the caller read it already."""
    report = AgentReport()
    members = _Members(session, named)
    persons: dict[str, Person | None] = {}
    reasons: dict[str | None, str] = {}  # the PBX's reason → ours
    for change in sorted(changes, key=lambda c: (c.at, c.line)):
        if change.kind == RESTART:
            _restart(session, change, report)
            continue
        person = _person(session, change, persons, members, create_people)
        if person is None:
            report.unknown_agents.add(change.agent)
            continue
        activity.lock_person(session, person.id)
        if change.starts:
            _start(session, person, change, report, reasons)
        else:
            _stop(session, person, change, report)
    return report


class _Members:
    """``people.by_member_name``, read when first needed."""

    def __init__(self, session: Session, named: Mapping[str, Person] | None) -> None:
        self.session, self.named = session, named

    def get(self, agent: str) -> Person | None:
        if self.named is None:
            self.named = people.by_member_name(self.session)
        return self.named.get(people.member_key(agent))


def _person(session: Session, change: AgentChange, cache: dict[str, Person | None],
            members: _Members, create: bool) -> Person | None:
    key = change.extension or change.agent
    if key in cache:
        return cache[key]
    person = people.by_extension(session, change.extension) if change.extension else None
    if person is None and change.extension is None and is_member_name(change.agent):
        person = members.get(change.agent)  # log_membername_as_agent: a member name
    if person is None and create and change.extension:
        person = Person(key=f"ext-{change.extension}".lower()[:64], name=change.agent[:200],
                        extension=change.extension, created_at=change.at)
        session.add(person)
        session.flush()
    cache[key] = person
    return person


def _start(session: Session, person: Person, change: AgentChange, report: AgentReport,
           reasons: dict[str | None, str]) -> None:
    rows = activity.around(session, person.id, change.kind, change.at)
    if any(row.ended_at is not None for row in rows):  # an interval we hold covers it
        report.unchanged += 1
        return
    current = rows[0] if rows else None  # the open one (the latest, should there be two)
    if current is not None:
        if (current.started_at > change.at and current.source == "pbx"
                and current.started_at - change.at <= ADOPT_WINDOW):
            current.started_at = change.at
            report.opened += 1
        else:
            report.unchanged += 1
        return
    reason = None
    if change.kind == activity.PAUSE:
        if change.reason not in reasons:
            reasons[change.reason] = pbx_reason(session, change.reason)
        reason = reasons[change.reason]
    activity.start(session, person.id, change.kind, change.at, reason=reason, source="pbx")
    report.opened += 1


def _stop(session: Session, person: Person, change: AgentChange, report: AgentReport) -> None:
    current = activity.open_activity(session, person.id, change.kind)
    if current is None or current.started_at > change.at:
        report.unchanged += 1
        return
    activity.finish(current, change.at)
    report.closed += 1


RESTART_NOTE = "Asterisk restarted"


def _restart(session: Session, change: AgentChange, report: AgentReport) -> None:
    """Every open pause and session the PBX's log opened before the restart ends there."""
    for kind in (activity.PAUSE, activity.SESSION):
        for row in activity.open_activities(session, kind):
            if row.source != "pbx" or row.started_at > change.at:
                continue
            activity.lock_person(session, row.person_id)
            activity.finish(row, change.at, note=RESTART_NOTE)
            report.closed += 1
