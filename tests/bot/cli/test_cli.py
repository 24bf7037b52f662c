"""The switchboard command line, run in-process and (for `run`) as a real subprocess."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.cli.main import main
from tests.conftest import Database

BAD_PEOPLE = """\
- {key: zoe, name: Zoe, role: boss, extension: "700"}
- {key: yan, name: Yan, email: not-an-email}
- {key: xia, email: xia@example.org}
"""


class Run:
    def __init__(self, db: Database) -> None:
        self.env = {"DATABASE_URL": db.url, "LOG_LEVEL": "warning"}

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = main(list(argv), environ=self.env, out=out, err=err)
        return status, out.getvalue(), err.getvalue()


@pytest.fixture
def cli(empty_db: Database) -> Run:
    return Run(empty_db)


def test_commands_refuse_to_run_on_an_unmigrated_database(cli: Run) -> None:
    status, _, err = cli("say", "--as", "ada", "/help")
    assert status == 1 and "switchboard db upgrade" in err


def test_say_exit_statuses(cli: Run) -> None:
    assert cli("db", "upgrade")[0] == 0
    assert cli("demo")[0] == 0
    status, agent_help, _ = cli("say", "--as", "alice", "/help")
    assert status == 0 and "/whoami" in agent_help
    status, coordinator_help, _ = cli("say", "--as", "carla", "/help")
    assert status == 0 and len(coordinator_help.splitlines()) > len(agent_help.splitlines())
    status, refusal, _ = cli("say", "--as", "mallory", "/help")
    assert status == 1 and "don't know you" in refusal
    assert cli("say", "--as", "alice", "/audit")[0] == 1
    assert cli("say", "--as", "alice", "/help nosuch")[0] == 2
    with pytest.raises(SystemExit) as usage:
        cli("say", "/help")  # no --as
    assert usage.value.code == 2


def test_a_bad_import_names_every_mistake_and_changes_nothing(cli: Run, tmp_path: Path) -> None:
    cli("db", "upgrade")
    cli("demo")
    before = cli("people", "export")[1]
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_PEOPLE)
    status, _, err = cli("people", "import", str(bad))
    assert status == 1
    assert "entry 1 (zoe): role: 'boss' is not a role" in err
    assert "entry 2 (yan): email: 'not-an-email' is not a valid address" in err
    assert "entry 3 (xia): name: missing" in err
    assert "nothing was imported" in err
    assert cli("people", "export")[1] == before


def test_import_then_export_to_a_file(cli: Run, tmp_path: Path) -> None:
    cli("db", "upgrade")
    good = tmp_path / "good.yaml"
    good.write_text("- {key: kim, name: Kim, extension: 42}\n")
    status, out, _ = cli("people", "import", str(good))
    assert (status, out.strip()) == (0, f"imported {good}: 1 created, 0 updated, 0 unchanged")
    target = tmp_path / "out.yaml"
    assert cli("people", "export", str(target))[0] == 0
    assert "extension: '42'" in target.read_text()
    assert cli("people", "import", str(tmp_path / "missing.yaml"))[0] == 2


def test_a_malformed_setting_stops_the_cli_naming_it(cli: Run) -> None:
    cli.env["TIMEZONE"] = "Nowhere/Land"
    status, _, err = cli("say", "--as", "ada", "/help")
    assert status == 2 and "TIMEZONE='Nowhere/Land' is malformed" in err


def test_serve_refuses_to_start_without_a_secret_key(cli: Run) -> None:
    for key in ("", "switchboard-development-key-not-for-production"):
        cli.env["SECRET_KEY"] = key
        status, _, err = cli("serve")
        assert status == 2 and "SECRET_KEY is" in err and "forge" in err



@contextmanager
def make_run(env: dict[str, str], until: str = "Switchboard is up"
             ) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """``switchboard run`` as a real subprocess: the process, what it printed up to the
    line holding ``until``, and its HTTP port; killed on the way out."""
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        banner = ""
        while until not in banner:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "no output"
            banner += line
        port = re.search(r"http://127\.0\.0\.1:(\d+)", banner)
        assert port is not None
        yield proc, banner, port.group(1)
    finally:
        proc.kill()


def test_make_run_reaches_the_console_and_serves_http(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
           "SWITCHBOARD_PORT": "0", "LOG_LEVEL": "warning", "SECRET_KEY": ""}
    with make_run(env, until="The desk:") as (proc, banner, port):
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json()["status"] == "ready"
        # The desk's one-time link signs carla in; the week grid shows the demo timetable.
        link = re.search(r"The desk: (http://\S+) signs carla in", banner)
        assert link is not None
        with httpx.Client() as browser:
            assert browser.get(link.group(1)).status_code == 303
            week = browser.get(f"http://127.0.0.1:{port}/desk/week")
            assert week.status_code == 200 and "Alice Agent" in week.text
            assert browser.get(link.group(1)).status_code == 401  # once only
        out, _ = proc.communicate("/help\n", timeout=60)
    assert "Loaded the demo team (11 people)" in banner
    assert "carla> " in out and "/people [role|group]" in out
    assert proc.returncode == 0


def _zone_after_the_daily_slots() -> str:
    """A fixed-offset zone where it is now between 07:00 and 21:00, so today's daily clock
    slots (hr-sync at 05:30) lie further back than the misfire grace."""
    now = datetime.now(UTC)
    for hours in range(-12, 15):
        name = f"Etc/GMT{-hours:+d}" if hours else "Etc/GMT"  # POSIX sign: GMT-2 is UTC+2
        if 7 <= now.astimezone(ZoneInfo(name)).hour < 21:
            return name
    raise AssertionError("some offset from UTC-12 to UTC+14 is between 07:00 and 21:00")


def test_make_run_prints_only_replies_between_prompts(tmp_path: Path) -> None:
    """With the default LOG_LEVEL=info and the simulator on, piped commands get their
    replies and nothing else: no APScheduler, Alembic, werkzeug or reconciliation lines —
    nor a clock job's "missed" warning for a slot of today that came before the first
    start on this new database (the jobs are run through /tasks, as the scheduler would
    run them a few seconds later, at a time of day past the daily hr-sync slot)."""
    database = tmp_path / "run.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SWITCHBOARD_PORT": "0",
           "LOG_LEVEL": "info", "SIM_TRAFFIC": "true", "TASKS_TOKEN": "run-test-token",
           "TIMEZONE": _zone_after_the_daily_slots()}
    with make_run(env) as (proc, banner, port):
        for job in ("hr-sync", "shift-notice", "queue-set"):
            answer = httpx.post(f"http://127.0.0.1:{port}/tasks/{job}",
                                headers={"Authorization": "Bearer run-test-token"})
            assert answer.status_code == 200, answer.text
        out, err = proc.communicate("/whoami\n/queue\n/breaks today\n", timeout=60)
    assert proc.returncode == 0, err
    stdout = banner + out
    log_line = re.compile(r"\b(DEBUG|INFO|WARNING|ERROR)\b [\w.]+: ")
    assert not log_line.search(stdout), stdout
    assert not log_line.search(err), err
    assert "Queue support:" in stdout and "Your profile" in stdout
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:  # today's 05:30 slot was looked at, and skipped
            outcomes = connection.execute(text(
                "SELECT outcome FROM clock_run WHERE job = 'hr-sync'")).scalars().all()
    finally:
        engine.dispose()
    assert outcomes == ["skipped"]


def test_the_desk_cli_links_and_revokes(cli: Run) -> None:
    cli("db", "upgrade")
    cli("demo")
    status, out, err = cli("desk", "link", "--as", "carla")
    assert status == 0 and re.fullmatch(r"http://127\.0\.0\.1:8080/desk/signin/link/\S+\n", out)
    assert "10 minutes" in err
    assert cli("desk", "link", "--as", "mallory")[0] == 2
    assert cli("desk", "sessions", "list")[1] == "No live desk sessions.\n"
    status, out, _ = cli("desk", "sessions", "revoke", "carla")
    assert status == 0 and out == "revoked 0 desk sessions of carla\n"
    assert cli("desk", "sessions", "revoke", "mallory")[0] == 2
    assert cli("desk", "sessions", "revoke", "#99")[0] == 1


def test_one_time_links_stay_on_this_machine(cli: Run) -> None:
    cli.env["SWITCHBOARD_HOST"] = "0.0.0.0"
    status, _, err = cli("desk", "link", "--as", "carla")
    assert status == 2 and "make run" in err
    status, _, err = cli("run")
    assert status == 2 and "one-time links" in err and "127.0.0.1" in err


def test_revoking_a_persons_desk_sessions(cli: Run, empty_db: Database) -> None:
    from store.db import make_sessionmaker, transaction
    from store.team import desk_sessions, people

    cli("db", "upgrade")
    cli("demo")
    now = datetime.now(UTC)
    with transaction(make_sessionmaker(empty_db.engine)) as session:
        carla = people.by_key(session, "carla")
        assert carla is not None
        for _ in range(2):
            desk_sessions.open_session(session, carla.id, "link", now,
                                       now + timedelta(hours=1))
        _, third = desk_sessions.open_session(session, carla.id, "google", now,
                                              now + timedelta(hours=1))
    status, listing, _ = cli("desk", "sessions", "list")
    assert status == 0 and listing.count("carla") == 3 and "via google" in listing
    assert cli("desk", "sessions", "revoke", f"#{third.id}")[1] == f"revoked desk session #{third.id}\n"
    assert cli("desk", "sessions", "revoke", f"#{third.id}")[0] == 1  # not live any more
    assert cli("desk", "sessions", "revoke", "@carla")[1] == "revoked 2 desk sessions of carla\n"
    assert cli("desk", "sessions", "list")[1] == "No live desk sessions.\n"


def test_a_make_run_session_logs_json_without_its_secrets(tmp_path: Path) -> None:
    """LOG_FORMAT=json at debug level: every line on stderr is one JSON object, and none of
    the configured secrets appears anywhere in the session's output."""
    secrets = {"SLACK_SIGNING_SECRET": "slack-signing-9f8e7d", "SLACK_BOT_TOKEN":
               "xoxb-secret-12345", "TASKS_TOKEN": "tasks-token-5a4b3c",
               "PBX_WEBHOOK_SECRET": "whsec-run-1q2w3e", "METRICS_TOKEN": "metrics-8u7y6t"}
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'json.db'}",
           "SWITCHBOARD_PORT": "0", "LOG_FORMAT": "json", "LOG_LEVEL": "debug",
           "SIM_TRAFFIC": "true", "SLACK_API_URL": "http://127.0.0.1:9/api/", **secrets}
    with make_run(env) as (proc, banner, port):
        answer = httpx.post(f"http://127.0.0.1:{port}/tasks/offline-monitor",
                            headers={"Authorization": f"Bearer {secrets['TASKS_TOKEN']}"})
        assert answer.status_code == 200, answer.text
        out, err = proc.communicate("/whoami\n/pause lunch\n/queue\n/resume\n", timeout=60)
    assert proc.returncode == 0, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "a debug-level session logs something"
    for line in lines:
        entry = json.loads(line)
        assert {"timestamp", "level", "logger", "message"} <= set(entry), line
    for value in secrets.values():
        assert value not in banner + out + err, value


