"""Hostile text in every text field of every import: a listed refusal or a clean import,
never a traceback, and a refusal writes nothing. Runs on PostgreSQL too (which refuses
NUL and unpaired surrogates where SQLite stores them) when TEST_DATABASE_URL is set.

Each case is a valid file; hypothesis puts hostile text into one of its text fields (a
value, or a mapping key where the key is a name), and the import runs in a session that
is rolled back afterwards. On a refusal the tables are read back in the same session:
a half-written import would show there."""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from commands.core import Services
from store.base import Base
from store.callbacks.capacity import (
    CapacityOverride,
    CapacityPool,
    CapacityTemplate,
    WeekDay,
    WeeklySchedule,
)
from store.callbacks.capacity_io import import_capacity
from store.callers.operations import Operation
from store.callers.operations_io import import_operations
from store.calls.categories_io import import_categories
from store.calls.registry import TypificationCategory
from store.imports import ImportRejected, dump_yaml, text_problem
from store.queue.activity import PauseReason
from store.queue.pause_reasons_io import import_reasons
from store.shifts.absences import Absence, NoServiceDay
from store.shifts.absences_io import import_absences, import_company_days
from store.shifts.timetable import TimetableCell, TimetableWeek, TurnDefinition
from store.shifts.timetable_io import import_weeks, parse_csv, parse_tomatic
from store.shifts.turns_io import import_turns
from store.team.people import Person
from store.team.people_io import import_people
from testing.timetable import TOMATIC_WEEK

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
MADRID = ZoneInfo("Europe/Madrid")

HOSTILE = ["\x00", "a\x00b", "Eve\r\nX-Injected: 1", "\n", "\r", "\t", "\x1b[31m", "\x7f",
           "\x85", "\u2028", "\ufeff", "x" * 5000, "é" * 300, "ñ😀", '=HYPERLINK("x")',
           "@SUM(1)", "-1", "", " ", "'", '"', "{", "*a", "&a", "%", "\\", "null", "true",
           "09:00", "2026-12-24", "users/1", "#fff"]
TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60),
                 st.text(min_size=200, max_size=2000),
                 st.builds(lambda a, b: a + b, st.text(max_size=8), st.sampled_from(HOSTILE)))


@dataclass(frozen=True)
class Key:
    """A path's last step that renames a mapping key (a name given as a key)."""

    name: str


Path = tuple[str | int | Key, ...]


@dataclass(frozen=True)
class Case:
    base: Any
    fields: tuple[Path, ...]
    run: Callable[[Session, str], object]
    tables: tuple[type[Base], ...]
    render: Callable[[Any], str] = dump_yaml


def put(document: Any, path: Path, value: str) -> Any:
    out = copy.deepcopy(document)
    node = out
    for step in path[:-1]:
        node = node[step]
    last = path[-1]
    if isinstance(last, Key):
        items = list(node.items())
        node.clear()
        node.update((value if k == last.name else k, v) for k, v in items)
    else:
        node[last] = value
    return out


