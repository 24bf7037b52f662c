"""Formatting shared by every capability: names, times and durations as people read them."""

from __future__ import annotations

from datetime import datetime, tzinfo

from store.team.people import Person


def first_name(person: Person) -> str:
    return person.name.split()[0] if person.name.strip() else person.key


def clock_time(when: datetime, tz: tzinfo, now: datetime) -> str:
    """10:02 today; Fri 20 Nov 17:02 on another day (in the team's time zone)."""
    local = when.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M")
    return local.strftime("%a %d %b %H:%M")


def duration(seconds: float) -> str:
    """Whole minutes, rounded down: "25 min", "1 h 05 min"."""
    minutes = int(max(seconds, 0) // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
