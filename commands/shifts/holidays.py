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
The warning goes to the coordinators' space in the team's language (``LANGUAGE``); the
holiday's name is the ``holidays`` library's, in that language where the library has it for
the country (``store/shifts/calendar_days.py``).
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
from store import i18n
from store.db import transaction
from store.i18n import N_, _, ngettext, speaking
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
        """"Fri 1 Nov" in English, the reader's own shape otherwise ("dv. 1 de nov.")."""
        if i18n.current() == i18n.ENGLISH:
            return f"{self.day:%a} {self.day.day} {self.day:%b}"
        return i18n.day(self.day)

    def text(self) -> str:
        """In the current language."""
        return ngettext("{day} is a public holiday ({name}) and the timetable has {n} person "
                        "on it.",
                        "{day} is a public holiday ({name}) and the timetable has {n} people "
                        "on it.", self.people).format(day=self.label, name=self.name,
                                                      n=self.people)


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
        with speaking(None):  # the coordinators' space reads the team's language
            services.notifier.send(session, COORDINATORS, Reply(
                _("{warning} It will be served as planned unless you close it.").format(
                    warning=holiday.text()),
                (Section(text=_("Keep the plan (the day is served, and I won't ask again), "
                                "or close the day (no service: no shift notices, the queue "
                                "is not set)?"),
                         buttons=(Button(_("Keep the plan"), "holiday", f"keep {iso}"),
                                  Button(_("Close the day"), "holiday", f"close {iso}"))),)),
                key=f"planned-holiday:{iso}")
    return found


def warn_week(session: Session, services: Services, monday: date) -> list[PlannedHoliday]:
    return warn_planned_holidays(session, services, monday, monday + timedelta(days=6))


# --------------------------------------------------------------------------- /holiday


def run(ctx: Context, services: Services) -> Reply:
    words = [w.lower() for w in ctx.args]
    if len(words) != 2 or words[0] not in ("keep", "close"):
        raise UsageError(_("Say what to do with which public holiday: /holiday keep "
                           "2026-12-08 (serve it as the timetable plans) or /holiday close "
                           "2026-12-08."))
    day = parse_date(words[1])
    if day is None:
        raise UsageError(_("{word} is not a date: use YYYY-MM-DD.").format(
            word=repr(ctx.args[1])))
    config = services.settings
    shown = i18n.day(day, "day_year")
    names = public_holidays(config.holidays_country, config.holidays_subdiv, day, day)
    if not names:
        if config.holidays_country:
            raise CommandError(_("{day} is not a public holiday in {country}.").format(
                day=shown, country=config.holidays_country))
        raise CommandError(_("{day} is not a public holiday (HOLIDAYS_COUNTRY is "
                             "empty).").format(day=shown))
    name = names[0][1]
    with transaction(services.sessions) as session:
        if words[0] == "close":
            added = absences.add_no_service_day(session, day, name, COMPANY)
            absences.forget_kept_holiday(session, day)
            if added:
                text = _("{day} ({name}) is closed: no service, no shift notices, the queue "
                         "is not set. /holiday keep reopens it.")
            else:
                text = _("{day} ({name}) was closed already: no service, no shift notices, "
                         "the queue is not set. /holiday keep reopens it.")
            return Reply(text.format(day=shown, name=name), private=True)
        if any(row.day == day and row.source == HR
               for row in absences.no_service_days(session, day, day)):
            raise CommandError(_("{day} is a no-service day in the HR system; it is closed "
                                 "there, not here.").format(day=shown))
        reopened = absences.remove_no_service_day(session, day, COMPANY)
        kept = absences.keep_holiday(session, day, ctx.person.id, ctx.now)
        plan = day_plan(session, config, day)
    served = (_("it is served as the timetable plans it") if plan.has_timetable else
              _("it has no timetable, so there is no service unless someone is assigned"))
    done = _("reopened and kept") if reopened else _("kept") if kept else \
        _("was kept already")
    return Reply(_("{day} ({name}) {done}: {served}. I won't ask about it again.").format(
        day=shown, name=name, done=done, served=served), private=True)


COMMAND = Command(
    name="holiday",
    run=run,
    summary=N_("Keep a public holiday the timetable plans people on, or close it"),
    usage="/holiday keep|close YYYY-MM-DD",
    role=Role.COORDINATOR,
)
