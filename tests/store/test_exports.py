"""Every CSV the project writes neutralises cells a spreadsheet would run (CSV injection).

The exports are listed here one by one, each fed the hostile texts below where a person
can put text into it; a guard below fails when a module writes CSV without the shared
writer, so a new export cannot skip this list's protection."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli.stats import csv_rows, hourly_table
from commands.callbacks import report as callback_report
from commands.core import Services
from commands.shifts.planning import drafts
from commands.stats.figures import StatsReport
from commands.stats.metrics import Figures
from store.db import reading, transaction
from store.exports import FORMULA_START, csv_text, safe_cell
from store.shifts.planning import PlanDraft
from store.shifts.timetable_io import export_csv, import_weeks, parse_csv

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ['=HYPERLINK("http://x","Hi")', "@SUM(1)", "+1", "-1", "=1+2", "＝1", "-2+3",
           "=cmd|' /C calc'!A0"]
WEEK = date(2030, 1, 7)


def cells(text: str, delimiter: str = ",") -> list[str]:
    return [cell for row in csv.reader(text.splitlines(), delimiter=delimiter) for cell in row]


def assert_safe(text: str, delimiter: str = ",") -> None:
    for cell in cells(text, delimiter):
        assert not cell.startswith(FORMULA_START), cell


def timetable_export(services: Services, hostile: list[str]) -> str:
    """Line names are typed by people (a Tomàtic file, a CSV, /timetable)."""
    out = io.StringIO()
    csv.writer(out).writerows([["date", "start", "end", "line", "person"],
                               *([WEEK, "09:00", "10:00", name, "ningu"] for name in hostile)])
    with transaction(services.sessions) as session:
        import_weeks(session, parse_csv(out.getvalue()),
                     datetime(2030, 1, 1, tzinfo=ZoneInfo("UTC")))
    with reading(services.sessions) as session:
        return export_csv(session, WEEK, WEEK + timedelta(days=6))


def callbacks_export(services: Services, hostile: list[str]) -> str:
    """Queue and campaign names come from the PBX, the capacity file and bookings."""
    period = callback_report.period_between(WEEK, WEEK, ZoneInfo("Europe/Madrid"))
    report = callback_report.Report(period)
    for name in hostile:
        report.add(name, name, name, "requested", 1)
    return callback_report.to_csv(report)


def plan_export(_services: Services, hostile: list[str]) -> str:
    """A draft's lines are the timetable's, typed by people."""
    row = PlanDraft(cells=[{"day": WEEK.isoformat(), "start": "09:00", "end": "10:00",
                            "line": name, "status": "person", "person": "ana"}
                           for name in hostile])
    return drafts.csv_text(row)


EXPORTS: dict[str, Callable[[Services, list[str]], str]] = {
    "timetable export --csv": timetable_export,
    "callbacks report --csv": callbacks_export,
    "plan show --csv": plan_export,
}


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_every_export_neutralises_hostile_text(services: Services, export: str) -> None:
    text = EXPORTS[export](services, HOSTILE)
    assert_safe(text)
    written = cells(text)
    for hostile in HOSTILE:
        assert "'" + hostile in written, (hostile, written)  # kept, readable, inert


def figures(value: int) -> Figures:
    return Figures(**{f.name: (float(value) if "float" in str(f.type) else value)
                      for f in dataclasses.fields(Figures)})


def test_the_stats_csv_has_figures_only_and_writes_them_as_numbers() -> None:
    # Its only text cells are the hour labels; a negative figure (impossible today) would
    # stay a number: the exporter wrote it, nobody typed it.
    report = StatsReport(period=None, queue=None, basis=None,  # type: ignore[arg-type]
                         figures=figures(3),
                         hourly=((datetime(2030, 1, 7, 9, tzinfo=ZoneInfo("UTC")), figures(-1)),))
    assert [type(c) for c in csv_rows(report)[1][:3]] == [str, int, int]
    assert cells(hourly_table(report), "\t")[13:16] == ["09:00", "-1", "-1"]


def test_safe_cell() -> None:
    assert [safe_cell(h) for h in ("=1", "@A1", "\t=1", "\r=1", "plain", "", "Núria")] == [
        "'=1", "'@A1", "'\t=1", "'\r=1", "plain", "", "Núria"]
    assert safe_cell(-1) == -1 and safe_cell(-1.5) == -1.5 and safe_cell(None) is None
    assert csv_text([["-5", -5]]) == "'-5,-5\n"


def test_no_module_writes_csv_without_the_shared_writer() -> None:
    writers = re.compile(r"csv\s*\.\s*(writer|DictWriter)\s*\(|from csv import")
    found = [str(path.relative_to(ROOT))
             for folder in ("bot", "commands", "store", "integrations")
             for path in sorted((ROOT / folder).rglob("*.py"))
             if writers.search(path.read_text(encoding="utf-8"))]
    assert found == ["store/exports.py"]
