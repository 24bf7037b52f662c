"""Over-long pauses: one reminder to the agent, one word to the coordinators.

``remind_overdue(services)`` is run by the clock (every minute). It reconciles the log
with the PBX first, so a pause ended on the phone is not chased. Each pause is
reminded and escalated once: the log row remembers when (``reminded_at``,
``escalated_at``) and the outbox keys are per pause, so a second run, or a second
scheduler, sends nothing new. If the PBX cannot be read the job raises and sends
nothing: a reminder built on a stale log could chase someone who is back.
``/overdue`` shows coordinators the same list, built by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from commands.core import (
    COORDINATORS,
    Button,
    Command,
    Context,
    Reply,
    Section,
    Services,
    person_target,
)
from commands.format import clock_time, duration, first_name
from commands.queue.activity_sync import Reconciled, sync_with_pbx
from store.db import reading, transaction
from store.i18n import N_, _, ngettext, speaking
from store.queue import activity
from store.queue.activity import PAUSE, Activity, reason_name
from store.team.people import Person, Role, language_of


@dataclass(frozen=True)
class Overdue:
    row: Activity
    person: Person
    limit_minutes: int
    seconds: float

    @property
    def reason(self) -> str:
        return reason_name(self.row.reason) if self.row.reason else _("no reason")

    @property
    def values(self) -> dict[str, object]:
        """What the sentences about it say: {reason}, {duration}, {limit}."""
        return {"reason": self.reason, "duration": duration(self.seconds),
                "limit": self.limit_minutes}

    def lasting(self) -> str:
        return _("on {reason} for {duration} (the limit is {limit} min)").format(**self.values)


@dataclass
class OverdueReport:
    """Person keys reminded and escalated by one run, and what reconciling changed."""

    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    reconciled: Reconciled = field(default_factory=Reconciled)


def find_overdue(session: Session, now: datetime) -> list[Overdue]:
    """Open pauses whose reason has a maximum that they have gone past, longest first."""
    limits = {r.code: r.max_minutes for r in activity.reasons(session) if r.max_minutes}
    found = []
    for row in activity.open_activities(session, PAUSE):
        limit = limits.get(row.reason or "")
        seconds = activity.seconds_between(row.started_at, now)
        if limit and seconds > limit * 60:
            person = session.get(Person, row.person_id)
            assert person is not None  # the foreign key cascades deletes
            found.append(Overdue(row, person, limit, seconds))
    return sorted(found, key=lambda o: -o.seconds)


def remind_overdue(services: Services) -> OverdueReport:
    """The job: reconcile, then remind and escalate each over-long pause once."""
    _snapshot, reconciled = sync_with_pbx(services)
    report = OverdueReport(reconciled=reconciled)
    now = services.clock.now()
    with transaction(services.sessions) as session:
        for item in find_overdue(session, now):
            row = item.row
            if row.reminded_at is None:
                with speaking(language_of(item.person)):
                    to_agent = _to_agent(item)
                services.notifier.send(session, person_target(item.person), to_agent,
                                       key=f"pause-overdue:{row.id}:agent")
                row.reminded_at = now
                report.reminded.append(item.person.key)
            if row.escalated_at is None:
                with speaking(None):  # the coordinators' space: the team's language
                    to_coordinators = _to_coordinators(item)
                services.notifier.send(session, COORDINATORS, to_coordinators,
                                       key=f"pause-overdue:{row.id}:coordinators")
                row.escalated_at = now
                report.escalated.append(item.person.key)
    return report


def _to_agent(item: Overdue) -> Reply:
    return Reply(_("{name}, you have been on {reason} for {duration} (the limit is {limit} "
                   "min). Resume when you are back:").format(name=first_name(item.person),
                                                             **item.values),
                 (Section(buttons=(Button(label=_("Resume"), command="resume"),)),),
                 private=True)


def _to_coordinators(item: Overdue) -> Reply:
    return Reply(_("{name} has been on {reason} for {duration} (the limit is {limit} min); "
                   "they have been reminded.").format(name=item.person.name, **item.values),
                 (Section(buttons=(_resume_button(item.person),)),))


def _resume_button(person: Person) -> Button:
    return Button(label=_("Resume {name}").format(name=first_name(person)), command="resume",
                  args=f"@{person.key}")


def run(ctx: Context, services: Services) -> Reply:
    """/overdue: the over-long pauses right now (nothing is sent)."""
    snapshot, _reconciled = sync_with_pbx(services)
    tz = services.settings.timezone
    with reading(services.sessions) as session:
        items = find_overdue(session, snapshot.observed_at)
    if not items:
        return Reply(_("No pause is over its limit right now."), private=True)
    rows = []
    for item in items:
        told = (_("reminded {time}").format(time=clock_time(item.row.reminded_at, tz, ctx.now))
                if item.row.reminded_at else _("not reminded yet"))
        rows.append((item.person.name, f"{item.lasting()} · {told}"))
    buttons = tuple(_resume_button(i.person) for i in items)
    count = len(items)
    return Reply(ngettext("{n} pause is over the limit.", "{n} pauses are over the limit.",
                          count).format(n=count),
                 (Section(title=_("Over-long pauses"), rows=tuple(rows), buttons=buttons),),
                 private=True)


COMMAND = Command(
    name="overdue",
    run=run,
    summary=N_("List pauses that have gone past their reason's limit"),
    usage="/overdue",
    role=Role.COORDINATOR,
    aliases=("long pauses",),
)
