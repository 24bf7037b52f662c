"""Tomàtic timetables and CSV in and out: whole-file validation, round trips, indexes."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from commands.core import Services
from store.db import reading, transaction
from store.messaging.clockwork import ClockRun, OfflineEpisode
from store.shifts import timetable
from store.shifts.absences import Absence, absent_at, no_service_days, overlapping
from store.shifts.timetable import TimetableCell, TimetableChange
from store.shifts.timetable_io import (
    ImportRejected,
    export_csv,
    export_week,
    import_weeks,
    parse_csv,
    parse_time,
    parse_tomatic,
)
from store.team import people
from testing.explain import assert_indexed
from testing.timetable import TOMATIC_WEEK, WEEK, import_week
from tests.conftest import T0


def test_a_tomatic_week_exports_to_the_same_cells(demo: Services) -> None:
    import_week(demo)
    with reading(demo.sessions) as session:
        exported = export_week(session, WEEK)
    original = yaml.safe_load(TOMATIC_WEEK)
    assert exported["week"] == "2026-11-23"
    assert exported["hours"] == ["09:00", "10:15", "11:30", "12:45", "14:00"]
    assert exported["turns"] == original["turns"] and exported["days"] == original["days"]
    assert exported["timetable"] == original["timetable"]
    # …and the exported file imports to the same cells again.
    with reading(demo.sessions) as session:
        before = [(c.day, c.start, c.line, c.status, c.person_id)
                  for c in timetable.cells_between(session, WEEK, WEEK + timedelta(days=6))]
    import_week(demo, yaml.safe_dump(exported))
    with reading(demo.sessions) as session:
        after = [(c.day, c.start, c.line, c.status, c.person_id)
                 for c in timetable.cells_between(session, WEEK, WEEK + timedelta(days=6))]
    assert after == before and len(before) == 5 * 4 * 2


def test_reimporting_a_week_replaces_that_week_only(demo: Services) -> None:
    next_monday = WEEK + timedelta(days=7)
    with reading(demo.sessions) as session:
        next_week = len(timetable.cells_between(session, next_monday, next_monday + timedelta(6)))
    assert next_week > 0  # the demo timetable
    import_week(demo)
    import_week(demo)
    with reading(demo.sessions) as session:
        assert len(timetable.cells_between(session, WEEK, WEEK + timedelta(days=6))) == 40
        assert len(timetable.cells_between(session, next_monday,
                                        next_monday + timedelta(6))) == next_week


def test_every_problem_is_listed_and_nothing_is_written(demo: Services) -> None:
    bad = (TOMATIC_WEEK.replace("week: '2026-11-23'", "week: '2026-13-40'")
           .replace("[farah, gael]", "[farah, zoe]")
           .replace("  - [elena, farah]\n  - [gael, hana]\n", "  - [elena, farah]\n", 1))
    with pytest.raises(ImportRejected) as caught, transaction(demo.sessions) as session:
        import_weeks(session, [parse_tomatic(bad)], T0)
    assert [str(p) for p in caught.value.problems] == [
        "file: week: '2026-13-40' is not a date (expected YYYY-MM-DD, the Monday)",
        "timetable.dj: turns: 3 turns, but hours gives 4 (5 boundaries)",
        "timetable.dl[4]: line T2: unknown person 'zoe'",
    ]
    with reading(demo.sessions) as session:  # the demo week is still there, untouched
        cells = timetable.cells_between(session, WEEK, WEEK + timedelta(days=6))
        assert len(cells) == 5 * 4 * 3


def test_other_structural_problems() -> None:
    week = parse_tomatic("week: '2026-11-24'\nhours: ['09:00', '08:00']\nturns: []\n"
                         "timetable: {dl: [[a]], dz: []}\n")
    assert [str(p) for p in week.problems] == [
        "file: week: 2026-11-24 is a Tuesday, not a Monday",
        "file: hours[2]: 08:00 does not come after 09:00",
        "file: turns: expected the list of line names, e.g. [T1, T2, T3]",
        "timetable.dz: day: 'dz' is not one of the file's days (dl, dm, dx, dj, dv)",
        "timetable.dl[1]: lines: expected 0 person keys, one per line",
    ]
    with pytest.raises(ImportRejected):
        parse_tomatic("- just a list\n")


def test_csv_round_trip(demo: Services) -> None:
    import_week(demo)
    with reading(demo.sessions) as session:
        text = export_csv(session, WEEK, WEEK + timedelta(days=6))
    assert text.splitlines()[:3] == ["date,start,end,line,person",
                                     "2026-11-23,09:00,10:15,T1,alice",
                                     "2026-11-23,09:00,10:15,T2,bruno"]
    with transaction(demo.sessions) as session:
        import_weeks(session, parse_csv(text), T0)
        assert export_csv(session, WEEK, WEEK + timedelta(days=6)) == text
        assert export_week(session, WEEK)["timetable"] == yaml.safe_load(
            TOMATIC_WEEK)["timetable"]


def test_csv_problems_name_the_line() -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_csv("date,start,end,line,person\n2026-11-23,9h,10:15,T1,alice\n"
                  "2026-02-30,09:00,08:00,,bob\n")
    assert [str(p) for p in caught.value.problems] == [
        "line 2: start: '9h': expected HH:MM",
        "line 3: date: '2026-02-30': expected YYYY-MM-DD",
        "line 3: line: missing",
    ]


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=59))
def test_times_read_back_in_every_form_yaml_gives_them(hours: int, minutes: int) -> None:
    expected = time(hours, minutes)
    assert parse_time(f"{hours:02d}:{minutes:02d}") == expected
    assert parse_time(yaml.safe_load(f"{hours:02d}:{minutes:02d}")) == expected
    assert parse_time(yaml.safe_load(f"{hours}:{minutes:02d}")) == expected


@settings(derandomize=True, max_examples=30, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_a_week_or_a_listed_rejection(text: str) -> None:
    try:
        week = parse_tomatic(text)
    except ImportRejected as exc:
        assert exc.problems
    else:
        assert week.problems or week.monday.weekday() == 0


def test_the_shift_queries_are_served_by_indexes(demo: Services) -> None:
    day, when = date(2026, 11, 23), T0
    with reading(demo.sessions) as session:
        assert_indexed(session, select(TimetableCell).where(
            TimetableCell.day >= day, TimetableCell.day <= day))
        assert_indexed(session, select(TimetableCell).where(
            TimetableCell.person_id == 1, TimetableCell.day >= day, TimetableCell.day <= day))
        assert_indexed(session, select(TimetableChange).order_by(
            TimetableChange.at.desc(), TimetableChange.id.desc()).limit(20), limited=True)
        assert_indexed(session, select(Absence).where(Absence.ends > when,
                                                      Absence.starts <= when))
        assert_indexed(session, select(Absence).where(
            Absence.ends > when, Absence.starts < when, Absence.person_id.in_([1, 2])))
        assert_indexed(session, select(OfflineEpisode).where(OfflineEpisode.ended_at.is_(None)))
        assert_indexed(session, select(ClockRun.slot).where(ClockRun.job == "x").order_by(
            ClockRun.slot.desc()).limit(1), limited=True)
        assert absent_at(session, when) == {}
        assert overlapping(session, when, when + timedelta(days=1)) == []
        assert no_service_days(session, day, day) == []


def test_a_bad_cell_in_a_later_week_rejects_the_file_before_any_week_is_written(
        demo: Services) -> None:
    long_line = "L" * 100
    text = ("date,start,end,line,person\n"
            "2026-11-23,09:00,10:15,T1,bruno\n"  # the demo has alice there
            f"2026-11-30,09:00,10:15,{long_line},alice\n"
            f"2026-12-07,09:00,10:15,{long_line}2,alice\n")
    with transaction(demo.sessions) as session:
        with pytest.raises(ImportRejected) as caught:
            import_weeks(session, parse_csv(text), T0)
        assert [p.field for p in caught.value.problems] == ["line", "line"]  # both weeks
        first = [c for c in timetable.cells_between(session, WEEK, WEEK)
                 if c.line == "T1" and c.start == time(9)]
        alice = people.by_key(session, "alice")
        assert alice is not None and [c.person_id for c in first] == [alice.id]


def test_a_day_with_more_turns_than_hours_is_rejected_not_a_crash(demo: Services) -> None:
    bad = TOMATIC_WEEK.replace("  - [elena, farah]\n  - [gael, hana]\n",
                               "  - [elena, farah]\n  - [gael, hana]\n  - [gael, hana]\n"
                               "  - [gael, hana]\n", 1)
    with pytest.raises(ImportRejected) as caught, transaction(demo.sessions) as session:
        import_weeks(session, [parse_tomatic(bad)], T0)
    assert [p.field for p in caught.value.problems] == ["turns"]


def test_one_limit_for_lines_per_turn_in_every_import_and_export(demo: Services) -> None:
    """A 200-line timetable defines 200-line turns; `turns export` then `turns import`
    reads them back; one more line than the limit is refused by both imports."""
    from store.shifts.turns_io import export_turns, import_turns, parse_turns

    lines = [f"L{n}" for n in range(200)]
    document = {"week": WEEK.isoformat(), "days": ["dl"], "hours": ["09:00", "10:00"],
                "turns": lines, "timetable": {"dl": [["ningu"] * 200]}}
    with transaction(demo.sessions) as session:
        timetable.replace_turn_definitions(session, [])
        import_weeks(session, [parse_tomatic(yaml.safe_dump(document))], T0)
    with transaction(demo.sessions) as session:
        exported = export_turns(session)
        assert "lines: 200" in exported
        import_turns(session, exported)
        assert [d.lines for d in timetable.turn_definitions(session)] == [200]
    too_many = timetable.MAX_LINES_PER_TURN + 1
    with pytest.raises(ImportRejected) as refused:
        parse_turns(f"- {{weekday: mon, start: '09:00', end: '10:00', lines: {too_many}}}\n")
    assert f"from 1 to {timetable.MAX_LINES_PER_TURN}" in str(refused.value.problems)
    wide = {**document, "turns": [f"L{n}" for n in range(too_many)],
            "timetable": {"dl": [["ningu"] * too_many]}}
    with transaction(demo.sessions) as session, pytest.raises(ImportRejected) as refused:
        import_weeks(session, [parse_tomatic(yaml.safe_dump(wide))], T0)
    assert f"at most {timetable.MAX_LINES_PER_TURN}" in str(refused.value.problems)
