"""Hostile text in import files, as found by a probe: each is a listed problem on both
databases, never a traceback, and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from commands.core import Services
from store.db import reading, transaction
from store.imports import ImportRejected, dump_yaml, text_problem
from store.shifts.absences import Absence, NoServiceDay
from store.shifts.absences_io import import_absences, import_company_days
from store.team.people import Person
from store.team.people_io import import_people

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
MADRID = ZoneInfo("Europe/Madrid")


def rejected(services: Services, run: object) -> list[str]:
    with pytest.raises(ImportRejected) as caught, transaction(services.sessions) as session:
        run(session)  # type: ignore[operator]
    return [str(p) for p in caught.value.problems]


def test_a_name_with_a_line_break_is_refused(services: Services) -> None:
    # The probe's input: the person's calendar feed then answered 500 and the extra line
    # showed in chat replies.
    found = rejected(services, lambda s: import_people(
        s, '- {key: eve, name: "Eve\\r\\nX-Injected: 1", email: eve@x.example}\n', NOW))
    assert found == ["entry 1 (eve): name: contains a line break: it must be one line"]
    with reading(services.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0


@pytest.mark.parametrize("field, value, why", [
    ("name", "Eve\nAdmin", "contains a line break"),
    ("name", "Eve\u2028Admin", "contains a line break"),
    ("erp_user", "E\x1b[31m", "contains a control character (U+001B)"),
    ("color", "ff\x00", "contains a NUL character"),
    ("groups", ["a\tb"], "contains a control character (U+0009)"),
])
def test_every_single_line_field_of_a_person_refuses_control_characters(
        services: Services, field: str, value: object, why: str) -> None:
    text = dump_yaml([{"key": "eve", "name": "Eve", field: value}])
    found = rejected(services, lambda s: import_people(s, text, NOW))
    assert len(found) == 1 and found[0].startswith(f"entry 1 (eve): {field}: ")
    assert why in found[0]


def test_a_holiday_name_with_nul_is_a_listed_problem(services: Services) -> None:
    # On PostgreSQL this was a traceback (text cannot hold NUL); SQLite stored it.
    text = '- {date: 2026-12-24, name: "Nochebuena\\0"}\n- {date: 2026-12-31, name: ok}\n'
    assert rejected(services, lambda s: import_company_days(s, text)) == [
        "entry 1: name: contains a NUL character"]
    with reading(services.sessions) as session:
        assert session.scalar(select(func.count()).select_from(NoServiceDay)) == 0


def test_an_absence_with_nul_is_a_listed_problem(demo: Services) -> None:
    text = ('- {person: alice, from: 2026-11-23, note: "dentist\\0"}\n'
            '- {person: "bruno\\0", from: 2026-11-24}\n')
    with reading(demo.sessions) as session:
        before = session.scalar(select(func.count()).select_from(Absence))
    assert rejected(demo, lambda s: import_absences(s, text, MADRID)) == [
        "entry 1: note: contains a NUL character",
        "entry 2: person: contains a NUL character"]
    with reading(demo.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Absence)) == before


def test_what_one_line_of_text_may_hold() -> None:
    assert text_problem("Núria Puig-Ferrer (tarda) ☎") is None
    assert text_problem("x" * 11, 10) == "too long: 11 characters, at most 10"
    assert text_problem("a\x85b") == "contains a control character (U+0085)"
    assert text_problem("a\ud800") == "contains an unpaired surrogate"
