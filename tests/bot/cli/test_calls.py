"""``switchboard calls …``, ``stats`` and ``report`` run in-process; ``--follow`` and rotation."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest

from bot.cli.base import Cli
from bot.cli.calls import follow
from bot.cli.follow import Follower
from bot.cli.main import main
from bot.settings import Settings
from testing.shared_data import shared_data
from tests.conftest import MADRID, Database

E = int(datetime(2026, 11, 23, 9, 0, tzinfo=MADRID).timestamp())
LOG = (f"{E}|1.1|support|NONE|ENTERQUEUE||600111222|1\n"
       f"{E + 9}|1.1|support|PJSIP/211|CONNECT|9|1.2|3\n"
       "not a line\n"
       f"{E + 99}|1.1|support|PJSIP/211|COMPLETEAGENT|9|90|1\n"
       f"{E + 100}|1.3|support|NONE|ENTERQUEUE||600333444|1\n"
       f"{E + 140}|1.3|support|NONE|ABANDON|1|1|40\n")


class Run:
    def __init__(self, url: str) -> None:
        self.env = {"DATABASE_URL": url, "LOG_LEVEL": "warning", "TIMEZONE": "Europe/Madrid"}

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = main(list(argv), environ=self.env, out=out, err=err)
        return status, out.getvalue(), err.getvalue()


@pytest.fixture
def run(db: Database) -> Run:
    return Run(db.url)


def test_import_reports_bad_lines_and_is_idempotent(run: Run, tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.write_text(LOG)
    status, out, err = run("calls", "import-queue-log", str(log))
    assert status == 1  # a line was skipped; the rest is in
    assert err == f"{log}: line 3: 1 fields; expected time|callid|queue|agent|event|data…\n"
    assert "calls: 2 new, 0 updated, 0 unchanged" in out
    status, out, _ = run("calls", "import-queue-log", str(log))
    assert "calls: 0 new, 0 updated, 2 unchanged" in out
    status, out, _ = run("stats", "--date", "2026-11-23", "--json")
    figures = json.loads(out)
    assert status == 0 and (figures["offered"], figures["answered"], figures["abandoned"],
                            figures["asa_seconds"]) == (2, 1, 1, 9.0)


def test_import_of_a_missing_a_binary_or_a_large_file(run: Run, tmp_path: Path) -> None:
    status, _, err = run("calls", "import-queue-log", str(tmp_path / "nope"))
    assert status == 2 and "cannot read" in err
    utf16 = tmp_path / "utf16"
    utf16.write_bytes(LOG.encode("utf-16"))
    status, out, err = run("calls", "import-queue-log", str(utf16))
    assert status == 1 and "not UTF-8 text: it looks like UTF-16" in err and not out
    # The file is read as a stream: IMPORT_MAX_BYTES (for YAML and CSV) does not cap it.
    big = tmp_path / "big"
    big.write_text("".join(LOG.replace("|1.", f"|{n}.") for n in range(1, 11)))
    run.env["IMPORT_MAX_BYTES"] = "100"
    status, out, err = run("calls", "import-queue-log", str(big))
    assert status == 1 and err.count("1 fields; expected") == 10
    assert "calls: 20 new, 0 updated, 0 unchanged" in out


def test_stats_from_a_queue_log_file_touch_no_database(tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    run = Run(f"sqlite:///{database}")
    scenario = next(shared_data("wazo-statcenter", "scenarios").glob("queue_07_*.psv"))
    run.env |= {"SHORT_ABANDON_SECONDS": "0", "SERVICE_LEVEL_SECONDS": "10"}
    status, out, err = run("stats", "--queue-log", str(scenario), "--date", "2012-07-01",
                           "--queue", "q01", "--json")
    assert status == 0, err
    figures = json.loads(out)
    assert {k: figures[k] for k in ("offered", "answered", "abandoned", "short_abandons",
                                    "timeouts", "answered_rate_pct", "service_level_pct")} == {
        "offered": 8, "answered": 4, "abandoned": 4, "short_abandons": 0, "timeouts": 0,
        "answered_rate_pct": 50.0, "service_level_pct": 75.0}
    assert not database.exists()
    status, text, _ = run("stats", "--queue-log", str(scenario), "--date", "2012-07-01",
                          "--hourly")
    assert "Calls Sun 01 Jul 2012: 8 offered, 4 answered (50.0 %)" in text
    assert "11:00\t9\t8\t4\t4\t0\t0\t" in text
    assert not database.exists()


def test_report_writes_the_chart_and_the_figures(run: Run, tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.write_text(LOG)
    run("calls", "import-queue-log", str(log))
    png, table = tmp_path / "day.png", tmp_path / "day.csv"
    status, out, _ = run("report", "2026-11-23", "--png", str(png), "--csv", str(table))
    assert status == 0 and out == f"2026-11-23: 2 calls; wrote {png} and {table}\n"
    assert png.read_bytes().startswith(b"\x89PNG")
    rows = list(csv.reader(table.open()))
    assert rows[0] == ["hour", "received", "offered", "answered", "abandoned",
                       "short_abandons", "timeouts", "asa_seconds", "service_level_pct",
                       "service_level_inclusive_pct", "aht_seconds", "abandon_rate_pct",
                       "answered_rate_pct"]
    assert rows[1][:5] == ["09:00", "2", "2", "1", "1"] and rows[-1][0] == "total"
    assert run("report", "2026-11-23")[0] == 2


def test_pull_with_the_sim(run: Run) -> None:
    assert run("calls", "pull", "2026-11-23") == (
        0, "the sim PBX writes its call records itself: nothing to pull\n", "")
    assert run("calls", "pull", "23/11/2026")[0] == 2


def test_the_follower_reads_new_lines_and_survives_rotation(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.write_text("a\nb\npartial")
    follower = Follower(str(log))
    assert follower.poll() == [(1, "a"), (2, "b")]
    with log.open("a") as handle:
        handle.write(" line\nc\n")
    assert follower.poll() == [(3, "partial line"), (4, "c")]
    assert follower.poll() == []
    log.rename(tmp_path / "queue_log.1")  # logrotate: rename, the writer finishes, create
    with (tmp_path / "queue_log.1").open("a") as handle:
        handle.write("d\n")
    assert follower.poll() == [(5, "d")]  # the new file is not there yet
    log.write_text("e\n")
    assert follower.poll() == [(1, "e")] and follower.rotations == 1
    with log.open("w") as handle:  # copytruncate: the same file, emptied
        handle.write("")
    assert follower.poll() == [] and follower.rotations == 2
    with log.open("a") as handle:
        handle.write("f\n")
    assert follower.poll() == [(1, "f")]
    with log.open("ab") as handle:
        handle.write(b"\xff\xfe bad\ng\n")
    assert follower.poll() == [(3, "g")] and follower.problems == [
        (2, "not UTF-8 (byte 1 of the line)")]
    follower.close()


def test_follow_imports_as_the_file_grows(db: Database, tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    lines = LOG.splitlines(keepends=True)
    log.write_text("".join(lines[:2]))
    settings = Settings.load(environ={"DATABASE_URL": db.url, "TIMEZONE": "Europe/Madrid"},
                             app_yaml=None)
    out, err = io.StringIO(), io.StringIO()
    cli = Cli(settings, out, err)

    def grow(_seconds: float) -> None:  # instead of sleeping: the PBX writes more
        with log.open("a") as handle:
            handle.write(lines.pop(2) if len(lines) > 2 else "")

    try:
        assert follow(cli, str(log), 0.0, sleep=grow, rounds=6) == 0
    finally:
        cli.close()
    assert f"{log}: line 3: 1 fields" in err.getvalue()
    assert out.getvalue().count("imported") == 5
    run = Run(db.url)
    figures = json.loads(run("stats", "--date", "2026-11-23", "--json")[1])
    assert (figures["answered"], figures["abandoned"]) == (1, 1)




# One day of an Asterisk logging member names, with an attended transfer by LINK and a
# restart (QUEUESTART) while a caller waited and a pause was open.
DAY = int(datetime(2026, 11, 23, 0, 0, tzinfo=MADRID).timestamp())
T = DAY + 9 * 3600
FOUND = (f"{T}|x.1|support|NONE|ENTERQUEUE||600111222|1\n"
         f"{T + 10}|x.1|support|Farah Agent|CONNECT|10|x.2|2\n"
         f"{T + 130}|x.1|support|Farah Agent|ATTENDEDTRANSFER|LINK|PJSIP/216-00000001|"
         f"PJSIP/300-00000002|10|120|1\n"
         f"{T + 200}|NONE|support|Farah Agent|PAUSE|lunch\n"
         f"{T + 210}|NONE|support|Stranger|PAUSE|lunch\n"
         f"{T + 300}|x.3|support|NONE|ENTERQUEUE||600333444|1\n"
         f"{T + 400}|NONE|NONE|NONE|QUEUESTART|\n")


def far_lines(start: int, count: int, step: int) -> str:
    """Abandoned calls, one every ``step`` seconds (a week of padding around the day)."""
    return "".join(f"{start + n * step}|p.{start}.{n}|support|NONE|ENTERQUEUE||600999888|1\n"
                   f"{start + n * step + 30}|p.{start}.{n}|support|NONE|ABANDON|1|1|30\n"
                   for n in range(count))


def test_stats_from_a_file_read_what_was_found(run: Run, tmp_path: Path) -> None:
    """The issue's findings through `stats --queue-log`: the LINK transfer is answered,
    transferred and in AHT; the restart ends the waiting call (an other exit, not
    waiting, not abandoned) and the pause; Farah is a person by her name; the agent
    nobody has is named. Only the day's part of a long file is read: a bad line a week
    before it is never seen."""
    log = tmp_path / "queue_log"
    week = 7 * 86400
    log.write_text("garbage line a week before\n" + far_lines(DAY - week, 3000, 200)
                   + FOUND + far_lines(DAY + 2 * 86400, 3000, 200))
    assert run("demo")[0] == 0
    status, out, err = run("stats", "--queue-log", str(log), "--date", "2026-11-23", "--json")
    assert status == 0, err
    figures = json.loads(out)
    assert (figures["received"], figures["answered"], figures["transferred"],
            figures["abandoned"], figures["exit_empty"], figures["waiting"]) == (
        2, 1, 1, 0, 1, 0)
    assert (figures["aht_seconds"], figures["talk_seconds"]) == (120.0, 120.0)
    (farah,) = [a for a in figures["agents"] if a["key"] == "farah"]
    assert (farah["answered"], farah["pause_seconds"]) == (1, {"lunch": 200.0})
    assert "garbage" not in err and "line 1:" not in err
    assert "1 agent(s) not mapped to a person" in err and "Stranger" in err


def test_member_names_are_set_from_the_command_line(run: Run, tmp_path: Path) -> None:
    assert run("demo")[0] == 0
    status, out, _ = run("people", "pbx-name", "bruno", "Bruno (tarde)")
    assert status == 0 and out == "bruno: PBX member name 'Bruno (tarde)'; was none\n"
    status, _, err = run("people", "pbx-name", "farah", "bruno (TARDE)")
    assert status == 2 and "pbx_name: 'bruno (TARDE)' is bruno's already" in err
    log = tmp_path / "queue_log"
    log.write_text(f"{T}|NONE|support|Bruno (tarde)|PAUSE|lunch\n"
                   f"{T + 60}|NONE|support|Bruno Agent|PAUSE|lunch\n")
    status, out, _ = run("calls", "import-queue-log", str(log))
    assert "pauses and sessions: 1 opened" in out
    assert "1 agent(s) not mapped to a person (by extension, PBX member name or name): " \
           "Bruno Agent" in out  # his pbx_name replaces his name
    status, out, _ = run("people", "pbx-name", "bruno")
    assert out == ("bruno: PBX member name none (their name, 'Bruno Agent', is matched); "
                   "was 'Bruno (tarde)'\n")
