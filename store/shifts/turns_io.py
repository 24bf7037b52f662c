"""Turn definitions in and out (``switchboard turns import FILE`` / ``export``)::

    - {weekday: mon, start: "09:00", end: "10:15", lines: 3}
    - {weekday: mon, start: "10:15", end: "11:30", lines: 3}

``weekday`` is mon…sun (Tomàtic's dl…dg too). Turns of one weekday may not overlap. An
import replaces every definition; any problem rejects the whole file.
"""

from __future__ import annotations

import itertools
from datetime import time
from typing import Any

from sqlalchemy.orm import Session

from store.imports import ImportRejected, Problem, dump_yaml, load_yaml, reject
from store.shifts import timetable
from store.shifts.timetable_io import DAY_CODES, parse_time

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_of(value: Any) -> int | None:
    text = str(value).strip().lower()[:3] if value is not None else ""
    if text in WEEKDAYS:
        return WEEKDAYS.index(text)
    code = str(value).strip().lower() if value is not None else ""
    return DAY_CODES.index(code) if code in DAY_CODES else None


def parse_turns(text: str) -> list[dict[str, Any]]:
    data = load_yaml(text)
    if isinstance(data, dict) and "turns" in data:
        data = data["turns"]
    if not isinstance(data, list):
        raise reject("file", "layout", "expected a list of {weekday, start, end, lines}")
    problems: list[Problem] = []
    rows: list[dict[str, Any]] = []
    for index, raw in enumerate(data, start=1):
        label = f"entry {index}"
        if not isinstance(raw, dict):
            problems.append(Problem(label, "entry", "expected a mapping"))
            continue
        for name in sorted(set(raw) - {"weekday", "start", "end", "lines"}):
            problems.append(Problem(label, str(name), "unknown field (expected weekday, start, "
                                                      "end, lines)"))
        weekday = weekday_of(raw.get("weekday"))
        start, end = parse_time(raw.get("start")), parse_time(raw.get("end"))
        lines = raw.get("lines", 1)
        if weekday is None:
            problems.append(Problem(label, "weekday", f"{raw.get('weekday')!r}: expected mon…sun"))
        if start is None:
            problems.append(Problem(label, "start", f"{raw.get('start')!r}: expected HH:MM"))
        if end is None:
            problems.append(Problem(label, "end", f"{raw.get('end')!r}: expected HH:MM"))
        if start and end and end <= start:
            problems.append(Problem(label, "end", "must come after start"))
        if isinstance(lines, bool) or not isinstance(lines, int) \
                or not 1 <= lines <= timetable.MAX_LINES_PER_TURN:
            problems.append(Problem(label, "lines", "expected a whole number from 1 to "
                                                    f"{timetable.MAX_LINES_PER_TURN}"))
        if weekday is not None and start and end:
            rows.append({"weekday": weekday, "start": start, "end": end, "lines": lines,
                         "_label": label})
    rows.sort(key=lambda r: (r["weekday"], r["start"]))
    for a, b in itertools.pairwise(rows):
        if a["weekday"] == b["weekday"] and b["start"] < a["end"]:
            problems.append(Problem(b["_label"], "start",
                                    f"overlaps {a['_label']} on {WEEKDAYS[a['weekday']]} "
                                    f"({_hm(a['start'])}–{_hm(a['end'])})"))
    if problems:
        raise ImportRejected(problems)
    return [{k: v for k, v in r.items() if k != "_label"} for r in rows]


def import_turns(session: Session, text: str) -> str:
    rows = parse_turns(text)
    timetable.replace_turn_definitions(session, rows)
    days = sorted({r["weekday"] for r in rows})
    return f"{len(rows)} turns on {', '.join(WEEKDAYS[d] for d in days) or 'no day'}"


def export_turns(session: Session) -> str:
    return dump_yaml([{"weekday": WEEKDAYS[t.weekday], "start": _hm(t.start),
                       "end": _hm(t.end), "lines": t.lines}
                      for t in timetable.turn_definitions(session)])


def _hm(value: time) -> str:
    return f"{value:%H:%M}"
