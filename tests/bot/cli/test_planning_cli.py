"""The Tomàtic path end to end: people, turns, holidays.conf, availability, a week's
vacation file, a plan with forced turns and a config, and its export as a Tomàtic week."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from tests.bot.cli.test_cli import Run
from tests.conftest import Database

PERSONS = """\
names:
  anna: Anna Vidal
  bernat: Bernat Pi
  carme: Carme Soler
  david: David Roig
  elena: Elena Mas
  ferran: Ferran Gil
tables:
  anna: 1
  bernat: 1
  carme: 2
  david: 2
  elena: 3
  ferran: -1
idealloads:
  anna: 6
  bernat: 6
  carme: 5
  david: 5
  elena: 3
  ferran: 5
groups:
  coordinators: [anna]
"""

TURNS = "".join(
    f"- {{weekday: {day}, start: '{a}', end: '{b}', lines: 2}}\n"
    for day in ("mon", "tue", "wed", "thu", "fri")
    for a, b in (("09:00", "10:15"), ("10:15", "11:30"), ("11:30", "12:45"), ("12:45", "14:00")))

HOLIDAYS = "# company days\n2023-08-11\tFesta major\n2023-12-26\tSant Esteve\n"

WEEKLY = """\
# weekly rules
+anna dl 1100 # school run
bernat dx 0011 # language class
ferran 0001 # late lessons
"""

ONESHOT = "+carme 2023-08-08 # medical\n"

VACATION = "david dl # vacances\n"


def solves(status: str = "optimal") -> float:
    """The planner solves /metrics has counted in this process with ``status``."""
    return REGISTRY.get_sample_value("switchboard_planner_solve_seconds_count",
                                     {"status": status}) or 0.0

FORCED = """\
timetable:
  dl:
  - [anna, null]
  - [null, null]
  - [null, null]
  - [null, null]
  dm:
  - [null, bernat]
  - [null, null]
  - [null, null]
  - [null, null]
"""

CONFIG = """\
hours: ['09:00', '10:15', '11:30', '12:45', '14:00']
nTelefons: 2
maximHoresDiariesGeneral: 2
maximHoresDiaries:
  elena: 1
