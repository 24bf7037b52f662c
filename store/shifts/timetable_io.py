"""Timetables in and out: Tomàtic's weekly YAML and a CSV of cells.

Tomàtic YAML (``graella-telefons-YYYY-MM-DD.yaml``)::

    week: '2026-11-23'          # the Monday
    days: [dl, dm, dx, dj, dv]
    hours: ['09:00', '10:15', '11:30', '12:45', '14:00']   # boundaries: 4 turns
    turns: [T1, T2, T3]         # the lines
    timetable:
      dl: [[ana, bernat, ningu], …]   # one list per turn, one person key per line

``ningu`` is nobody, ``festiu`` a holiday. Every other key (``names``, ``extensions``,
``colors``, ``overload``, ``penalties``, ``cost``, ``log`` …) is ignored. Unquoted
``10:15`` is read by YAML 1.1 as the number 615 (base 60); it is taken back as 10:15.

CSV: ``date,start,end,line,person`` (person empty or ``ningu`` = nobody, ``festiu`` =
a holiday). Each week present in a file replaces that week only.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from store.exports import Cell, csv_text
from store.imports import (
    EntryModel,
    ImportRejected,
    Line,
    Problem,
    Where,
    check_columns,
    column_length,
    dump_yaml,
    field_path,
    line_text,
    load_yaml,
    problems_from,
    read_csv,
    reject,
    shown,
    validate_entry,
)
from store.shifts import timetable
from store.shifts.timetable import HOLIDAY, NOBODY, PERSON, TimetableCell, TimetableWeek
from store.team import people

DAY_CODES = ("dl", "dm", "dx", "dj", "dv", "ds", "dg")
NOBODY_KEY, HOLIDAY_KEY = "ningu", "festiu"
DEFAULT_DAYS = DAY_CODES[:5]


@dataclass
class Week:
    monday: date
    days: list[str]
    hours: list[time]
    lines: list[str]
    # (day code, turn index, line index) → person key | ningu | festiu
    cells: dict[tuple[str, int, int], str] = field(default_factory=dict)
    # What is wrong with the file; import_weeks reports them with the unknown people.
    problems: list[Problem] = field(default_factory=list)


@dataclass
class TimetableReport:
    weeks: list[date] = field(default_factory=list)
    cells: int = 0
    replaced: int = 0

    def summary(self) -> str:
        weeks = ", ".join(f"{w:%Y-%m-%d}" for w in self.weeks)
        return (f"{len(self.weeks)} week(s) ({weeks}), {self.cells} cells, "
                f"{self.replaced} replaced")


# --------------------------------------------------------------------------- parsing


def parse_time(value: Any) -> time | None:
    """'09:00', '9:00', or YAML 1.1's base-60 number (10:15 → 615)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        hours, minutes = divmod(value, 60)
        return time(hours, minutes) if 0 <= hours < 24 else None
    text = str(value).strip()
    hh, sep, mm = text.partition(":")
    if (not sep or not text.isascii() or not hh.isdigit() or not mm.isdigit() or len(mm) != 2
            or len(hh) > 2):
        return None
    if int(hh) > 23 or int(mm) > 59:
        return None
    return time(int(hh), int(mm))


# The dates a timetable, an absence or a shift question may name: a week or a day either
# side stays a real date, so nothing that adds days to them can overflow.
FIRST_YEAR, LAST_YEAR = 1900, 9000


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        day: date | None = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            return None
    return day if day is not None and FIRST_YEAR <= day.year <= LAST_YEAR else None


def _monday(value: Any) -> date:
    monday = parse_date(value)
    if monday is None:
        raise ValueError(f"{value!r} is not a date (expected YYYY-MM-DD, the Monday)")
    if monday.weekday() != 0:
        raise ValueError(f"{monday} is a {monday:%A}, not a Monday")
    return monday


