"""Public holidays that the timetable plans people on.

A timetable is the more specific fact (commands/shifts/day_plan.py): a public holiday
whose timetable names people is served. Such a day may be a mistake, so when a week is
imported or edited the coordinators get one warning per date, through the outbox (keyed
by the date), with two buttons:

- keep the plan: ``/holiday keep DATE`` records that the day is served as planned, and
  nobody is asked about it again;
- close the day: ``/holiday close DATE`` makes it a company no-service day (as
  ``switchboard holidays import`` would), so nothing is announced and the queue is not set.

Only today and later days are warned about: an imported past week cannot be served any more.
The holiday's name is the ``holidays`` library's, in its default language (there is no
team language setting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from commands.core import (
    COORDINATORS,
    Button,
    Command,
    CommandError,
    Context,
    Reply,
    Section,
    Services,
    UsageError,
)
from commands.shifts.day_plan import day_plan
from store.db import transaction
from store.shifts import absences
from store.shifts.absences import COMPANY, HR
from store.shifts.calendar_days import public_holidays
from store.shifts.timetable_io import parse_date
from store.team.people import Role


@dataclass(frozen=True)
class PlannedHoliday:
    day: date
    name: str
    people: int

    @property
    def label(self) -> str:
        return f"{self.day:%a} {self.day.day} {self.day:%b}"

    def text(self) -> str:
        who = "1 person" if self.people == 1 else f"{self.people} people"
        return (f"{self.label} is a public holiday ({self.name}) and the timetable has "
                f"{who} on it.")


def planned_holidays(session: Session, services: Services, first: date,
                     last: date) -> list[PlannedHoliday]:
    """The public holidays of first..last (from today on) that are served because their
    timetable names people, and that nobody has kept or closed yet."""
    config = services.settings
    today = services.clock.now().astimezone(config.timezone).date()
    first = max(first, today)
    if first > last:
        return []
    found = public_holidays(config.holidays_country, config.holidays_subdiv, first, last)
    if not found:
        return []
    kept = absences.kept_holidays(session, first, last)
    result = []
    for day, name in found:
        if day in kept:
            continue
        plan = day_plan(session, config, day)
        if plan.closed is not None:
            continue
        people = {s.person.id for s in plan.seats if s.person is not None}
        if people:
            result.append(PlannedHoliday(day, name, len(people)))
    return result


def warn_planned_holidays(session: Session, services: Services, first: date,
                          last: date) -> list[PlannedHoliday]:
    """Tell the coordinators, once per date, about each public holiday of first..last
    that the timetable plans people on; returns those days (warned now or before). The
    caller owns the transaction."""
    found = planned_holidays(session, services, first, last)
    for holiday in found:
        iso = f"{holiday.day:%Y-%m-%d}"
        services.notifier.send(session, COORDINATORS, Reply(
            f"{holiday.text()} It will be served as planned unless you close it.",
            (Section(text="Keep the plan (the day is served, and I won't ask again), or "
                          "close the day (no service: no shift notices, the queue is not "
                          "set)?",
                     buttons=(Button("Keep the plan", "holiday", f"keep {iso}"),
                              Button("Close the day", "holiday", f"close {iso}"))),)),
            key=f"planned-holiday:{iso}")
    return found


def warn_week(session: Session, services: Services, monday: date) -> list[PlannedHoliday]:
    return warn_planned_holidays(session, services, monday, monday + timedelta(days=6))


# --------------------------------------------------------------------------- /holiday


def run(ctx: Context, services: Services) -> Reply:
    words = [w.lower() for w in ctx.args]
    if len(words) != 2 or words[0] not in ("keep", "close"):
        raise UsageError("Say what to do with which public holiday: /holiday keep 2026-12-08 "
                         "(serve it as the timetable plans) or /holiday close 2026-12-08.")
    day = parse_date(words[1])
    if day is None:
        raise UsageError(f"{ctx.args[1]!r} is not a date: use YYYY-MM-DD.")
    config = services.settings
    names = public_holidays(config.holidays_country, config.holidays_subdiv, day, day)
    if not names:
        raise CommandError(f"{day:%a %d %b %Y} is not a public holiday"
                           + (f" in {config.holidays_country}" if config.holidays_country
                              else " (HOLIDAYS_COUNTRY is empty)") + ".")
    name = names[0][1]
    with transaction(services.sessions) as session:
        if words[0] == "close":
            added = absences.add_no_service_day(session, day, name, COMPANY)
            absences.forget_kept_holiday(session, day)
            done = "is closed" if added else "was closed already"
            return Reply(f"{day:%a %d %b %Y} ({name}) {done}: no service, no shift notices, "
                         "the queue is not set. /holiday keep reopens it.", private=True)
        if any(row.day == day and row.source == HR
               for row in absences.no_service_days(session, day, day)):
            raise CommandError(f"{day:%a %d %b %Y} is a no-service day in the HR system; "
                               "it is closed there, not here.")
        reopened = absences.remove_no_service_day(session, day, COMPANY)
        kept = absences.keep_holiday(session, day, ctx.person.id, ctx.now)
        plan = day_plan(session, config, day)
    served = ("it is served as the timetable plans it" if plan.has_timetable else
              "it has no timetable, so there is no service unless someone is assigned")
    done = "reopened and kept" if reopened else "kept" if kept else "was kept already"
    return Reply(f"{day:%a %d %b %Y} ({name}) {done}: {served}. I won't ask about it again.",
                 private=True)


COMMAND = Command(
    name="holiday",
    run=run,
    summary="Keep a public holiday the timetable plans people on, or close it",
    usage="/holiday keep|close YYYY-MM-DD",
    role=Role.COORDINATOR,
)