def csv_rows(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


CAPACITY = {"templates": {"std": {"09:00": 5}}, "weekly": {"normal": {"mon": "std"}},
            "queues": {"soporte": {"schedule": "normal"}},
            "campaigns": {"renewals": {"schedule": "normal"}},
            "overrides": [{"date": "2026-12-24", "queue": "soporte", "template": "std"}]}
WEEK = yaml.safe_load(TOMATIC_WEEK.replace("'2026-11-23'", "'2030-01-07'"))

CASES: dict[str, Case] = {
    "people": Case(
        [{"key": "zed", "name": "Zed", "email": "zed@x.example", "role": "agent",
          "extension": "9001", "google_chat_id": "users/9", "slack_id": "U09ZZZ",
          "groups": ["g"], "color": "ff0000", "erp_user": "ZZ"}],
        (*((0, f) for f in ("key", "name", "email", "role", "extension", "google_chat_id",
                            "slack_id", "color", "erp_user")), (0, "groups", 0)),
        lambda s, text: import_people(s, text, NOW), (Person,)),
    "people (Tomàtic)": Case(
        {"names": {"zed": "Zed"}, "extensions": {"zed": "9001"}, "colors": {"zed": "f00"},
         "groups": {"matins": ["zed"]}},
        (("names", "zed"), ("names", Key("zed")), ("colors", "zed"), ("groups", Key("matins")),
         ("groups", "matins", 0)),
        lambda s, text: import_people(s, text, NOW), (Person,)),
    "pause reasons": Case(
        [{"code": "brk", "label": "Break", "max_minutes": 10, "aliases": ["cafe"]}],
        ((0, "code"), (0, "label"), (0, "aliases", 0)), import_reasons, (PauseReason,)),
    "operations": Case(
        [{"code": "note", "name": "Note", "url": "/notes/{account_id}"}],
        ((0, "code"), (0, "name"), (0, "url")), import_operations, (Operation,)),
    "categories": Case(
        [{"code": "billing", "name": "Billing", "keywords": ["factura"], "color": "#36c"},
         {"code": "copy", "name": "Copy", "parent": "billing"}],
        ((0, "code"), (0, "name"), (0, "keywords", 0), (0, "color"), (1, "parent")),
        import_categories, (TypificationCategory,)),
    "capacity": Case(
        CAPACITY,
        (("templates", Key("std")), ("templates", "std", Key("09:00")),
         ("weekly", Key("normal")), ("weekly", "normal", "mon"), ("queues", Key("soporte")),
         ("queues", "soporte", "schedule"), ("campaigns", Key("renewals")),
         ("overrides", 0, "date"), ("overrides", 0, "queue"), ("overrides", 0, "template")),
        import_capacity,
        (CapacityTemplate, WeeklySchedule, WeekDay, CapacityPool, CapacityOverride)),
    "absences": Case(
        [{"person": "alice", "from": "2026-11-23", "to": "2026-11-24", "kind": "vacation",
          "note": "dentist"}],
        tuple((0, f) for f in ("person", "from", "to", "kind", "note")),
        lambda s, text: import_absences(s, text, MADRID), (Absence,)),
    "absences (CSV)": Case(
        [{"person": "alice", "from": "2026-11-23", "to": "2026-11-24", "kind": "vacation",
          "note": "dentist"}],
        tuple((0, f) for f in ("person", "from", "to", "kind", "note")),
        lambda s, text: import_absences(s, text, MADRID), (Absence,), csv_rows),
    "holidays": Case(
        [{"date": "2026-12-24", "name": "Nochebuena"}], ((0, "date"), (0, "name")),
        import_company_days, (NoServiceDay,)),
    "turns": Case(
        [{"weekday": "mon", "start": "09:00", "end": "10:00", "lines": 2}],
        ((0, "weekday"), (0, "start"), (0, "end")), import_turns, (TurnDefinition,)),
    "timetable (Tomàtic)": Case(
        WEEK,
        (("week",), ("days", 0), ("hours", 0), ("turns", 0), ("timetable", "dl", 0, 0),
         ("timetable", Key("dl"))),
        lambda s, text: import_weeks(s, [parse_tomatic(text)], NOW),
        (TimetableWeek, TimetableCell, TurnDefinition)),
    "timetable (CSV)": Case(
        [{"date": "2030-01-07", "start": "09:00", "end": "10:00", "line": "T1",
          "person": "alice"}],
        tuple((0, f) for f in ("date", "start", "end", "line", "person")),
        lambda s, text: import_weeks(s, parse_csv(text), NOW),
        (TimetableWeek, TimetableCell, TurnDefinition), csv_rows),
}

FIELDS = [pytest.param(name, path, id=f"{name}-{'.'.join(map(str, path))}")
          for name, case in CASES.items() for path in case.fields]


def snapshot(session: Session, tables: tuple[type[Base], ...]) -> list[list[str]]:
    return [sorted(repr(tuple(row)) for row in session.execute(select(model.__table__)))
            for model in tables]


def test_every_case_imports_as_it_is(demo: Services) -> None:
    for name, case in CASES.items():
        with demo.sessions() as session:
            try:
                case.run(session, case.render(case.base))
            except ImportRejected as exc:  # pragma: no cover - says which case is wrong
                pytest.fail(f"{name}: {[str(p) for p in exc.problems]}")
            finally:
                session.rollback()


@pytest.mark.parametrize(("name", "path"), FIELDS)
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=TEXT)
def test_hostile_text_is_imported_or_refused_whole(demo: Services, name: str, path: Path,
                                                   value: str) -> None:
    case = CASES[name]
    text = case.render(put(case.base, path, value))
    with demo.sessions() as session:
        before = snapshot(session, case.tables)
        try:
            case.run(session, text)
            session.flush()
        except ImportRejected as exc:
            assert exc.problems and all(p.entry and p.field and p.why for p in exc.problems)
            assert all(text_problem(str(p)) is None for p in exc.problems)  # one line each
            assert snapshot(session, case.tables) == before  # nothing half-written
        finally:
            session.rollback()
