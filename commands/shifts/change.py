"""The shift change, run by the clock: a notice before each turn boundary, and the PBX
queue set to the timetable at the boundary.

- ``notice(services, boundary)`` (SHIFT_NOTICE_MINUTES before): the team space hears who
  comes in (as mentions) and who leaves, in one message in the team's language
  (``LANGUAGE``); each incoming agent gets a DM with their line and when their turn
  ends, in their own language.
- ``set_queue(services, boundary)``: the queue becomes the starting turn's people who
  are not absent (nobody after the last turn); pauses of people who stay are kept (every
  backend's ``set_members``). The differences, or the failure, go to the coordinators'
  space (in the team's language).

Both do nothing on a day without service or without a timetable. Messages are keyed by
(job, boundary), so running a slot twice sends nothing twice; the scheduler claims each
slot once (store/messaging/clockwork.py) so the PBX is set once too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from commands.core import (
    BROADCAST,
    COORDINATORS,
    TEAM,
    Mention,
    Reply,
    Services,
    mention,
    person_target,
)
from commands.format import first_name
from commands.queue.activity_sync import sync_with_pbx
from commands.shifts.day_plan import DayPlan, Turn, day_plan
from commands.shifts.onshift import ABSENT, absence_reason, view_turn
from integrations.errors import IntegrationError
from store.db import reading, transaction
from store.i18n import _, speaking
from store.team import people
from store.team.people import Person

log = logging.getLogger(__name__)


@dataclass
class ChangeReport:
    incoming: list[str] = field(default_factory=list)
    leaving: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    queue: list[str] | None = None  # the extensions the queue was set to
    error: str | None = None
    skipped: str | None = None


def boundaries(services: Services, day: date) -> list[datetime]:
    """The day's turn boundaries, when it has service and a timetable."""
    with reading(services.sessions) as session:
        plan = day_plan(session, services.settings, day)
    return plan.boundaries() if plan.open and plan.has_timetable else []


def notice_slots(services: Services, day: date) -> list[datetime]:
    ahead = timedelta(minutes=services.settings.shift_notice_minutes)
    return [b - ahead for b in boundaries(services, day)]


def _around(plan: DayPlan, boundary: datetime) -> tuple[Turn | None, Turn | None]:
    ending = next((t for t in plan.turns if t.end == boundary), None)
    starting = next((t for t in plan.turns if t.start == boundary), None)
    return ending, starting


def notice(services: Services, boundary: datetime) -> ChangeReport:
    config, now = services.settings, services.clock.now()
    report = ChangeReport()
    slot = f"{boundary.astimezone(config.timezone):%Y%m%dT%H%M}"
    with transaction(services.sessions) as session:
        plan = day_plan(session, config, boundary.astimezone(config.timezone).date())
        if not plan.open or not plan.has_timetable:
            report.skipped = plan.closed or "no timetable"
            return report
        ending, starting = _around(plan, boundary)
        before = plan.people_of(ending)
        coming: list[Person] = []
        absent: list[tuple[Person, str]] = []  # each with why, in the team's language
        lines: dict[int, str] = {}
        if starting is not None:
            view = view_turn(session, services, plan, starting, None, now)
            for p in view.presences:
                if p.state == ABSENT:
                    assert p.absence is not None
                    with speaking(None):
                        why = absence_reason(p.absence, config.timezone, now)
                    absent.append((p.person, why))
                elif p.person.id not in {b.id for b in before}:
                    coming.append(p.person)
                lines.setdefault(p.person.id, p.line)
        staying = {p.person.id for p in view.presences} if starting is not None else set()
        leaving = [p for p in before if p.id not in staying]
        if not coming and not leaving and not absent:
            report.skipped = "nobody changes"
            return report
        # One message to the team space, in the team's language, mentioning who comes in.
        with speaking(None):
            # One line per list: a notice too long for one message is cut between lines,
            # or between the names of a list, never losing a name (bot/render/split.py).
            services.notifier.send(session, TEAM, Reply(
                _team_notice(starting, boundary, coming, leaving, absent),
                mentions=tuple(Mention.of(p) for p in coming)),
                key=f"shift-notice:{slot}:team", priority=BROADCAST)
        for person in coming:  # each DM in its reader's language
            assert starting is not None
            with speaking(people.language_of(person)):
                services.notifier.send(session, person_target(person), Reply(
                    _("{name}, your turn starts at {start} on line {line} and ends at "
                      "{end}.").format(name=first_name(person),
                                       start=f"{starting.start:%H:%M}",
                                       line=lines[person.id], end=f"{starting.end:%H:%M}"),
                    private=True),
                    key=f"shift-notice:{slot}:dm:{person.key}", priority=BROADCAST)
        report.incoming = [p.key for p in coming]
        report.leaving = [p.key for p in leaving]
        report.absent = [p.key for p, _why in absent]
    return report


