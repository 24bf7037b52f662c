"""Days without service: public holidays (the ``holidays`` library) and no-service days
in the store (company days imported by hand, public holidays reported by the HR system).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from functools import lru_cache

import holidays
from sqlalchemy.orm import Session

from store import i18n
from store.shifts.absences import no_service_days

# The holidays library's names for each language Switchboard speaks, best first. English
# readers keep the country's own names (the library's default), as they always had.
_NAMES_IN = {"ca": ("ca",), "es": ("es",), "pt": ("pt_BR", "pt_PT")}


@lru_cache(maxsize=64)
def _public(country: str, subdiv: str, year: int,
            language: str | None = None) -> tuple[tuple[date, str], ...]:
    if not country:
        return ()
    calendar = holidays.country_holidays(country, subdiv=subdiv or None, years=year,
                                         language=language)
    return tuple(sorted((day, str(name)) for day, name in calendar.items()))


@lru_cache(maxsize=64)
def _names_language(country: str, reader: str) -> str | None:
    """The library's language for the holidays' names of ``country`` for ``reader``:
    theirs where the library has it for that country, else None (the country's own)."""
    try:
        supported = holidays.country_holidays(country).supported_languages
    except (NotImplementedError, KeyError, ValueError):
        return None
    return next((code for code in _NAMES_IN.get(reader, ()) if code in supported), None)


def check_country(country: str, subdiv: str) -> str | None:
    """Why HOLIDAYS_COUNTRY / HOLIDAYS_SUBDIV cannot be used, or None when they can."""
    if not country:
        return None
    try:
        holidays.country_holidays(country, years=2026)
    except NotImplementedError:
        return f"HOLIDAYS_COUNTRY={country!r}: the holidays library does not know that country"
    if not subdiv:
        return None
    try:
        holidays.country_holidays(country, subdiv=subdiv, years=2026)
    except NotImplementedError:
        return (f"HOLIDAYS_SUBDIV={subdiv!r}: not a subdivision of {country} the holidays "
                "library knows")
    return None


def public_holidays(country: str, subdiv: str, first: date, last: date) -> list[tuple[date, str]]:
    """(day, name) of the public holidays in first..last (empty when no country is set),
    named in the reader's language where the holidays library has it for the country."""
    found: list[tuple[date, str]] = []
    for year in range(first.year, last.year + 1):
        try:
            language = _names_language(country, i18n.current()) if country else None
            found += [(d, n) for d, n in _public(country, subdiv, year, language)
                      if first <= d <= last]
        except (NotImplementedError, KeyError, ValueError):
            return []
    return found


def closed_days(session: Session, country: str, subdiv: str, first: date, last: date,
                planned: Collection[date] = ()) -> dict[date, str]:
    """Every day without service in first..last → why (a public holiday's or a company
    day's name). Public holidays win the name when a day is both.

    A day in ``planned`` (one whose timetable has cells) is the more specific fact: a
    public holiday alone does not close it, only a no-service day in the store (company
    or HR) does."""
    reasons: dict[date, str] = {}
    for row in no_service_days(session, first, last):
        reasons.setdefault(row.day, row.name)
    for day, name in public_holidays(country, subdiv, first, last):
        if day in reasons or day not in planned:
            reasons[day] = f"{name} (public holiday)"
    return reasons


def closed_reason(session: Session, country: str, subdiv: str, day: date,
                  *, planned: bool = False) -> str | None:
    return closed_days(session, country, subdiv, day, day, (day,) if planned else ()).get(day)
