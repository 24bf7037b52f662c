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

import csv
import io
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from store.imports import (
    ImportRejected,
    Problem,
    check_columns,
    dump_yaml,
    load_yaml,
    read_csv,
    reject,
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


def parse_tomatic(text: str) -> Week:
    """A Tomàtic week with its structural problems listed in ``problems`` (import_weeks
    adds the unknown people and rejects them all together); ImportRejected only when the
    file is not a timetable at all."""
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise reject("file", "layout", "expected a Tomàtic timetable: a mapping with week, "
                                       "days, hours, turns and timetable")
    problems: list[Problem] = []
    monday = parse_date(data.get("week"))
    if monday is None:
        problems.append(Problem("file", "week", f"{data.get('week')!r} is not a date "
                                                "(expected YYYY-MM-DD, the Monday)"))
    elif monday.weekday() != 0:
        problems.append(Problem("file", "week", f"{monday} is a {monday:%A}, not a Monday"))
    days = data.get("days", list(DEFAULT_DAYS))
    if not isinstance(days, list) or not days or any(d not in DAY_CODES for d in days):
        problems.append(Problem("file", "days", "expected a list of day codes among "
                                                + " ".join(DAY_CODES)))
        days = []
    raw_hours = data.get("hours")
    hours: list[time] = []
    if not isinstance(raw_hours, list) or len(raw_hours) < 2:
        problems.append(Problem("file", "hours", "expected at least two boundaries "
                                                 "such as '09:00', '10:15'"))
    else:
        for index, raw in enumerate(raw_hours, start=1):
            parsed = parse_time(raw)
            if parsed is None:
                problems.append(Problem("file", f"hours[{index}]",
                                        f"{raw!r} is not a time (expected HH:MM)"))
            elif hours and parsed <= hours[-1]:
                problems.append(Problem("file", f"hours[{index}]",
                                        f"{parsed:%H:%M} does not come after {hours[-1]:%H:%M}"))
            else:
                hours.append(parsed)
    lines = data.get("turns")
    if not isinstance(lines, list) or not lines or not all(
            isinstance(x, str | int) and str(x).strip() for x in lines):
        problems.append(Problem("file", "turns", "expected the list of line names, e.g. "
                                                 "[T1, T2, T3]"))
        lines = []
    lines = [str(x).strip() for x in lines]
    for name in lines:
        if len(name) > 32:
            problems.append(Problem("file", "turns", f"line name {name[:40]!r}… is longer "
                                                     "than 32 characters"))
    if len(set(lines)) != len(lines):
        problems.append(Problem("file", "turns", "a line name appears twice"))

    week = Week(monday or date.min, [str(d) for d in days], hours, lines)
    table = data.get("timetable")
    if not isinstance(table, dict):
        problems.append(Problem("file", "timetable", "expected a mapping day code → turns"))
        table = {}
    turns_expected = len(raw_hours) - 1 if isinstance(raw_hours, list) else None
    for code in table:
        if code not in week.days:
            problems.append(Problem(f"timetable.{code}", "day",
                                    f"{code!r} is not one of the file's days "
                                    f"({', '.join(week.days)})"))
    for code in week.days:
        rows = table.get(code)
        if rows is None:
            continue
        if not isinstance(rows, list):
            problems.append(Problem(f"timetable.{code}", "turns", "expected a list of turns"))
            continue
        if turns_expected is not None and len(rows) != turns_expected:
            problems.append(Problem(f"timetable.{code}", "turns",
                                    f"{len(rows)} turns, but hours gives {turns_expected} "
                                    f"({turns_expected + 1} boundaries)"))
        for t, row in enumerate(rows):
            label = f"timetable.{code}[{t + 1}]"
            if not isinstance(row, list) or len(row) != len(lines):
                problems.append(Problem(label, "lines", f"expected {len(lines)} person keys, "
                                                        "one per line"))
                continue
            for n, key in enumerate(row):
                if not isinstance(key, str | int) or not str(key).strip():
                    problems.append(Problem(label, f"line {lines[n]}", "expected a person key, "
                                                                        "ningu or festiu"))
                    continue
                week.cells[(code, t, n)] = str(key).strip().lower()
    week.problems = problems
    return week


def parse_csv(text: str) -> list[Week]:
    """Weeks built from CSV rows, or ImportRejected listing every bad row."""
    problems: list[Problem] = []
    rows: list[tuple[date, time, time, str, str]] = []
    for row in read_csv(text, required=("date", "start", "end", "line", "person")):
        day, start, end = (parse_date(row.values["date"]), parse_time(row.values["start"]),
                           parse_time(row.values["end"]))
        line, person = row.values["line"], row.values["person"].lower() or NOBODY_KEY
        for name, ok, why in (("date", day, "expected YYYY-MM-DD"),
                              ("start", start, "expected HH:MM"), ("end", end, "expected HH:MM")):
            if ok is None:
                problems.append(Problem(row.label, name, f"{row.values[name]!r}: {why}"))
        if not line:
            problems.append(Problem(row.label, "line", "missing"))
        if "__extra__" in row.values:
            problems.append(Problem(row.label, "row", "more cells than columns"))
        if day and start and end:
            if end <= start:
                problems.append(Problem(row.label, "end", "must come after start"))
            rows.append((day, start, end, line, person))
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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "start", "end", "line", "person"])
    for x in timetable.cells_between(session, first, last):
        who = (HOLIDAY_KEY if x.status == HOLIDAY else NOBODY_KEY if x.status == NOBODY
               else keys.get(x.person_id or -1, NOBODY_KEY))
        writer.writerow([f"{x.day:%Y-%m-%d}", f"{x.start:%H:%M}", f"{x.end:%H:%M}", x.line, who])
    return out.getvalue()
