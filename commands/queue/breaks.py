"""/breaks: pauses per reason and time logged in, per agent, over a day or the week.

Periods are the statistics' (``commands.stats.period``), in the team's time zone:
``today`` is local midnight → now, a date (YYYY-MM-DD) that local day, ``week`` Monday
00:00 → now, ``month`` the 1st → now, ``FROM..TO`` those days. Pauses and sessions are
clipped to the period, and one still open counts up to the end of the period or now,
whichever comes first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from commands.core import Command, Context, Denied, Reply, Section, Services, UsageError
from commands.format import duration, first_name
from commands.refs import split_person
from commands.stats.period import FORMS, Period, parse_period
from commands.words import canonical
from store.db import reading
from store.i18n import N_, _, ngettext, pgettext
from store.queue import activity
from store.queue.activity import PAUSE, SESSION, Span, reason_name
from store.team import people
from store.team.people import Role

# The row of pauses logged without a reason (translated where shown).
NO_REASON = N_("no reason")


@dataclass
class Totals:
    """One person's figures over a period: per reason [pauses, seconds], and logged-in time."""

    pauses: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0, 0.0]))
    logged_in: float = 0.0

    def add(self, row: Span, period: Period) -> None:
        seconds = activity.seconds_within(row, period.begin, period.end)
        if row.kind == SESSION:
            self.logged_in += seconds
        elif row.kind == PAUSE:
            entry = self.pauses[row.reason or NO_REASON]
            entry[0] += 1
            entry[1] += seconds


def run(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        person, words = split_person(session, ctx.args)
        if len(words) > 1:
            raise UsageError(_("Give one period ({forms}), not {words}.").format(
                forms=FORMS, words=repr(" ".join(words))))
        # "avui", "ayer", "semana", "mês": the period words in any language.
        period = parse_period(canonical(words[0]) if words else None, ctx.now,
                              services.settings.timezone)
        is_coordinator = ctx.role.allows(Role.COORDINATOR)
        if person is not None and person.id != ctx.person.id and not is_coordinator:
            raise Denied(_("Agents can see only their own breaks; ask a coordinator for "
                           "{name}'s.").format(name=first_name(person)))
        if person is None and not is_coordinator:
            person = ctx.person
        rows = activity.in_period(session, period.begin, period.end,
                                  person_id=person.id if person else None)
        totals: dict[int, Totals] = defaultdict(Totals)
        for row in rows:
            totals[row.person_id].add(row, period)
        if person is not None:
            totals.setdefault(person.id, Totals())
        names = {p.id: p.name for p in people.all_people(session) if p.id in totals}
        order = [r.code for r in activity.reasons(session)]
    sections = tuple(_section(names[pid], totals[pid], order)
                     for pid in sorted(totals, key=lambda pid: names[pid].casefold()))
    if not sections:
        return Reply(_("No pauses or time in the queue {period}.").format(period=period.label),
                     private=True)
    return Reply(_("Breaks {period}:").format(period=period.label), sections, private=True)


def _section(name: str, totals: Totals, order: list[str]) -> Section:
    codes = sorted(totals.pauses, key=lambda c: (order.index(c) if c in order else len(order), c))
    rows = [(_(code) if code == NO_REASON else reason_name(code),
             _count_time(*totals.pauses[code]))
            for code in codes]
    if len(rows) > 1:
        count = sum(v[0] for v in totals.pauses.values())
        seconds = sum(v[1] for v in totals.pauses.values())
        rows.append((_("all pauses"), _count_time(count, seconds)))
    if not rows:
        rows.append((_("pauses"), pgettext("pauses", "none")))
    rows.append((_("logged in"), duration(totals.logged_in)))
    return Section(title=name, rows=tuple(rows))


def _count_time(count: float, seconds: float) -> str:
    n = int(count)
    return ngettext("{n} pause, {duration}", "{n} pauses, {duration}", n).format(
        n=n, duration=duration(seconds))


COMMAND = Command(
    name="breaks",
    run=run,
    summary=N_("Pauses per reason and time logged in, yours or (coordinators) everyone's"),
    usage="/breaks [today|yesterday|week|month|YYYY-MM-DD|FROM..TO] [@person]",
    aliases=("pauses report",),
)
