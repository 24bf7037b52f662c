"""When to call back, as people type it, in the team's time zone.

``16:00`` (today), ``today 16:00``, ``tomorrow 10:30`` (also ``mañana``), ``mon 11:00``
(the next Monday, today included while that time is still ahead), ``2026-12-01 10:00``.
A time is ``H:MM`` or ``HH:MM`` (``10h30`` and ``10.30`` are read too).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from commands.core import UsageError

FORMS = "16:00, tomorrow 10:30, mon 11:00 or YYYY-MM-DD HH:MM"
_TIME = re.compile(r"^([01]?\d|2[0-3])[:h.]([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAYS = {
    "mon": 0, "monday": 0, "lun": 0, "lunes": 0,
    "tue": 1, "tuesday": 1, "mar": 1, "martes": 1,
    "wed": 2, "wednesday": 2, "mie": 2, "mié": 2, "miercoles": 2, "miércoles": 2,
    "thu": 3, "thursday": 3, "jue": 3, "jueves": 3,
    "fri": 4, "friday": 4, "vie": 4, "viernes": 4,
    "sat": 5, "saturday": 5, "sab": 5, "sáb": 5, "sabado": 5, "sábado": 5,
    "sun": 6, "sunday": 6, "dom": 6, "domingo": 6,
}
_RELATIVE = {"today": 0, "hoy": 0, "tomorrow": 1, "mañana": 1, "manana": 1}


def parse_time(word: str) -> time | None:
    match = _TIME.match(word.strip().lower())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def looks_like_when(word: str) -> bool:
    lowered = word.lower()
    return bool(parse_time(lowered) or _DATE.match(lowered) or lowered in _DAYS
                or lowered in _RELATIVE)


def parse_when(words: Sequence[str], now: datetime, tz: tzinfo) -> tuple[datetime, int]:
    """The time the words start with, and how many words it took; UsageError otherwise."""
    if not words:
        raise UsageError(f"When should I call back? Give a time such as {FORMS}.")
    today = now.astimezone(tz).date()
    first = words[0].lower()
    only_time = parse_time(first)
    if only_time is not None:
        return datetime.combine(today, only_time, tzinfo=tz), 1
    if len(words) < 2 or parse_time(words[1]) is None:
        raise UsageError(f"I can't read {' '.join(words[:2])!r} as a time; write {FORMS}.")
    at = parse_time(words[1])
    assert at is not None
    day: date
    if first in _RELATIVE:
        day = today + timedelta(days=_RELATIVE[first])
    elif first in _DAYS:
        ahead = (_DAYS[first] - today.weekday()) % 7
        day = today + timedelta(days=ahead)
        if ahead == 0 and datetime.combine(day, at, tzinfo=tz) <= now:
            day += timedelta(days=7)
    elif _DATE.match(first):
        try:
            day = date.fromisoformat(first)
        except ValueError:
            raise UsageError(f"{first} is not a real date; write {FORMS}.") from None
    else:
        raise UsageError(f"I can't read {first!r} as a day; write {FORMS}.")
    return datetime.combine(day, at, tzinfo=tz), 2


def spoken(when: datetime, tz: tzinfo, now: datetime) -> str:
    """"today 16:00", "tomorrow 10:30", "Tue 1 Dec 10:00" — for replies."""
    local = when.astimezone(tz)
    today = now.astimezone(tz).date()
    if local.date() == today:
        return f"today {local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow {local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def typed(when: datetime, tz: tzinfo) -> str:
    """The form a button sends back: 2026-12-01 10:00."""
    return f"{when.astimezone(tz):%Y-%m-%d %H:%M}"
