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
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator
from sqlalchemy import delete
from sqlalchemy.orm import Session

from store.imports import (
    ColumnLine,
    EntryModel,
    ImportRejected,
    Line,
    Problem,
    load_yaml,
    read_csv,
    reject,
    validate_entry,
)
from store.shifts.absences import (
    COMPANY,
    KINDS,
    LOCAL,
    Absence,
    NoServiceDay,
    replace_no_service_days,
)
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


def _day(value: Any) -> date:
    day = parse_date(value)
    if day is None:
        raise ValueError(f"{value!r}: expected YYYY-MM-DD")
    return day


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


_MOMENT = "expected YYYY-MM-DD or YYYY-MM-DD HH:MM"


class AbsenceEntry(EntryModel):
    """One absence of an import (a CSV row or a YAML mapping). The context gives ``known``
    (person key → id) and ``tz`` (the zone of a time written without one)."""

    person: Annotated[str, Line(numbers=True, lower=True, blank="")]
    starts: Annotated[datetime, Field(alias="from")]
    ends: Annotated[datetime, Field(alias="to")]
    kind: Annotated[str, Line(lower=True, blank="vacation")] = "vacation"
    note: Annotated[str | None, ColumnLine(Absence, "note", numbers=True, blank=None)] = None

    @model_validator(mode="before")
    @classmethod
    def _to_defaults_to_from(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("to"):
            data = {**data, "to": data.get("from")}
        return data

    @field_validator("person")
    @classmethod
    def _known(cls, value: str, info: ValidationInfo) -> str:
        value = value.lstrip("@")
        if value not in (info.context or {}).get("known", {}):
            raise ValueError(f"unknown person {value!r}")
        return value

    @field_validator("starts", "ends", mode="before")
    @classmethod
    def _when(cls, value: Any, info: ValidationInfo) -> Any:
        moment = _moment(value, (info.context or {})["tz"], end=info.field_name == "ends")
        if moment is None:
            raise ValueError(f"{value!r}: {_MOMENT}")
        return moment

    @field_validator("ends")
    @classmethod
    def _after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts = info.data.get("starts")
        if starts is not None and value <= starts:
            raise ValueError("must come after from")
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"{value!r}: expected one of {', '.join(KINDS)}")
        return value


def parse_absences(session: Session, text: str, tz: tzinfo) -> list[Absence]:
    known = {p.key: p.id for p in people.all_people(session)}
    context: dict[str, Any] = {"known": known, "tz": tz}
    problems: list[Problem] = []
    found: list[Absence] = []
    for label, raw in _rows(text, COLUMNS):
        if "__bad__" in raw:
            problems.append(Problem(label, "entry", "expected a mapping"))
            continue
        entry, wrong = validate_entry(AbsenceEntry, raw, label, context=context,
                                      unknown=False)
        problems += wrong
        if entry is not None:
            found.append(Absence(person_id=known[entry.person], starts=entry.starts,
                                 ends=entry.ends, kind=entry.kind, source=LOCAL,
                                 note=entry.note))
    if problems:
        raise ImportRejected(problems)
    return found


def import_absences(session: Session, text: str, tz: tzinfo) -> str:
    rows = parse_absences(session, text, tz)
    session.execute(delete(Absence).where(Absence.source == LOCAL))
    session.add_all(rows)
    session.flush()
    return f"{len(rows)} absences"


class DayEntry(EntryModel):
    """One company no-service day of an import."""

    date: Annotated[date, BeforeValidator(_day)]
    name: Annotated[str, ColumnLine(NoServiceDay, "name", numbers=True,
                                    blank="Company holiday")] = "Company holiday"


def parse_days(text: str) -> list[tuple[date, str]]:
    if looks_like_holidays_conf(text):  # Tomàtic's holidays.conf: date<TAB>name
        return parse_holidays_conf(text)
    problems: list[Problem] = []
    found: dict[date, str] = {}
    for label, raw in _rows(text, ("date", "name")):
        if "__bad__" in raw:
            problems.append(Problem(label, "entry", "expected a mapping"))
            continue
        entry, wrong = validate_entry(DayEntry, raw, label, unknown=False)
        problems += wrong
        if entry is None:
            continue
        if entry.date in found:
            problems.append(Problem(label, "date", f"{entry.date} is given twice"))
        else:
            found[entry.date] = entry.name
    if problems:
        raise ImportRejected(problems)
    return sorted(found.items())


def import_company_days(session: Session, text: str) -> str:
    days = parse_days(text)
    replace_no_service_days(session, COMPANY, days)
    return f"{len(days)} no-service days"
