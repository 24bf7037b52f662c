"""switchboard turns / timetable / holidays / absences / hr / people export --format tomatic."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from store.db import make_sessionmaker, reading
from store.messaging.outbox import OutboxMessage
from testing.timetable import TOMATIC_WEEK as WEEK_2026
from tests.bot.cli.test_cli import Run
from tests.conftest import Database

# The CLI runs on the system clock, so the demo timetable sits around today: this test
# uses a week far from it.
TOMATIC_WEEK = WEEK_2026.replace("week: '2026-11-23'", "week: '2030-01-07'")

PERSONS = """\
names:
  anna: Anna Vidal
extensions:
  anna: '3001'
  bernat: '3002'
  carme: '3003'
  ningu: '0000'
emails:
  bernat: bernat@coop.example
colors:
  anna: ff0000
  bernat: 00ff00
  ningu: ffffff
tables:
  anna: 1
  carme: -1
notoi_ids:
  anna: 12
groups:
  coordinators: [anna]
  matins: [bernat, carme]
"""


@pytest.fixture
def cli(db: Database) -> Run:
    run = Run(db)
    assert run("demo")[0] == 0
    return run


def test_a_timetable_goes_in_and_comes_back_out(cli: Run, tmp_path: Path) -> None:
    week = tmp_path / "graella-telefons-2030-01-07.yaml"
    week.write_text(TOMATIC_WEEK)
    status, out, err = cli("timetable", "import", str(week))
    assert (status, err) == (0, "")
    assert out == "imported 1 week(s) (2030-01-07), 40 cells, 0 replaced\n"
    assert cli("timetable", "import", str(week))[1].endswith("40 cells, 40 replaced\n")
    status, out, _ = cli("timetable", "export", "2030-01-09")
    assert status == 0
    assert yaml.safe_load(out)["timetable"] == yaml.safe_load(TOMATIC_WEEK)["timetable"]
    csv_file = tmp_path / "week.csv"
    assert cli("timetable", "export", "2030-01-07", str(csv_file))[0] == 0
    assert csv_file.read_text().startswith("date,start,end,line,person\n2030-01-07,09:00,")
    assert cli("timetable", "import", str(csv_file))[0] == 0


def test_a_bad_timetable_lists_every_problem_and_writes_nothing(cli: Run,
                                                               tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TOMATIC_WEEK.replace("week: '2030-01-07'", "week: '07/01/2030'")
                   .replace("[farah, gael]", "[farah, zoe]")
                   .replace("  - [gael, hana]\n  - [alice, bruno]\n", "  - [gael, hana]\n"))
    status, out, err = cli("timetable", "import", str(bad))
    assert status == 1 and out == ""
    assert err.splitlines() == [
        f"{bad}: file: week: '07/01/2030' is not a date (expected YYYY-MM-DD, the Monday)",
        f"{bad}: timetable.dv: turns: 3 turns, but hours gives 4 (5 boundaries)",
        f"{bad}: timetable.dl[4]: line T2: unknown person 'zoe'",
        "switchboard: 3 problem(s); nothing was imported",
    ]
    _, out, _ = cli("timetable", "export", "2030-01-07")
    assert yaml.safe_load(out)["timetable"] == {}  # nothing was written
    assert cli("timetable", "export", "someday")[0] == 2


def test_turns_holidays_and_absences(cli: Run, tmp_path: Path) -> None:
    turns = tmp_path / "turns.yaml"
    turns.write_text('- {weekday: mon, start: "08:00", end: "11:00", lines: 2}\n'
                     '- {weekday: dl, start: "11:00", end: "14:00", lines: 2}\n')
    assert cli("turns", "import", str(turns))[:2] == (
        0, f"imported {turns}: 2 turns on mon\n")
    assert cli("turns", "export")[1].startswith("- weekday: mon\n  start: 08:00")
    turns.write_text('- {weekday: mon, start: "08:00", end: "11:00", lines: 0}\n'
                     '- {weekday: mon, start: "10:00", end: "09:00"}\n')
    status, _, err = cli("turns", "import", str(turns))
    assert status == 1
    assert "entry 1: lines: expected a whole number from 1 to 2000" in err
    assert "entry 2: end: must come after start" in err
    days = tmp_path / "days.csv"
    days.write_text("date,name\n2026-12-24,Christmas Eve\n2026-12-31,New Year's Eve\n")
    assert cli("holidays", "import", str(days))[1] == f"imported {days}: 2 no-service days\n"
    assert "Christmas Eve" in cli("say", "--as", "alice", "/onshift 2026-12-24 10:00")[1]
    absences = tmp_path / "absences.csv"
    absences.write_text("person,from,to,kind,note\nalice,2026-11-23,2026-11-27,vacation,\n"
                        "bruno,2026-11-24 09:00,2026-11-24 11:30,busy,dentist\n")
    assert cli("absences", "import", str(absences))[1] == f"imported {absences}: 2 absences\n"
    absences.write_text("person,from,to,kind\nzoe,2026-11-23,2026-11-20,nap\n")
    status, _, err = cli("absences", "import", str(absences))
    assert status == 1 and err.splitlines()[:3] == [
        f"{absences}: line 2: person: unknown person 'zoe'",
        f"{absences}: line 2: to: must come after from",
        f"{absences}: line 2: kind: 'nap': expected one of vacation, leave, sick, busy, other"]
    assert cli("hr", "sync")[1] == "local: 0 absences, 0 public holidays\n"


def test_tomatic_persons_without_names_and_back(cli: Run, tmp_path: Path) -> None:
    persons = tmp_path / "persons.yaml"
    persons.write_text(PERSONS)
    status, out, err = cli("people", "import", str(persons))
    assert (status, err) == (0, "") and "3 created" in out
    status, out, _ = cli("people", "export", "--format", "tomatic")
    exported = yaml.safe_load(out)
    assert exported["names"] == {**exported["names"], "anna": "Anna Vidal",
                                 "bernat": "Bernat", "carme": "Carme"}
    assert "ningu" not in exported["extensions"]
    # Tomàtic draws empty cells with its ningu entry: the file that goes back has it.
    assert (exported["names"]["ningu"], exported["colors"]["ningu"]) == ("-", "ffffff")
    assert exported["groups"]["coordinators"] == ["anna", "carla", "dani"]
    assert exported["groups"]["matins"] == ["bernat", "carme"]
    assert exported["tables"] == {"anna": 1, "carme": -1}
    back = tmp_path / "back.yaml"
    back.write_text(out)
    status, out, _ = cli("people", "import", str(back))
    assert status == 0 and "0 created, 0 updated" in out


def test_a_week_with_people_on_a_public_holiday_is_served_and_warns_once(
        cli: Run, db: Database, tmp_path: Path) -> None:
    week = tmp_path / "graella-telefons-2030-10-28.yaml"  # Fri 1 Nov 2030: All Saints' Day
    week.write_text(TOMATIC_WEEK.replace("week: '2030-01-07'", "week: '2030-10-28'"))
    warning = ("warning: Fri 1 Nov is a public holiday (All Saints' Day) and the timetable has "
               "8 people on it. The coordinators are asked to keep or close it "
               "(/holiday keep|close 2030-11-01).\n")
    for _ in range(2):
        status, out, err = cli("timetable", "import", str(week))
        assert (status, err) == (0, "")
        assert out.splitlines(keepends=True)[1:] == [warning]
    with reading(make_sessionmaker(db.engine)) as session:
        keys = session.scalars(select(OutboxMessage.key).where(
            OutboxMessage.key.like("planned-holiday:%"))).all()
    assert keys == ["planned-holiday:2030-11-01"]  # one message to the coordinators
    assert cli("say", "--as", "alice", "/onshift 2030-11-01 09:07")[1].startswith(
        "On shift: Fri 01 Nov, turn 1 (09:00–10:15): Gael Agent, Hana Agent.")
    assert cli("say", "--as", "carla", "/holiday keep 2030-11-01")[0] == 0
    assert cli("timetable", "import", str(week))[1].count("\n") == 1  # kept: no warning
