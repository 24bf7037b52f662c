"""/callbacks: the open callbacks (yours, today's, all, or one agent's) and the report.

    /callbacks [mine|today|all|@agent]     open callbacks by due time (default: mine)
    /callbacks report [period]             coordinators: the report (see callback_report)
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import commands.callbacks.report as callback_report
from commands.callbacks.flow import describe, handling_buttons
from commands.callbacks.when import spoken
from commands.core import Button, Command, Context, Denied, Reply, Section, Services, UsageError
from commands.refs import is_person_ref, require_person
from store.callbacks import bookings
from store.callbacks.bookings import DISPATCHED, TAKEN, Callback
from store.db import reading
from store.team import people
from store.team.people import Role

LIMIT = 30
USAGE = "/callbacks [mine|today|all|@agent] · /callbacks report [period]"


def run(ctx: Context, services: Services) -> Reply:
    word = ctx.args[0].lower() if ctx.args else "mine"
    if word == "report":
        return _report(ctx, services)
    if len(ctx.args) > 1:
        raise UsageError(f"Give one of mine, today, all or @agent, not {ctx.arg_text!r}.")
    tz = services.settings.timezone
    with reading(services.sessions) as session:
        person_id: int | None = None
        due_before: datetime | None = None
        if word == "mine":
            person_id, title = ctx.person.id, "Your open callbacks"
        elif word == "today":
            tomorrow = ctx.now.astimezone(tz).date() + timedelta(days=1)
            due_before = datetime.combine(tomorrow, time(0), tzinfo=tz)
            title = "Open callbacks due today"
        elif word == "all":
            title = "All open callbacks"
        elif is_person_ref(word):
            agent = require_person(session, ctx.args[0])
            person_id, title = agent.id, f"Open callbacks of {agent.name}"
        else:
            raise UsageError(f"I don't know {ctx.args[0]!r}; give mine, today, all or @agent.")
        found = bookings.listing(session, person_id=person_id, due_before=due_before,
                                  limit=LIMIT + 1)
        names = {p.id: p.key for p in people.all_people(session)}
    if not found:
        return Reply(f"{title}: none.", private=True)
    rows = tuple((f"#{c.id} {spoken(c.due_at, tz, ctx.now)}", _line(c, names))
                 for c in found[:LIMIT])
    more = f" (the first {LIMIT})" if len(found) > LIMIT else ""
    buttons = _buttons(found[:LIMIT], ctx)
    return Reply(f"{title}{more}:", (Section(rows=rows, buttons=buttons),), private=True)


def _line(c: Callback, names: dict[int, str]) -> str:
    parts = [describe(c, full_number=True), c.status]
    if c.owner_id:
        parts.append(f"with @{names.get(c.owner_id, '?')}")
    elif c.agent_id:
        parts.append(f"for @{names.get(c.agent_id, '?')}")
    if c.attempts:
        parts.append(f"attempt {c.attempts}")
    if c.note:
        parts.append(c.note[:80])
    return " · ".join(parts)


def _buttons(found: list[Callback], ctx: Context) -> tuple[Button, ...]:
    """Take for those waiting in the team space; the outcomes for the asker's own."""
    buttons: list[Button] = []
    for c in found:
        if c.status == DISPATCHED and c.owner_id is None:
            buttons.append(Button(f"Take #{c.id}", "callback", f"take {c.id}"))
        elif c.status in (DISPATCHED, TAKEN) and c.owner_id == ctx.person.id:
            buttons += [Button(f"{b.label} #{c.id}", b.command, b.args)
                        for b in handling_buttons(c)]
    return tuple(buttons[:12])


def _report(ctx: Context, services: Services) -> Reply:
    if not ctx.role.allows(Role.COORDINATOR):
        raise Denied(f"The callbacks report is for coordinators; you are "
                     f"{ctx.role.with_article}. Try /callbacks mine.")
    if len(ctx.args) > 2:
        raise UsageError(f"Give one period ({callback_report.PERIODS}).")
    tz = services.settings.timezone
    period = callback_report.period_for(ctx.args[1] if len(ctx.args) > 1 else None,
                                        ctx.now, tz)
    with reading(services.sessions) as session:
        report = callback_report.build(session, period, ctx.now, tz)
    sections = []
    for dimension, name, values in report.ordered():
        rows = tuple((callback_report.LABELS.get(m, m), str(values[m]))
                     for m in callback_report.METRICS
                     if values[m] or dimension == "all")
        title = "All" if dimension == "all" else f"{dimension.capitalize()} {name}"
        sections.append(Section(title=title, rows=rows))
    return Reply(f"Callbacks, {period.label}:", tuple(sections), private=True)


COMMAND = Command(
    name="callbacks",
    run=run,
    summary="Open callbacks: yours, today's, all or an agent's; coordinators: the report",
    usage=USAGE,
    aliases=("my callbacks",),
)
