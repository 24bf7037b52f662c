"""Periods for the statistics, in the team's time zone.

``today`` is local midnight → now; ``yesterday`` and ``YYYY-MM-DD`` a whole local day;
``week`` Monday 00:00 → now; ``month`` the 1st 00:00 → now; ``FROM..TO`` (two dates) from
FROM's midnight to the midnight after TO. A period never reaches past now; calls are
counted in the period they entered the queue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from commands.core import UsageError
from commands.words import canonical
from store import i18n
from store.i18n import N_, _

# The forms a period takes, for messages (translated where shown: ``_(FORMS)``).
FORMS = N_("today, yesterday, week, month, a date (YYYY-MM-DD) or FROM..TO")
_WORDS = ("today", "yesterday", "week", "month")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
MAX_DAYS = 400


@dataclass(frozen=True)
class Period:
    begin: datetime
    end: datetime  # exclusive, never after now
    label: str
    first_day: date
    last_day: date

    @property
    def single_day(self) -> date | None:
        return self.first_day if self.first_day == self.last_day else None


def midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def is_period(word: str) -> bool:
    """A period in any language ("today", "avui", "hoy", "hoje", a date, FROM..TO)."""
    word = word.lower()
    return (canonical(word) in _WORDS or bool(_DATE.match(word))
            or bool(_RANGE.match(word)))


def day_period(day: date, tz: tzinfo, now: datetime) -> Period:
    """The day's period, labelled in the current language ("today (Mon 23 Nov)")."""
    today = now.astimezone(tz).date()
    label = (_("today ({day})").format(day=i18n.day(day)) if day == today
             else i18n.day(day, "day_year"))
    return Period(midnight(day, tz), min(midnight(day + timedelta(days=1), tz), now), label,
                  day, day)


def parse_period(word: str | None, now: datetime, tz: tzinfo) -> Period:
    """The period a word names (in any language); its label is in the current one."""
    today = now.astimezone(tz).date()
    word = (word or "today").lower()
    meaning = canonical(word)
    if meaning == "today":
        return day_period(today, tz, now)
    if meaning == "yesterday":
        day = today - timedelta(days=1)
        period = day_period(day, tz, now)
        return Period(period.begin, period.end,
                      _("yesterday ({day})").format(day=i18n.day(day)), day, day)
    if meaning == "week":
        monday = today - timedelta(days=today.weekday())
        return Period(midnight(monday, tz), now,
                      _("this week (since {day})").format(day=i18n.day(monday)), monday, today)
    if meaning == "month":
        first = today.replace(day=1)
        return Period(midnight(first, tz), now,
                      _("this month (since {day})").format(day=i18n.day(first)), first, today)
    if _DATE.match(word):
        day = _date(word)
        _not_future(day, today, word)
        return day_period(day, tz, now)
    found = _RANGE.match(word)
    if found:
        first, last = _date(found.group(1)), _date(found.group(2))
        if last < first:
            raise UsageError(_("{period}: the end comes before the start; give "
                               "FROM..TO.").format(period=word))
        _not_future(first, today, word)
        if (last - first).days >= MAX_DAYS:
            raise UsageError(_("{period}: at most {days} days at a time.").format(
                period=word, days=MAX_DAYS))
        end = min(midnight(last + timedelta(days=1), tz), now)
        label = _("{first} to {last}").format(first=i18n.day(first, "date"),
                                              last=i18n.day(last, "date"))
        return Period(midnight(first, tz), end, label, first, min(last, today))
    raise UsageError(_("I don't understand the period {period}; give {forms}.").format(
        period=repr(word), forms=_(FORMS)))


def _date(word: str) -> date:
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(_("{date} is not a real date; give {forms}.").format(
            date=repr(word), forms=_(FORMS))) from None


def _not_future(day: date, today: date, word: str) -> None:
    if day > today:
        raise UsageError(_("{date} is in the future; give {forms}.").format(
            date=word, forms=_(FORMS)))
