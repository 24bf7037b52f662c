"""When to call back, as people type it, in the team's time zone.

``16:00`` (today), ``today 16:00``, ``tomorrow 10:30``, ``mon 11:00`` (the next Monday,
today included while that time is still ahead), ``2026-12-01 10:00``. The day words may be
typed in any language Switchboard speaks (``demà``, ``mañana``, ``amanhã``, ``dv``,
``viernes``, ``sexta``: ``commands.words``), and the small words around them are skipped
(``demà a les 10:30``, ``mañana a las 10:30``, ``amanhã às 10h``, ``tomorrow at 10:30``).
A time is ``H:MM`` or ``HH:MM`` (``10h30``, ``10.30`` and ``10h`` are read too).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from commands.core import UsageError
from commands.words import canonical, is_filler, weekday
from store import i18n
from store.i18n import N_, _

FORMS = N_("16:00, tomorrow 10:30, mon 11:00 or YYYY-MM-DD HH:MM")
_TIME = re.compile(r"^([01]?\d|2[0-3])(?:[:h.]([0-5]\d)|h)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RELATIVE = {"today": 0, "tomorrow": 1}


def parse_time(word: str) -> time | None:
    match = _TIME.match(word.strip().lower())
    return time(int(match.group(1)), int(match.group(2) or 0)) if match else None


def _day_word(word: str) -> str:
    """The English word a typed day word means ("demà." → "tomorrow", "dl." → "mon")."""
    return canonical(word.rstrip(".,"))


def looks_like_when(word: str) -> bool:
    lowered = word.lower()
    meaning = _day_word(word)
    return bool(parse_time(lowered) or _DATE.match(lowered) or meaning in _RELATIVE
                or weekday(meaning) is not None)


def _skip_fillers(words: Sequence[str], start: int) -> int:
    while start < len(words) and is_filler(words[start]):
        start += 1
    return start


def parse_when(words: Sequence[str], now: datetime, tz: tzinfo) -> tuple[datetime, int]:
    """The time the words start with, and how many words it took (the small words before
    and inside it included); UsageError otherwise."""
    forms = _(FORMS)
    first_at = _skip_fillers(words, 0)
    if first_at >= len(words):
        raise UsageError(_("When should I call back? Give a time such as {forms}.").format(
            forms=forms))
    today = now.astimezone(tz).date()
    first = words[first_at].lower()
    only_time = parse_time(first)
    if only_time is not None:
        return datetime.combine(today, only_time, tzinfo=tz), first_at + 1
    time_at = _skip_fillers(words, first_at + 1)
    at = parse_time(words[time_at]) if time_at < len(words) else None
    if at is None:
        typed = " ".join(words[first_at:time_at + 1])
        raise UsageError(_("I can't read {text} as a time; write {forms}.").format(
            text=repr(typed), forms=forms))
    day: date
    meaning = _day_word(first)
    named_weekday = weekday(meaning)
    if meaning in _RELATIVE:
        day = today + timedelta(days=_RELATIVE[meaning])
    elif named_weekday is not None:
        ahead = (named_weekday - today.weekday()) % 7
        day = today + timedelta(days=ahead)
        if ahead == 0 and datetime.combine(day, at, tzinfo=tz) <= now:
            day += timedelta(days=7)
    elif _DATE.match(first):
        try:
            day = date.fromisoformat(first)
        except ValueError:
            raise UsageError(_("{date} is not a real date; write {forms}.").format(
                date=first, forms=forms)) from None
    else:
        raise UsageError(_("I can't read {text} as a day; write {forms}.").format(
            text=repr(first), forms=forms))
    return datetime.combine(day, at, tzinfo=tz), time_at + 1


def spoken(when: datetime, tz: tzinfo, now: datetime) -> str:
    """"today 16:00", "tomorrow 10:30", "Tue 1 Dec 10:00" — for replies, in the reader's
    language ("demà 10:30", "dl. 7 de des. 10:30")."""
    local = when.astimezone(tz)
    today = now.astimezone(tz).date()
    hour = f"{local:%H:%M}"
    if local.date() == today:
        return _("today {time}").format(time=hour)
    if local.date() == today + timedelta(days=1):
        return _("tomorrow {time}").format(time=hour)
    if i18n.current() == i18n.ENGLISH:
        # The shape English replies have always had: the day of the month unpadded.
        return f"{local:%a} {local.day} {local:%b} {hour}"
    return f"{i18n.day(local.date())} {hour}"


def typed(when: datetime, tz: tzinfo) -> str:
    """The form a button sends back: 2026-12-01 10:00."""
    return f"{when.astimezone(tz):%Y-%m-%d %H:%M}"
