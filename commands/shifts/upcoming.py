"""/shifts: a person's turns for a week, with the link to their calendar feed.

Agents see their own; coordinators anyone's (``/shifts @alice next week``).
"""

from __future__ import annotations

from datetime import date, timedelta

from commands.core import Command, Context, Denied, Reply, Section, Services, UsageError
from commands.refs import split_person
from commands.shifts.calendar_feed import feed_url
from commands.shifts.day_plan import closed_text, day_plan
from commands.words import canonical, without_fillers
from store import i18n
from store.db import reading
from store.i18n import N_, _, ngettext
from store.shifts.timetable_io import parse_date
from store.team.people import Role

# The week the words name, whatever their order ("next week", "setmana vinent", "la
# próxima semana"): the weeks from this one.
_WEEKS = {frozenset(): 0, frozenset({"week"}): 0, frozenset({"this", "week"}): 0,
          frozenset({"next", "week"}): 1, frozenset({"next"}): 1,
          frozenset({"last", "week"}): -1, frozenset({"previous", "week"}): -1}


def _week(ctx: Context, words: list[str], today: date) -> date:
    meant = [canonical(w) for w in without_fillers(words)]
    text = " ".join(w.lower() for w in words)
    if len(set(meant)) == len(meant) and frozenset(meant) in _WEEKS:
        day = today + timedelta(days=7 * _WEEKS[frozenset(meant)])
    elif (parsed := parse_date(" ".join(without_fillers(words)))) is not None:
        day = parsed
    else:
        raise UsageError(_("I can't read {text} as a week: use week, next week or "
                           "YYYY-MM-DD.").format(text=repr(text)))
    return day - timedelta(days=day.weekday())


def run(ctx: Context, services: Services) -> Reply:
    config = services.settings
    today = ctx.now.astimezone(config.timezone).date()
    with reading(services.sessions) as session:
        person, rest = split_person(session, ctx.args)
        target = person or ctx.person
        if target.id != ctx.person.id and not ctx.role.allows(Role.COORDINATOR):
            raise Denied(_("Only coordinators can see someone else's turns; /shifts on its own "
                           "shows yours."))
        monday = _week(ctx, rest, today)
        rows: list[tuple[str, str]] = []
        count = 0
        for n in range(7):
            plan = day_plan(session, config, monday + timedelta(days=n))
            mine = [s for s in plan.seats if s.person is not None and s.person.id == target.id]
            if mine and plan.closed:
                rows.append((i18n.day(plan.day), _("no service ({reason})").format(
                    reason=closed_text(plan.closed))))
                continue
            count += len(mine)
            for seat in mine:
                rows.append((i18n.day(plan.day), _("{turn} · line {line}").format(
                    turn=seat.turn.label, line=seat.line)))
        link = feed_url(session, config, target)
    week = i18n.day(monday)
    if target.id == ctx.person.id:
        text = ngettext("You have {n} turn in the week of {week}.",
                        "You have {n} turns in the week of {week}.", count).format(
            n=count, week=week)
    else:
        text = ngettext("{name} has {n} turn in the week of {week}.",
                        "{name} has {n} turns in the week of {week}.", count).format(
            name=target.name, n=count, week=week)
    sections = (Section(title=_("Week of {date}").format(date=i18n.day(monday, "date")),
                        rows=tuple(rows), text=None if rows else _("No turns.")),
                Section(title=_("Calendar"),
                        text=_("Subscribe in your calendar app: {link}").format(link=link)))
    return Reply(text, sections, private=True)


COMMAND = Command(
    name="shifts",
    run=run,
    summary=N_("Your turns this week (or anyone's, for coordinators) and your calendar link"),
    usage="/shifts [@person] [week|next week|YYYY-MM-DD]",
    aliases=("my shifts", "my turns", "my next turns"),
)
