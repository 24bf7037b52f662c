"""Tomàtic's planner files: availability lines, a week's vacation file, holidays.conf,
forced turns and config.yaml, with their bad lines."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from store.db import make_sessionmaker, transaction
from store.imports import ImportRejected
from store.shifts.availability_io import (
    import_week_absences,
    parse_config,
    parse_holidays_conf,
    parse_lines,
    parse_week_absences,
)
from store.shifts.timetable import replace_turn_definitions
from store.team.people import Person
from tests.conftest import MADRID, T0, Database


def test_lines_read_every_form_and_name_each_bad_line() -> None:
    lines, problems = parse_lines(
        "# a comment\n"
        "+anna dl 1100 # school run\n"
        "pau 2026-12-14 # doctor\n"
        "marta 0001 # late lessons\n"
        "joan dv#no space\n"
        "\n"
        "+ # nobody\n"
        "pere dl 12 # bad bits\n")
    assert [(x.number, x.person, x.hard, x.weekday, x.day, x.bits, x.reason) for x in lines] == [
        (2, "anna", True, 0, None, "1100", "school run"),
        (3, "pau", False, None, date(2026, 12, 14), "", "doctor"),
        (4, "marta", False, None, None, "0001", "late lessons"),
        (5, "joan", False, 4, None, "", "no space")]
    assert [str(p) for p in problems] == [
        "line 7: person: missing",
        "line 8: words: '12' is not a day (dl dm dx dj dv, or YYYY-MM-DD) nor turn bits such "
        "as 1100"]


@pytest.fixture
def team(db: Database) -> Database:
    with transaction(make_sessionmaker(db.engine)) as session:
        session.add(Person(key="anna", name="Anna", created_at=T0))
        replace_turn_definitions(session, [
            {"weekday": 0, "start": time(9), "end": time(10, 15), "lines": 2},
            {"weekday": 0, "start": time(10, 15), "end": time(11, 30), "lines": 2}])
    return db


def test_a_weeks_vacation_file_becomes_absences_of_that_week(team: Database) -> None:
    sessions = make_sessionmaker(team.engine)
    monday = date(2026, 11, 23)
    with transaction(sessions) as session:
        rows = parse_week_absences(session, "anna dl 01 # dentist\nanna dx # vacances\n",
                                   monday, MADRID)
        assert [(r.starts, r.ends, r.kind, r.note) for r in rows] == [
            (datetime(2026, 11, 23, 10, 15, tzinfo=MADRID),
             datetime(2026, 11, 23, 11, 30, tzinfo=MADRID), "vacation", "dentist"),
            (datetime(2026, 11, 25, tzinfo=MADRID), datetime(2026, 11, 26, tzinfo=MADRID),
             "vacation", "vacances")]
        assert import_week_absences(session, "anna dx # vacances\n", monday, MADRID) == (
            "1 absences in the week of 2026-11-23 (0 of that week's vacation file replaced)")
        assert import_week_absences(session, "anna dj # vacances\n", monday, MADRID) == (
            "1 absences in the week of 2026-11-23 (1 of that week's vacation file replaced)")
        with pytest.raises(ImportRejected) as rejected:
            parse_week_absences(session, "anna 2026-12-01 # late\nzoe dl # who\n", monday,
                                MADRID)
    assert [str(p) for p in rejected.value.problems] == [
        "line 1: day: 2026-12-01 is not in the week of 2026-11-23",
        "line 2: person: unknown person 'zoe'"]


def test_holidays_conf() -> None:
    assert parse_holidays_conf("# festius\n2026-12-25\tNadal\n2026-12-26\tSant Esteve\n") == [
        (date(2026, 12, 25), "Nadal"), (date(2026, 12, 26), "Sant Esteve")]
    with pytest.raises(ImportRejected) as rejected:
        parse_holidays_conf("2026-12-25\tNadal\n2026-12-25\tNadal again\nnadal\n")
    assert [str(p) for p in rejected.value.problems] == [
        "line 2: date: 2026-12-25 is given twice",
        "line 3: date: 'nadal': expected YYYY-MM-DD, a tab, the name"]


def test_config_reads_the_planning_keys_only() -> None:
    config = parse_config("hours: ['09:00', '10:15', '11:30']\nnTelefons: 7\n"
                          "maximHoresDiariesGeneral: 2\nmaximHoresDiaries: {anna: 1}\n"
                          "maxOverload: 1\nmonitorSlack: true\nsomethingElse: [1, 2]\n")
    assert (config.hours, config.lines, config.max_per_day, config.person_max_per_day,
            config.max_overload) == ([time(9), time(10, 15), time(11, 30)], 7, 2,
                                     {"anna": 1}, 1)
    with pytest.raises(ImportRejected) as rejected:
        parse_config("hours: ['10:15', '09:00']\nnTelefons: 0\nmaxOverload: -1\n")
    assert [str(p) for p in rejected.value.problems] == [
        "file: hours: expected at least two rising times such as '09:00', '10:15'",
        "file: nTelefons: expected a whole number ≥ 1",
        "file: maxOverload: expected a whole number ≥ 0"]
