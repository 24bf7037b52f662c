"""/callbacks: the open callbacks (yours, today's, all, or one agent's) and the report.

    /callbacks [mine|today|all|@agent]     open callbacks by due time (default: mine)
    /callbacks report [period]             coordinators: the report (see callback_report)
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import commands.callbacks.report as callback_report
from commands.callbacks.flow import describe, handling_buttons, status_label
from commands.callbacks.when import spoken
from commands.core import Button, Command, Context, Denied, Reply, Section, Services, UsageError
from commands.refs import is_person_ref, require_person
from commands.words import canonical
from store.callbacks import bookings
from store.callbacks.bookings import DISPATCHED, TAKEN, Callback
from store.db import reading
from store.i18n import N_, _
from store.team import people
from store.team.people import Role

LIMIT = 30
USAGE = "/callbacks [mine|today|all|@agent] · /callbacks report [period]"


def run(ctx: Context, services: Services) -> Reply:
    word = canonical(ctx.args[0]) if ctx.args else "mine"
    if word == "report":
        return _report(ctx, services)
    if len(ctx.args) > 1:
        raise UsageError(_("Give one of mine, today, all or @agent, not {text}.").format(
            text=repr(ctx.arg_text)))
    tz = services.settings.timezone
    with reading(services.sessions) as session:
        person_id: int | None = None
        due_before: datetime | None = None
        if word == "mine":
            person_id, title = ctx.person.id, _("Your open callbacks")
        elif word == "today":
            tomorrow = ctx.now.astimezone(tz).date() + timedelta(days=1)
            due_before = datetime.combine(tomorrow, time(0), tzinfo=tz)
            title = _("Open callbacks due today")
        elif word == "all":
            title = _("All open callbacks")
        elif is_person_ref(ctx.args[0].lower()):
            agent = require_person(session, ctx.args[0])
            person_id, title = agent.id, _("Open callbacks of {name}").format(name=agent.name)
        else:
            raise UsageError(_("I don't know {text}; give mine, today, all or @agent.").format(
                text=repr(ctx.args[0])))
        found = bookings.listing(session, person_id=person_id, due_before=due_before,
                                  limit=LIMIT + 1)
        names = {p.id: p.key for p in people.all_people(session)}
    if not found:
        return Reply(_("{title}: none.").format(title=title), private=True)
    rows = tuple((f"#{c.id} {spoken(c.due_at, tz, ctx.now)}", _line(c, names))
                 for c in found[:LIMIT])
    buttons = _buttons(found[:LIMIT], ctx)
    heading = (_("{title} (the first {count}):").format(title=title, count=LIMIT)
               if len(found) > LIMIT else _("{title}:").format(title=title))
    return Reply(heading, (Section(rows=rows, buttons=buttons),), private=True)


def _line(c: Callback, names: dict[int, str]) -> str:
    parts = [describe(c, full_number=True), status_label(c.status)]
    if c.owner_id:
        parts.append(_("with @{key}").format(key=names.get(c.owner_id, "?")))
    elif c.agent_id:
        parts.append(_("for @{key}").format(key=names.get(c.agent_id, "?")))
    if c.attempts:
        parts.append(_("attempt {n}").format(n=c.attempts))
    if c.note:
        parts.append(c.note[:80])
    return " · ".join(parts)


def _buttons(found: list[Callback], ctx: Context) -> tuple[Button, ...]:
    """Take for those waiting in the team space; the outcomes for the asker's own."""
    buttons: list[Button] = []
    for c in found:
        if c.status == DISPATCHED and c.owner_id is None:
            buttons.append(Button(_("Take #{id}").format(id=c.id), "callback", f"take {c.id}"))
        elif c.status in (DISPATCHED, TAKEN) and c.owner_id == ctx.person.id:
            buttons += [Button(f"{b.label} #{c.id}", b.command, b.args)
                        for b in handling_buttons(c)]
    return tuple(buttons[:12])


def _report(ctx: Context, services: Services) -> Reply:
    if not ctx.role.allows(Role.COORDINATOR):
        raise Denied(_("The callbacks report is for coordinators; you are {role}. Try "
                       "/callbacks mine.").format(role=ctx.role.with_article))
    if len(ctx.args) > 2:
        raise UsageError(_("Give one period ({periods}).").format(
            periods=_(callback_report.PERIODS)))
    tz = services.settings.timezone
    period = callback_report.period_for(ctx.args[1] if len(ctx.args) > 1 else None,
                                        ctx.now, tz)
    with reading(services.sessions) as session:
        report = callback_report.build(session, period, ctx.now, tz)
    sections = []
    for dimension, name, values in report.ordered():
        rows = tuple((callback_report.label(m), str(values[m]))
                     for m in callback_report.METRICS
                     if values[m] or dimension == "all")
        sections.append(Section(title=callback_report.title(dimension, name), rows=rows))
    return Reply(_("Callbacks, {period}:").format(period=period.shown()), tuple(sections),
                 private=True)


COMMAND = Command(
    name="callbacks",
    run=run,
    summary=N_("Open callbacks: yours, today's, all or an agent's; coordinators: the report"),
    usage=USAGE,
    aliases=("my callbacks",),
)