def _team_notice(starting: Turn | None, boundary: datetime, coming: list[Person],
                 leaving: list[Person], absent: list[tuple[Person, str]]) -> str:
    if starting is not None:
        parts = [_("Turn {number} ({label}) starts at {start}.").format(
            number=starting.number, label=starting.label, start=f"{starting.start:%H:%M}")]
    else:
        parts = [_("The last turn ends at {end}.").format(end=f"{boundary:%H:%M}")]
    if coming:
        parts.append(_("Coming in: {names}.").format(
            names=", ".join(mention(p) for p in coming)))
    if leaving:
        parts.append(_("Leaving: {names}.").format(names=", ".join(p.name for p in leaving)))
    if absent:
        parts.append(_("Absent: {names}.").format(
            names=", ".join(_("{name} ({why})").format(name=p.name, why=why)
                            for p, why in absent)))
    return "\n".join(parts)


def set_queue(services: Services, boundary: datetime) -> ChangeReport:
    config, now = services.settings, services.clock.now()
    report = ChangeReport()
    slot = f"{boundary.astimezone(config.timezone):%Y%m%dT%H%M}"
    with reading(services.sessions) as session:
        plan = day_plan(session, config, boundary.astimezone(config.timezone).date())
        if not plan.open or not plan.has_timetable:
            report.skipped = plan.closed or "no timetable"
            return report
        _ending, starting = _around(plan, boundary)
        wanted: list[Person] = []
        if starting is not None:
            view = view_turn(session, services, plan, starting, None, max(now, boundary))
            wanted = [p.person for p in view.presences if p.state != ABSENT]
    extensions = [p.extension for p in wanted if p.extension]
    missing = [p.name for p in wanted if not p.extension]
    try:  # the PBX first, with no transaction open
        before = {m.extension for m in services.pbx.queue_status()}
        services.pbx.set_members(extensions)
    except IntegrationError as exc:
        report.error = exc.message
        log.warning("queue not set at %s: %s", slot, exc)
        with transaction(services.sessions) as session, speaking(None):
            services.notifier.send(session, COORDINATORS, Reply(
                _("I could NOT set the queue for {turn}: {system} said: {message}. Please "
                  "set it by hand (/add, /remove).").format(
                    turn=_turn_name(starting, boundary), system=exc.system,
                    message=exc.message)),
                key=f"queue-set:{slot}:failed")
        return report
    report.queue = extensions
    sync_with_pbx(services)
    added = [p.name for p in wanted if p.extension and p.extension not in before]
    removed = sorted(before - set(extensions))
    if added or removed or missing:
        names: dict[str, str] = {}
        if removed:
            with reading(services.sessions) as session:
                names = {p.extension: p.name for p in people.all_people(session) if p.extension}
        with transaction(services.sessions) as session, speaking(None):
            parts = [_("Queue set for {turn}.").format(turn=_turn_name(starting, boundary))]
            if added:
                parts.append(_("Added: {names}.").format(names=", ".join(added)))
            if removed:
                parts.append(_("Removed: {names}.").format(names=", ".join(
                    names.get(e) or _("ext {extension}").format(extension=e)
                    for e in removed)))
            if missing:
                parts.append(_("No extension, so not added: {names}.").format(
                    names=", ".join(missing)))
            services.notifier.send(session, COORDINATORS, Reply("\n".join(parts)),
                                   key=f"queue-set:{slot}:done")
    return report


def _turn_name(turn: Turn | None, boundary: datetime) -> str:
    if turn is None:
        return _("the end of the day ({end}): nobody").format(end=f"{boundary:%H:%M}")
    return _("turn {number} ({label})").format(number=turn.number, label=turn.label)