def test_make_run_speaks_catalan_with_language_ca(tmp_path: Path) -> None:
    """``LANGUAGE=ca make run``: the issue's five sentences, typed in Catalan, answered in
    Catalan with Catalan dates."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
           "SWITCHBOARD_PORT": "0", "LOG_LEVEL": "warning", "SIM_TRAFFIC": "false",
           "SECRET_KEY": "", "LANGUAGE": "ca"}
    typed = [":as alice", "pausa'm per dinar", "torno", "qui hi ha de torn demà 10:00",
             "estadístiques avui", "programa una trucada al 600112233 demà a les 10:30",
             "cerca 600 11 22 33"]
    with make_run(env) as (proc, _banner, _port):
        out, err = proc.communicate("\n".join(typed) + "\n", timeout=120)
    assert proc.returncode == 0, err
    assert "En pausa: dinar (màx. 60 min)." in out
    assert re.search(r"Has tornat després de \d+ min \(dinar\): tornes a rebre trucades\.", out)
    # Tomorrow is whatever day the real clock makes it: a working day has its turn and a
    # free callback place, a weekend or a holiday says so — in Catalan either way.
    day = r"\w+\. \d+ de [a-z]+\.?"
    assert re.search(rf"De torn: {day}, torn 1 \(09:00–10:15\)|Ningú|no hi ha servei", out), out
    assert re.search(rf"avui \({day}\)", out), out
    assert ("programada: +34600112233, demà 10:30 (support). És teva" in out
            or "No puc programar aquesta trucada de retorn" in out), out
    assert "2 comptes per a número de telèfon +34 600 11 22 33." in out
