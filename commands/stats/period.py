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

FORMS = "today, yesterday, week, month, a date (YYYY-MM-DD) or FROM..TO"
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
    word = word.lower()
    return (word in ("today", "yesterday", "week", "month") or bool(_DATE.match(word))
            or bool(_RANGE.match(word)))


def day_period(day: date, tz: tzinfo, now: datetime) -> Period:
    today = now.astimezone(tz).date()
    label = f"today ({day:%a %d %b})" if day == today else f"{day:%a %d %b %Y}"
    return Period(midnight(day, tz), min(midnight(day + timedelta(days=1), tz), now), label,
                  day, day)


def parse_period(word: str | None, now: datetime, tz: tzinfo) -> Period:
    today = now.astimezone(tz).date()
    word = (word or "today").lower()
    if word == "today":
        return day_period(today, tz, now)
    if word == "yesterday":
        day = today - timedelta(days=1)
        period = day_period(day, tz, now)
        return Period(period.begin, period.end, f"yesterday ({day:%a %d %b})", day, day)
    if word == "week":
        monday = today - timedelta(days=today.weekday())
        return Period(midnight(monday, tz), now, f"this week (since {monday:%a %d %b})",
                      monday, today)
    if word == "month":
        first = today.replace(day=1)
        return Period(midnight(first, tz), now, f"this month (since {first:%a %d %b})", first,
                      today)
    if _DATE.match(word):
        day = _date(word)
        _not_future(day, today, word)
        return day_period(day, tz, now)
    found = _RANGE.match(word)
    if found:
        first, last = _date(found.group(1)), _date(found.group(2))
        if last < first:
            raise UsageError(f"{word}: the end comes before the start; give FROM..TO.")
        _not_future(first, today, word)
        if (last - first).days >= MAX_DAYS:
            raise UsageError(f"{word}: at most {MAX_DAYS} days at a time.")
        end = min(midnight(last + timedelta(days=1), tz), now)
        return Period(midnight(first, tz), end, f"{first:%d %b %Y} to {last:%d %b %Y}",
                      first, min(last, today))
    raise UsageError(f"I don't understand the period {word!r}; give {FORMS}.")


def _date(word: str) -> date:
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(f"{word!r} is not a real date; give {FORMS}.") from None


def _not_future(day: date, today: date, word: str) -> None:
    if day > today:
        raise UsageError(f"{word} is in the future; give {FORMS}.")
