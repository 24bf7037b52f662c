"""Turn definitions in and out (``switchboard turns import FILE`` / ``export``)::

    - {weekday: mon, start: "09:00", end: "10:15", lines: 3}
    - {weekday: mon, start: "10:15", end: "11:30", lines: 3}

``weekday`` is mon…sun (Tomàtic's dl…dg too). Turns of one weekday may not overlap. An
import replaces every definition; any problem rejects the whole file.
"""

from __future__ import annotations

import itertools
from datetime import time
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo, field_validator
from sqlalchemy.orm import Session

from store.imports import (
    EntryModel,
    ImportRejected,
    Problem,
    dump_yaml,
    load_yaml,
    reject,
    validate_entry,
    whole_number,
)
from store.shifts import timetable
from store.shifts.timetable_io import DAY_CODES, parse_time

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_of(value: Any) -> int | None:
    text = str(value).strip().lower()[:3] if value is not None else ""
    if text in WEEKDAYS:
        return WEEKDAYS.index(text)
    code = str(value).strip().lower() if value is not None else ""
    return DAY_CODES.index(code) if code in DAY_CODES else None


def _weekday(value: Any) -> int:
    day = weekday_of(value)
    if day is None:
        raise ValueError(f"{value!r}: expected mon…sun")
    return day


def _time(value: Any) -> time:
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError(f"{value!r}: expected HH:MM")
    return parsed


class TurnEntry(EntryModel):
    """One turn definition of an import."""

    weekday: Annotated[int, BeforeValidator(_weekday)]
    start: Annotated[time, BeforeValidator(_time)]
    end: Annotated[time, BeforeValidator(_time)]
    lines: Annotated[int, BeforeValidator(whole_number(
        f"expected a whole number from 1 to {timetable.MAX_LINES_PER_TURN}", 1,
        timetable.MAX_LINES_PER_TURN, optional=False))] = 1

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError("must come after start")
        return value


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
        entry, wrong = validate_entry(TurnEntry, raw, label)
        problems += wrong
        if entry is not None:
            rows.append({**entry.model_dump(), "_label": label})
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
