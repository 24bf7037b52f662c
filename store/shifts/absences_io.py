"""Absences and company no-service days in from files.

``switchboard absences import FILE`` (CSV or YAML list), one absence per row::

    person,from,to,kind,note
    alice,2026-11-23,2026-11-27,vacation,
    bruno,2026-11-24 09:00,2026-11-24 11:30,busy,dentist

A bare date in ``from`` starts at 00:00, in ``to`` ends at the end of that day (local
time). The import replaces every ``local`` absence. ``switchboard holidays import FILE``
(CSV ``date,name``, a YAML list of {date, name}, or Tomàtic's ``holidays.conf``:
``date<TAB>name`` a line) replaces the company's no-service days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from store.imports import ImportRejected, Problem, load_yaml, read_csv, reject
from store.shifts.absences import COMPANY, KINDS, LOCAL, Absence, replace_no_service_days
from store.shifts.availability_io import looks_like_holidays_conf, parse_holidays_conf
from store.shifts.timetable_io import parse_date
from store.team import people

COLUMNS = ("person", "from", "to", "kind", "note")


def _rows(text: str, columns: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    stripped = text.lstrip()
    if stripped.startswith(("-", "[")) or stripped.startswith(tuple(f"{c}:" for c in columns)):
        data = load_yaml(text)
        if not isinstance(data, list):
            raise reject("file", "layout", "expected a list of mappings")
        return [(f"entry {i}", e if isinstance(e, dict) else {"__bad__": e})
                for i, e in enumerate(data, start=1)]
    return [(r.label, dict(r.values)) for r in read_csv(text, required=columns[:2])]


def _moment(value: Any, tz: tzinfo, *, end: bool) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    day = parse_date(value)
    if day is not None:
        return datetime.combine(day + timedelta(days=1) if end else day, time(), tz)
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def parse_absences(session: Session, text: str, tz: tzinfo) -> list[Absence]:
    known = {p.key: p.id for p in people.all_people(session)}
    problems: list[Problem] = []
    found: list[Absence] = []
    for label, raw in _rows(text, COLUMNS):
        if "__bad__" in raw:
            problems.append(Problem(label, "entry", "expected a mapping"))
            continue
        key = str(raw.get("person") or "").strip().lstrip("@").lower()
        starts = _moment(raw.get("from"), tz, end=False)
        ends = _moment(raw.get("to") or raw.get("from"), tz, end=True)
        kind = str(raw.get("kind") or "vacation").strip().lower()
        note = str(raw.get("note") or "").strip() or None
        if key not in known:
            problems.append(Problem(label, "person", f"unknown person {key!r}"))
        if starts is None:
            problems.append(Problem(label, "from", f"{raw.get('from')!r}: expected YYYY-MM-DD "
                                                   "or YYYY-MM-DD HH:MM"))
        if ends is None:
            problems.append(Problem(label, "to", f"{raw.get('to')!r}: expected YYYY-MM-DD "
                                                 "or YYYY-MM-DD HH:MM"))
        if starts and ends and ends <= starts:
            problems.append(Problem(label, "to", "must come after from"))
        if kind not in KINDS:
            problems.append(Problem(label, "kind", f"{kind!r}: expected one of {', '.join(KINDS)}"))
        if note and len(note) > 200:
            problems.append(Problem(label, "note", "longer than 200 characters"))
        if key in known and starts and ends and kind in KINDS:
            found.append(Absence(person_id=known[key], starts=starts, ends=ends, kind=kind,
                                 source=LOCAL, note=note))
    if problems:
        raise ImportRejected(problems)
    return found


def import_absences(session: Session, text: str, tz: tzinfo) -> str:
    rows = parse_absences(session, text, tz)
    session.execute(delete(Absence).where(Absence.source == LOCAL))
    session.add_all(rows)
    session.flush()
    return f"{len(rows)} absences"


def parse_days(text: str) -> list[tuple[date, str]]:
    if looks_like_holidays_conf(text):  # Tomàtic's holidays.conf: date<TAB>name
        return parse_holidays_conf(text)
    problems: list[Problem] = []
    found: dict[date, str] = {}
    for label, raw in _rows(text, ("date", "name")):
        if "__bad__" in raw:
            problems.append(Problem(label, "entry", "expected a mapping"))
            continue
        day = parse_date(raw.get("date"))
        name = str(raw.get("name") or "").strip() or "Company holiday"
        if day is None:
            problems.append(Problem(label, "date", f"{raw.get('date')!r}: expected YYYY-MM-DD"))
        elif day in found:
            problems.append(Problem(label, "date", f"{day} is given twice"))
        elif len(name) > 200:
            problems.append(Problem(label, "name", "longer than 200 characters"))
        else:
            found[day] = name
    if problems:
        raise ImportRejected(problems)
    return sorted(found.items())


def import_company_days(session: Session, text: str) -> str:
    days = parse_days(text)
    replace_no_service_days(session, COMPANY, days)
    return f"{len(days)} no-service days"
