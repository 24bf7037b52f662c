"""/slots: free callback capacity, and (coordinators) a date closed, opened or re-templated.

    /slots [queue] [YYYY-MM-DD]             free places per interval (default: the next
                                            3 days with room, of the default queue)
    /slots close YYYY-MM-DD [queue]         no callbacks that day
    /slots open YYYY-MM-DD [queue]          back to the weekly schedule
    /slots set YYYY-MM-DD TEMPLATE [queue]  that day follows another template

A queue is named as is; a campaign as ``campaign:NAME``. Closing a day does not cancel
what is booked on it: the reply says how many callbacks that leaves to handle.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from commands.callbacks.booking import rules_of
from commands.callbacks.callback import default_queue
from commands.callbacks.capacity import Interval, PoolCalendar, bookable, next_days_with_room
from commands.core import Command, Context, Denied, Reply, Section, Services, UsageError
from store import i18n
from store.callbacks import capacity as cap
from store.callbacks.capacity import CAMPAIGN, QUEUE, CapacityPool
from store.callbacks.capacity_io import clear_override, set_override
from store.db import reading, transaction
from store.i18n import N_, _, ngettext
from store.shifts.timetable_io import parse_date
from store.team.people import Role

USAGE = ("/slots [queue] [YYYY-MM-DD] · /slots close|open YYYY-MM-DD [queue] · "
         "/slots set YYYY-MM-DD TEMPLATE [queue]")
CHANGES = ("close", "open", "set")


def run(ctx: Context, services: Services) -> Reply:
    if ctx.args and ctx.args[0].lower() in CHANGES:
        return _change(ctx, services)
    return _show(ctx, services)


def find_pool(session: Session, services: Services, word: str | None) -> CapacityPool:
    if word is None:
        word = default_queue(session, services)
    kind, name = (CAMPAIGN, word.split(":", 1)[1]) if word.startswith("campaign:") \
        else (QUEUE, word)
    found = cap.pool(session, kind, name)
    if found is None:
        known = ", ".join(p.name if p.kind == QUEUE else f"campaign:{p.name}"
                          for p in cap.pools(session)) or _("none configured")
        unknown = (_("I don't know the queue {name} (known: {known}).") if kind == QUEUE else
                   _("I don't know the campaign {name} (known: {known})."))
        raise UsageError(unknown.format(name=repr(name), known=known))
    return found


def pool_name(pool: CapacityPool) -> str:
    """"support" for a queue, "campaign renewals" for a campaign (translated)."""
    return pool.name if pool.kind == QUEUE else _("campaign {name}").format(name=pool.name)


def _line(intervals: list[Interval]) -> str:
    return " · ".join(f"{i.start:%H:%M} {i.free}/{i.capacity}" for i in intervals) or _("none")


def _show(ctx: Context, services: Services) -> Reply:
    words = list(ctx.args)
    day = parse_date(words[-1]) if words else None
    if day is not None:
        words.pop()
    if len(words) > 1:
        raise UsageError(_("Give at most a queue and a date, not {text}.").format(
            text=repr(ctx.arg_text)))
    rules = rules_of(services.settings)
    with reading(services.sessions) as session:
        pool = find_pool(session, services, words[0] if words else None)
        if day is None:
            days = next_days_with_room(session, pool, ctx.now, rules)
        else:
            calendar = PoolCalendar(session, pool, day, day, rules)
            days = [(day, bookable(calendar, day, ctx.now, rules))]
            closed = calendar.closed(day)
    name = pool_name(pool)
    if day is not None and closed:
        return Reply(_("{pool} takes no callbacks on {day}: the day is closed.").format(
            pool=name, day=i18n.day(day, "day_year")), private=True)
    if not days or all(not found for _day, found in days):
        text = (_("{pool} has no free callback places on {day}.").format(
                    pool=name, day=i18n.day(day, "day_year")) if day else
                _("{pool} has no free callback places in the booking horizon.").format(
                    pool=name))
        return Reply(text, private=True)
    rows = tuple((i18n.day(d), _("{n} free: {intervals}").format(
                      n=sum(i.free for i in found), intervals=_line(found)))
                 for d, found in days)
    return Reply(_("Free callback places in {pool} (free/capacity per interval):").format(
        pool=name), (Section(rows=rows),), private=True)


def _change(ctx: Context, services: Services) -> Reply:
    if not ctx.role.allows(Role.COORDINATOR):
        raise Denied(_("Changing callback capacity is for coordinators; you are {role}. "
                       "/slots on its own shows what is free.").format(
                           role=ctx.role.with_article))
    verb, rest = ctx.args[0].lower(), list(ctx.args[1:])
    day = parse_date(rest[0]) if rest else None
    if day is None:
        raise UsageError(_("Which date? {usage}").format(
            usage=f"/slots {verb} YYYY-MM-DD" + (" TEMPLATE" if verb == "set" else "")
            + " [queue]"))
    rest = rest[1:]
    with transaction(services.sessions) as session:
        template = None
        if verb == "set":
            if not rest:
                raise UsageError(_("Which template? {usage}").format(
                    usage="/slots set YYYY-MM-DD TEMPLATE [queue]"))
            template = cap.template_by_name(session, rest[0])
            if template is None:
                known = ", ".join(t.name for t in cap.templates(session).values())
                raise UsageError(_("There is no template {name} (known: {known}).").format(
                    name=repr(rest[0]), known=known))
            rest = rest[1:]
        if len(rest) > 1:
            raise UsageError(_("I didn't understand {text}.\nUsage: {usage}").format(
                text=repr(" ".join(rest)), usage=USAGE))
        pool = find_pool(session, services, rest[0] if rest else None)
        name = pool_name(pool)
        shown_day = i18n.day(day, "day_year")
        if verb == "open":
            had = clear_override(session, pool, day)
            text = (_("{pool} follows its weekly schedule again on {day}.") if had else
                    _("{pool} had no change on {day}; nothing to do."))
            return Reply(text.format(pool=name, day=shown_day))
        set_override(session, pool, day, closed=verb == "close", template=template)
        start = datetime.combine(day, time(0), tzinfo=services.settings.timezone)
        booked = sum(cap.booked_between(session, pool.key, start,
                                        start + timedelta(days=1)).values())
    text = (_("{pool} is on template {template} on {day}.").format(
                pool=name, template=template.name, day=shown_day) if template is not None else
            _("{pool} is closed for callbacks on {day}.").format(pool=name, day=shown_day))
    if booked:
        text += " " + ngettext("{n} callback is already booked that day and stays booked.",
                               "{n} callbacks are already booked that day and stay booked.",
                               booked).format(n=booked)
    return Reply(text)


COMMAND = Command(
    name="slots",
    run=run,
    summary=N_("Free callback places; coordinators: close, open or re-template a date"),
    usage=USAGE,
    aliases=("free slots", "callback slots"),
)
