"""/shifts: a person's turns for a week, with the link to their calendar feed.

Agents see their own; coordinators anyone's (``/shifts @alice next week``).
"""

from __future__ import annotations

from datetime import date, timedelta

from commands.core import Command, Context, Denied, Reply, Section, Services, UsageError
from commands.refs import split_person
from commands.shifts.calendar_feed import feed_url
from commands.shifts.day_plan import day_plan
from store.db import reading
from store.shifts.timetable_io import parse_date
from store.team.people import Role


def _week(ctx: Context, words: list[str], today: date) -> date:
    text = " ".join(w.lower() for w in words)
    if text in ("", "week", "this week"):
        day = today
    elif text in ("next week", "next"):
        day = today + timedelta(days=7)
    elif text in ("last week", "previous week"):
        day = today - timedelta(days=7)
    elif (parsed := parse_date(text)) is not None:
        day = parsed
    else:
        raise UsageError(f"I can't read {text!r} as a week: use week, next week or YYYY-MM-DD.")
    return day - timedelta(days=day.weekday())


def run(ctx: Context, services: Services) -> Reply:
    config = services.settings
    today = ctx.now.astimezone(config.timezone).date()
    with reading(services.sessions) as session:
        person, rest = split_person(session, ctx.args)
        target = person or ctx.person
        if target.id != ctx.person.id and not ctx.role.allows(Role.COORDINATOR):
            raise Denied("Only coordinators can see someone else's turns; /shifts on its own "
                         "shows yours.")
        monday = _week(ctx, rest, today)
        rows: list[tuple[str, str]] = []
        for n in range(7):
            plan = day_plan(session, config, monday + timedelta(days=n))
            mine = [s for s in plan.seats if s.person is not None and s.person.id == target.id]
            if mine and plan.closed:
                rows.append((f"{plan.day:%a %d %b}", f"no service ({plan.closed})"))
                continue
            for seat in mine:
                rows.append((f"{plan.day:%a %d %b}", f"{seat.turn.label} · line {seat.line}"))
        link = feed_url(session, config, target)
    whose = "You have" if target.id == ctx.person.id else f"{target.name} has"
    count = sum(1 for _, v in rows if not v.startswith("no service"))
    text = (f"{whose} {count} turn{'s' if count != 1 else ''} in the week of "
            f"{monday:%a %d %b}.")
    sections = (Section(title=f"Week of {monday:%d %b %Y}", rows=tuple(rows),
                        text=None if rows else "No turns."),
                Section(title="Calendar", text=f"Subscribe in your calendar app: {link}"))
    return Reply(text, sections, private=True)


COMMAND = Command(
    name="shifts",
    run=run,
    summary="Your turns this week (or anyone's, for coordinators) and your calendar link",
    usage="/shifts [@person] [week|next week|YYYY-MM-DD]",
    aliases=("my shifts", "my turns", "my next turns"),
)