maxOverload: 0
monitorSlack: true
"""


@pytest.fixture
def cli(db: Database) -> Run:
    return Run(db)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_tomatic_path_end_to_end(cli: Run, tmp_path: Path) -> None:
    files = {name: write(tmp_path, name, text) for name, text in (
        ("persons.yaml", PERSONS), ("turns.yaml", TURNS), ("holidays.conf", HOLIDAYS),
        ("indisponibilitats.conf", WEEKLY), ("oneshot.conf", ONESHOT),
        ("indisponibilitats-vacances.conf", VACATION), ("forced-turns.yaml", FORCED),
        ("config.yaml", CONFIG))}
    steps = [
        ("people", "import", files["persons.yaml"]),
        ("turns", "import", files["turns.yaml"]),
        ("holidays", "import", files["holidays.conf"]),
        ("availability", "import", files["indisponibilitats.conf"], files["oneshot.conf"]),
        ("absences", "import", files["indisponibilitats-vacances.conf"], "--week",
         "2023-08-07"),
    ]
    outputs = []
    for argv in steps:
        status, out, err = cli(*argv)
        assert (status, err) == (0, ""), argv
        outputs.append(out)
    assert outputs[2].endswith("2 no-service days\n")
    assert outputs[3].endswith("4 availability rules (2 hard, 2 negotiable); 0 imported "
                               "before were replaced\n")
    assert "1 absences in the week of 2023-08-07" in outputs[4]
    counted = solves()
    status, out, err = cli("plan", "2023-08-07", "--lines", "2", "--forced",
                           files["forced-turns.yaml"], "--tomatic-config", files["config.yaml"])
    assert (status, err) == (0, "")
    assert solves() == counted + 1  # the CLI's solve is counted in the metrics
    lines = out.splitlines()
    assert lines[0].startswith("Plan for the week of 2023-08-07: optimal, cost ")
    assert "Closed 2023-08-11: Festa major." in lines
    assert "  - [0] Anna's fixed turn Mon 09:00 not placed: hard-busy, 'school run' then" \
        in lines
    loads = {line.split()[0]: line.split()[1:] for line in lines[lines.index(
        "Loads (ideal / prorated / bound / planned):") + 1:]}
    # Four service days (Friday is a holiday); David is away on Monday (3 working days of
    # 4: 5 × 3 / 4 = 3.75 → 4), Carme has a dated hard all-day rule on Tuesday; Elena
    # works at most one turn a day (4 days → bound 3 = her load).
    assert loads["david"][:3] == ["5", "/", "4"] and loads["carme"][:3] == ["5", "/", "4"]
    assert loads["anna"][:5] == ["6", "/", "6", "/", "6"]
    assert loads["elena"][4] == "3"
    status, out, _ = cli("plan", "explain", "2023-08-07", "@anna")
    assert status == 0 and out.startswith("Anna: ideal 6 turns; prorated 6 (4 working of 4 "
                                          "service days); bound 6; at most 2 a day.")
    assert "Mon 09:00 (hard-busy, 'school run')" in out
    export = tmp_path / "out.yaml"
    assert cli("plan", "export", "2023-08-07", str(export), "--format", "tomatic")[0] == 0
    week = yaml.safe_load(export.read_text())
    assert (week["week"], week["days"], week["turns"]) == ("2023-08-07",
                                                            ["dl", "dm", "dx", "dj", "dv"],
                                                            ["T1", "T2"])
    assert week["hours"] == ["09:00", "10:15", "11:30", "12:45", "14:00"]
    assert week["timetable"]["dv"] == [["festiu", "festiu"]] * 4
    assert week["timetable"]["dm"][0][1] == "bernat"  # the fixed turn, on its line
    assert "anna" not in week["timetable"]["dl"][0] + week["timetable"]["dl"][1]
    assert all("david" not in turn for turn in week["timetable"]["dl"])
    assert all("carme" not in turn for turn in week["timetable"]["dm"])
    # The export reads back as a timetable, cell for cell.
    assert cli("timetable", "import", str(export))[0] == 0
    assert yaml.safe_load(cli("timetable", "export", "2023-08-07")[1])["timetable"] == \
        week["timetable"]
    status, out, _ = cli("plan", "2023-08-07", "--lines", "2", "--json", "--forced",
                         files["forced-turns.yaml"], "--tomatic-config", files["config.yaml"])
    summary = json.loads(out)
    assert summary["objective"] == sum(p["cost"] for p in summary["penalties"])


def test_bad_lines_are_reported_with_their_numbers_and_nothing_is_imported(
        cli: Run, tmp_path: Path) -> None:
    assert cli("people", "import", write(tmp_path, "persons.yaml", PERSONS))[0] == 0
    good = write(tmp_path, "good.conf", WEEKLY)
    assert cli("availability", "import", good)[0] == 0
    bad = write(tmp_path, "bad.conf", "+anna dl 1100 # school run\n"
                                      "bernat dx 0011 #\n"
                                      "\n"
                                      "zoe dl # who?\n"
                                      "carme dq 11 # typo\n"
                                      "david 2023-02-30 # no such day\n"
                                      "elena dl\n")
    status, out, err = cli("availability", "import", bad)
    assert status == 1 and out == ""
    assert err.splitlines() == [
        f"{bad} line 2: reason: '#' with no reason: say why",
        f"{bad} line 5: words: 'dq' is not a day (dl dm dx dj dv, or YYYY-MM-DD) nor turn "
        "bits such as 1100",
        f"{bad} line 6: day: '2023-02-30' is not a real date",
        f"{bad} line 7: reason: missing: end the line with '# reason'",
        f"{bad} line 4: person: unknown person 'zoe'",
        "switchboard: 5 problem(s); nothing was imported"]
    assert cli("availability", "export")[1].splitlines()[1:] == WEEKLY.splitlines()[1:]


def test_holidays_conf_with_a_bad_line(cli: Run, tmp_path: Path) -> None:
    bad = write(tmp_path, "holidays.conf", "2023-08-11\tFesta major\n2023-13-01\tNo\n")
    status, _, err = cli("holidays", "import", bad)
    assert status == 1
    assert err.splitlines()[0] == (f"{bad}: line 2: date: '2023-13-01': expected YYYY-MM-DD, "
                                   "a tab, the name")


def test_fixed_turns_are_stored_and_a_missing_draft_is_explained(cli: Run,
                                                                 tmp_path: Path) -> None:
    assert cli("people", "import", write(tmp_path, "persons.yaml", PERSONS))[0] == 0
    status, out, _ = cli("plan", "fixed", "import", write(tmp_path, "forced.yaml", FORCED))
    assert (status, out.split(": ", 1)[1]) == (0, "2 fixed turns\n")
    bad = write(tmp_path, "forced-bad.yaml", FORCED.replace("bernat", "zoe"))
    status, _, err = cli("plan", "fixed", "import", bad)
    assert status == 1 and "timetable.dm[1]: line 2: unknown person 'zoe'" in err
    status, _, err = cli("plan", "show", "2031-01-06")
    assert status == 1 and "There is no draft for the week of 2031-01-06" in err
    assert cli("plan", "not-a-week")[0] == 2
    status, out, _ = cli("plan", "2031-01-06", "--time-limit", "5")
    assert status == 0 and "The week has no turns to fill: import the turn definitions" in out


def test_plan_said_from_the_shell_finishes_before_the_process_ends(cli: Run) -> None:
    assert cli("demo")[0] == 0
    counted = solves()
    status, out, _ = cli("say", "--as", "carla", "/plan 2030-01-07")
    assert status == 0 and out.startswith("Planning the week of Mon 07 Jan in the background")
    assert solves() == counted + 1  # chat's background solve is counted in the metrics
    status, out, _ = cli("plan", "show", "2030-01-07")
    assert status == 0 and out.startswith("Plan for the week of 2030-01-07: optimal")
