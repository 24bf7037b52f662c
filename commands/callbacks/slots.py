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
from store.callbacks import capacity as cap
from store.callbacks.capacity import CAMPAIGN, QUEUE, CapacityPool
from store.callbacks.capacity_io import clear_override, set_override
from store.db import reading, transaction
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
                          for p in cap.pools(session)) or "none configured"
        raise UsageError(f"I don't know the {kind} {name!r} (known: {known}).")
    return found


def _line(intervals: list[Interval]) -> str:
    return " · ".join(f"{i.start:%H:%M} {i.free}/{i.capacity}" for i in intervals) or "none"


def _show(ctx: Context, services: Services) -> Reply:
    words = list(ctx.args)
    day = parse_date(words[-1]) if words else None
    if day is not None:
        words.pop()
    if len(words) > 1:
        raise UsageError(f"Give at most a queue and a date, not {ctx.arg_text!r}.")
    rules = rules_of(services.settings)
    with reading(services.sessions) as session:
        pool = find_pool(session, services, words[0] if words else None)
        if day is None:
            days = next_days_with_room(session, pool, ctx.now, rules)
        else:
            calendar = PoolCalendar(session, pool, day, day, rules)
            days = [(day, bookable(calendar, day, ctx.now, rules))]
            closed = calendar.closed(day)
    name = pool.name if pool.kind == QUEUE else f"campaign {pool.name}"
    if day is not None and closed:
        return Reply(f"{name} takes no callbacks on {day:%a %d %b %Y}: the day is closed.",
                     private=True)
    if not days or all(not found for _, found in days):
        when = f"on {day:%a %d %b %Y}" if day else "in the booking horizon"
        return Reply(f"{name} has no free callback places {when}.", private=True)
    rows = tuple((f"{d:%a %d %b}", f"{sum(i.free for i in found)} free: {_line(found)}")
                 for d, found in days)
    return Reply(f"Free callback places in {name} (free/capacity per interval):",
                 (Section(rows=rows),), private=True)


def _change(ctx: Context, services: Services) -> Reply:
    if not ctx.role.allows(Role.COORDINATOR):
        raise Denied(f"Changing callback capacity is for coordinators; you are "
                     f"{ctx.role.with_article}. /slots on its own shows what is free.")
    verb, rest = ctx.args[0].lower(), list(ctx.args[1:])
    day = parse_date(rest[0]) if rest else None
    if day is None:
        raise UsageError(f"Which date? /slots {verb} YYYY-MM-DD"
                         + (" TEMPLATE" if verb == "set" else "") + " [queue]")
    rest = rest[1:]
    with transaction(services.sessions) as session:
        template = None
        if verb == "set":
            if not rest:
                raise UsageError("Which template? /slots set YYYY-MM-DD TEMPLATE [queue]")
            template = cap.template_by_name(session, rest[0])
            if template is None:
                known = ", ".join(t.name for t in cap.templates(session).values())
                raise UsageError(f"There is no template {rest[0]!r} (known: {known}).")
            rest = rest[1:]
        if len(rest) > 1:
            raise UsageError(f"I didn't understand {' '.join(rest)!r}.\nUsage: {USAGE}")
        pool = find_pool(session, services, rest[0] if rest else None)
        name = pool.name if pool.kind == QUEUE else f"campaign {pool.name}"
        if verb == "open":
            had = clear_override(session, pool, day)
            text = (f"{name} follows its weekly schedule again on {day:%a %d %b %Y}."
                    if had else f"{name} had no change on {day:%a %d %b %Y}; nothing to do.")
            return Reply(text)
        set_override(session, pool, day, closed=verb == "close", template=template)
        start = datetime.combine(day, time(0), tzinfo=services.settings.timezone)
        booked = sum(cap.booked_between(session, pool.key, start,
                                        start + timedelta(days=1)).values())
    what = f"on template {template.name}" if template is not None else "closed for callbacks"
    plural = booked != 1
    warning = (f" {booked} callback{'s are' if plural else ' is'} already booked that day "
               f"and {'stay' if plural else 'stays'} booked." if booked else "")
    return Reply(f"{name} is {what} on {day:%a %d %b %Y}.{warning}")


COMMAND = Command(
    name="slots",
    run=run,
    summary="Free callback places; coordinators: close, open or re-template a date",
    usage=USAGE,
    aliases=("free slots", "callback slots"),
)
