"""Formatting shared by every capability: names, times and durations as people read them,
in the current language (``store.i18n.speaking``)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from store import i18n
from store.i18n import _
from store.team.people import Person


def first_name(person: Person) -> str:
    return person.name.split()[0] if person.name.strip() else person.key


def clock_time(when: datetime, tz: tzinfo, now: datetime) -> str:
    """10:02 today; Fri 20 Nov 17:02 on another day (in the team's time zone; "dv. 20 de
    nov., 17:02" in Catalan)."""
    local = when.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M")
    return i18n.day(local, "day_time")


def duration(seconds: float) -> str:
    """Whole minutes, rounded down: "25 min", "1 h 05 min"."""
    minutes = int(max(seconds, 0) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=f"{minutes:02d}")
    return _("{minutes} min").format(minutes=minutes)