def _days(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or any(d not in DAY_CODES for d in value):
        raise ValueError("expected a list of day codes among " + " ".join(DAY_CODES))
    return [str(d) for d in value]


def _boundaries(value: Any) -> Any:
    if not isinstance(value, list) or len(value) < 2:
        raise ValueError("expected at least two boundaries such as '09:00', '10:15'")
    return value


def _boundary(value: Any) -> time:
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError(f"{value!r} is not a time (expected HH:MM)")
    return parsed


def _in_order(hours: list[time]) -> list[time]:
    for index, (a, b) in enumerate(itertools.pairwise(hours), start=2):
        if b <= a:
            raise PydanticCustomError("import", "{why}", {
                "why": f"{b:%H:%M} does not come after {a:%H:%M}", "at": (index - 1,)})
    return hours


_LINE_RULE = "expected the list of line names, e.g. [T1, T2, T3]"
_line_name = line_text(column_length(TimetableCell, "line"), numbers=True)


def _lines(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(
            isinstance(x, str | int) and not isinstance(x, bool) and str(x).strip()
            for x in value):
        raise ValueError(_LINE_RULE)
    names = []
    for item in value:
        try:
            names.append(_line_name(item))
        except ValueError as exc:
            raise ValueError(f"line name {str(item)[:40]!r}: {exc}") from None
    if len(set(names)) != len(names):
        raise ValueError("a line name appears twice")
    return names


def _table(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, dict):
        raise ValueError("expected a mapping day code → turns")
    days = info.data.get("days", [])  # a day the file does not have: only its code is wrong
    return {code: rows if code in days else None for code, rows in value.items()}


def _day_code(value: Any, info: ValidationInfo) -> str:
    days = info.data.get("days", [])
    if value not in days:
        raise ValueError(f"{value!r} is not one of the file's days ({', '.join(days)})")
    return str(value)


def _turn_rows(value: Any, info: ValidationInfo) -> Any:
    if value is None:  # a day without turns
        return []
    if not isinstance(value, list):
        raise ValueError("expected a list of turns")
    hours = (info.context or {}).get("boundaries")
    if hours is not None and len(value) != hours - 1:
        raise ValueError(f"{len(value)} turns, but hours gives {hours - 1} ({hours} boundaries)")
    return value


def _turn(value: Any, info: ValidationInfo) -> Any:
    lines = info.data.get("turns", [])
    if not isinstance(value, list) or len(value) != len(lines):
        raise ValueError(f"expected {len(lines)} person keys, one per line")
    return value


def _cell(value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise ValueError("expected a person key, ningu or festiu")
    return str(value).strip().lower()


PersonKey = Annotated[str, BeforeValidator(_cell)]
Turn = Annotated[list[PersonKey], BeforeValidator(_turn)]


class TomaticWeek(BaseModel):
    """Tomàtic's weekly timetable document; keys it has for itself are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", validate_default=True)

    week: Annotated[date, BeforeValidator(_monday)]
    days: Annotated[list[str], BeforeValidator(_days)] = list(DEFAULT_DAYS)
    hours: Annotated[list[Annotated[time, BeforeValidator(_boundary)]],
                     BeforeValidator(_boundaries), AfterValidator(_in_order)] = []
    turns: Annotated[list[str], BeforeValidator(_lines)] = []
    timetable: Annotated[
        dict[Annotated[str, BeforeValidator(_day_code)],
             Annotated[list[Turn], BeforeValidator(_turn_rows)]],
        BeforeValidator(_table)] = {}


    @model_validator(mode="before")
    @classmethod
    def _week_given(cls, data: Any) -> Any:
        """A missing week is named as None, as a wrong one is named as written."""
        return {"week": None, **data} if isinstance(data, dict) else data


def _where(data: dict[Any, Any]) -> Where:
    """The (entry, field) a Tomàtic week's problem is reported under."""
    raw_lines = data.get("turns")
    lines: list[Any] = raw_lines if isinstance(raw_lines, list) else []

    def where(loc: tuple[str | int, ...]) -> tuple[str, str]:
        if loc[0] != "timetable" or len(loc) == 1:
            return "file", field_path(loc)
        code = loc[1]
        if len(loc) == 2:
            return f"timetable.{shown(code)}", "turns"
        if loc[2] == "[key]":
            return f"timetable.{shown(code)}", "day"
        turn = f"timetable.{shown(code)}[{int(loc[2]) + 1}]"
        if len(loc) == 3:
            return turn, "lines"
        n = int(loc[3])
        return turn, f"line {str(lines[n]).strip() if n < len(lines) else n + 1}"

    return where


def parse_tomatic(text: str) -> Week:
    """A Tomàtic week with its structural problems listed in ``problems`` (import_weeks
    adds the unknown people and rejects them all together); ImportRejected only when the
    file is not a timetable at all."""
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise reject("file", "layout", "expected a Tomàtic timetable: a mapping with week, "
                                       "days, hours, turns and timetable")
    raw_hours = data.get("hours")
    context = {"boundaries": len(raw_hours) if isinstance(raw_hours, list) else None}
    try:
        parsed = TomaticWeek.model_validate(data, context=context)
    except ValidationError as exc:
        problems = problems_from(exc, "file", _where(data))
        # As a reader checks: the file's header, the day codes, then each day's turns.
        problems.sort(key=lambda p: 0 if p.entry == "file" else 1 if p.field == "day" else 2)
        return _partial_week(data, problems)
    week = Week(parsed.week, parsed.days, parsed.hours, parsed.turns)
    for code in week.days:
        for t, row in enumerate(parsed.timetable.get(code, [])):
            for n, key in enumerate(row):
                week.cells[(code, t, n)] = key
    return week


def _partial_week(data: dict[Any, Any], problems: list[Problem]) -> Week:
    """A week with problems: what of it is well formed, for import_weeks to report the
    unknown people in it together with the problems."""

    def valid(check: Any, value: Any, otherwise: Any) -> Any:
        try:
            return check(value)
        except ValueError:
            return otherwise

    days = valid(_days, data.get("days", list(DEFAULT_DAYS)), [])
    lines = valid(_lines, data.get("turns"), [])
    hours = valid(_boundaries, data.get("hours"), [])
    hours = [h for h in (valid(_boundary, raw, None) for raw in hours) if h is not None]
    week = Week(valid(_monday, data.get("week"), date.min), days, hours, lines, problems=problems)
    raw_table = data.get("timetable")
    table: dict[Any, Any] = raw_table if isinstance(raw_table, dict) else {}
    for code in days:
        rows = table.get(code)
        for t, row in enumerate(rows if isinstance(rows, list) else []):
            if isinstance(row, list) and len(row) == len(lines):
                for n, key in enumerate(row):
                    cell = valid(_cell, key, None)
                    if cell is not None:
                        week.cells[(code, t, n)] = cell
    return week


def _csv_value(parse: Any, why: str) -> Any:
    def check(value: Any) -> Any:
        parsed = parse(value)
        if parsed is None:
            raise ValueError(f"{value!r}: {why}")
        return parsed
    return BeforeValidator(check)


def _named(value: str) -> str:
    if not value:
        raise ValueError("missing")
    return value


class CsvCell(EntryModel):
    """One row of a timetable CSV: a cell of a turn on a line."""

    date: Annotated[date, _csv_value(parse_date, "expected YYYY-MM-DD")]
    start: Annotated[time, _csv_value(parse_time, "expected HH:MM")]
    end: Annotated[time, _csv_value(parse_time, "expected HH:MM")]
    line: Annotated[str, BeforeValidator(_line_name), AfterValidator(_named)]
    person: Annotated[str, Line(lower=True, blank=NOBODY_KEY)]

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: time, info: ValidationInfo) -> time:
        if "date" in info.data and "start" in info.data and value <= info.data["start"]:
            raise ValueError("must come after start")
        return value


def parse_csv(text: str) -> list[Week]:
    """Weeks built from CSV rows, or ImportRejected listing every bad row."""
    problems: list[Problem] = []
    rows: list[tuple[date, time, time, str, str]] = []
    for row in read_csv(text, required=("date", "start", "end", "line", "person")):
        cell, wrong = validate_entry(CsvCell, row.values, row.label, unknown=False)
        problems += wrong
        if "__extra__" in row.values:
            problems.append(Problem(row.label, "row", "more cells than columns"))
        if cell is not None:
            rows.append((cell.date, cell.start, cell.end, cell.line, cell.person))
    if problems:
        raise ImportRejected(problems)
    weeks: dict[date, Week] = {}
    spans: dict[date, set[tuple[time, time]]] = {}
    for day, start, end, line, _person in rows:
        monday = day - timedelta(days=day.weekday())
        week = weeks.setdefault(monday, Week(monday, [], [], []))
        spans.setdefault(monday, set()).add((start, end))
        code = DAY_CODES[day.weekday()]
        if code not in week.days:
            week.days.append(code)
        if line not in week.lines:
            week.lines.append(line)
    for monday, week in weeks.items():
        ordered = sorted(spans[monday])
        week.hours = sorted({t for span in ordered for t in span})
        week.days.sort(key=DAY_CODES.index)
        for a, b in itertools.pairwise(ordered):
            if b[0] < a[1]:
                problems.append(Problem(f"week {monday}", "start",
                                        f"turns {a[0]:%H:%M}–{a[1]:%H:%M} and "
                                        f"{b[0]:%H:%M}–{b[1]:%H:%M} overlap"))
    for day, start, end, line, person in rows:
        week = weeks[day - timedelta(days=day.weekday())]
        key = (DAY_CODES[day.weekday()], week.hours.index(start), week.lines.index(line))
        if key in week.cells:
            problems.append(Problem(f"{day} {start:%H:%M} {line}", "cell", "given twice"))
        week.cells[key] = person
        week.cells[("__end__", week.hours.index(start), 0)] = f"{end:%H:%M}"
    if problems:
        raise ImportRejected(problems)
    return [weeks[m] for m in sorted(weeks)]


# --------------------------------------------------------------------------- applying


def import_weeks(session: Session, weeks: Iterable[Week], now: datetime,
                 *, label: str = "file") -> TimetableReport:
    """Check every person key and cell of every week, then replace each week (nothing
    written when anything is wrong). The caller owns the transaction."""
    weeks = list(weeks)
    known = {p.key: p.id for p in people.all_people(session)}
    problems: list[Problem] = [p for week in weeks for p in week.problems]
    seen: set[date] = set()
    for week in weeks:
        if week.monday in seen:
            problems.append(Problem(label, "week", f"{week.monday} is given twice"))
        seen.add(week.monday)
        if len(week.lines) > timetable.MAX_LINES_PER_TURN:
            problems.append(Problem(label, "turns", f"{len(week.lines)} lines: a turn has at "
                                                    f"most {timetable.MAX_LINES_PER_TURN}"))
        for (code, t, n), key in sorted(week.cells.items()):
            if code == "__end__" or key in (NOBODY_KEY, HOLIDAY_KEY) or key in known \
                    or n >= len(week.lines):
                continue
            where = f"week {week.monday} " if week.monday != date.min else ""
            problems.append(Problem(f"{where}timetable.{code}[{t + 1}]",
                                    f"line {week.lines[n]}", f"unknown person {key!r}"))
    if problems:  # a week with structural problems may not even have its cells' hours
        raise ImportRejected(problems)
    cells_of = {week.monday: list(_cells(week, known)) for week in weeks}
    for monday, cells in cells_of.items():
        for line in dict.fromkeys(c.line for c in cells):
            problems += check_columns(TimetableCell, {"line": line}, f"week {monday}")
    if problems:
        raise ImportRejected(problems)
    report = TimetableReport()
    for week in weeks:
        cells = cells_of[week.monday]
        header = TimetableWeek(monday=week.monday, days=week.days,
                               hours=[f"{h:%H:%M}" for h in week.hours], lines=week.lines,
                               imported_at=now)
        report.replaced += timetable.replace_week(session, header, cells)
        report.weeks.append(week.monday)
        report.cells += len(cells)
    if not timetable.turn_definitions(session) and weeks:
        _define_turns(session, weeks[0])
    return report


def _cells(week: Week, known: dict[str, int]) -> Iterable[TimetableCell]:
    for (code, t, n), key in sorted(week.cells.items()):
        if code == "__end__":
            continue
        day = week.monday + timedelta(days=DAY_CODES.index(code))
        end_override = week.cells.get(("__end__", t, 0))
        end = parse_time(end_override) if end_override else week.hours[t + 1]
        status = HOLIDAY if key == HOLIDAY_KEY else NOBODY if key == NOBODY_KEY else PERSON
        yield TimetableCell(day=day, start=week.hours[t], end=end or week.hours[t + 1],
                            line=week.lines[n], position=n, status=status,
                            person_id=known.get(key) if status == PERSON else None)


def _define_turns(session: Session, week: Week) -> None:
    """With no turn definitions yet, the first imported week gives them."""
    rows = [{"weekday": DAY_CODES.index(code), "start": week.hours[t], "end": week.hours[t + 1],
             "lines": len(week.lines)}
            for code in week.days if DAY_CODES.index(code) < 7
            for t in range(len(week.hours) - 1)]
    timetable.replace_turn_definitions(session, rows)


# --------------------------------------------------------------------------- exporting


def export_week(session: Session, monday: date) -> dict[str, Any]:
    """The week as Tomàtic's YAML document (as a dict); cells missing are ``ningu``."""
    cells = timetable.cells_between(session, monday, monday + timedelta(days=6))
    header = timetable.week(session, monday)
    keys = {p.id: p.key for p in people.all_people(session)}
    return week_document(monday, cells, header, keys)


def week_document(monday: date, cells: list[TimetableCell], header: TimetableWeek | None,
                  keys: dict[int, str]) -> dict[str, Any]:
    """Cells (stored or not) as Tomàtic's YAML document; ``keys``: person id → key."""
    if header is not None:
        days, hours, lines = list(header.days), list(header.hours), list(header.lines)
    else:
        days = [c for c in DAY_CODES if any(DAY_CODES[x.day.weekday()] == c for x in cells)]
        hours = sorted({f"{x.start:%H:%M}" for x in cells} | {f"{x.end:%H:%M}" for x in cells})
        lines = [x.line for x in sorted(cells, key=lambda c: c.position)]
        lines = list(dict.fromkeys(lines))
    grid: dict[str, list[list[str]]] = {
        code: [[NOBODY_KEY] * len(lines) for _ in range(len(hours) - 1)] for code in days}
    for x in cells:
        code = DAY_CODES[x.day.weekday()]
        start = f"{x.start:%H:%M}"
        if code not in grid or start not in hours or x.line not in lines:
            continue
        t = hours.index(start)
        if t >= len(hours) - 1:
            continue
        grid[code][t][lines.index(x.line)] = (
            HOLIDAY_KEY if x.status == HOLIDAY else NOBODY_KEY if x.status == NOBODY
            else keys.get(x.person_id or -1, NOBODY_KEY))
    return {"week": f"{monday:%Y-%m-%d}", "days": days, "hours": hours, "turns": lines,
            "timetable": grid}


def export_yaml(session: Session, monday: date) -> str:
    return dump_yaml(export_week(session, monday))


def export_csv(session: Session, first: date, last: date) -> str:
    keys = {p.id: p.key for p in people.all_people(session)}
    rows: list[list[Cell]] = [["date", "start", "end", "line", "person"]]
    for x in timetable.cells_between(session, first, last):
        who = (HOLIDAY_KEY if x.status == HOLIDAY else NOBODY_KEY if x.status == NOBODY
               else keys.get(x.person_id or -1, NOBODY_KEY))
        rows.append([f"{x.day:%Y-%m-%d}", f"{x.start:%H:%M}", f"{x.end:%H:%M}", x.line, who])
    return csv_text(rows)
