"""switchboard slots import/export, ivr-keys create/list/revoke, callbacks report."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import select

from bot.cli.main import main
from store.callbacks import ivr_keys
from store.callbacks.ivr_keys import IvrKey
from store.db import make_sessionmaker, transaction
from testing.ivr import CAPACITY
from tests.conftest import Database


def run(db: Database, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), environ={"DATABASE_URL": db.url, "LOG_LEVEL": "warning"},
                  out=out, err=err)
    return status, out.getvalue(), err.getvalue()


BAD = """\
templates:
  standard: {"09:00": 5, "09:15": 5, "10:00": -1, "25:00": 1}
  "bad name!": {}
weekly:
  normal: {mon: standard, funday: standard, tue: missing}
queues:
  soporte: {schedule: weird, colour: red}
campaigns:
  renewals: {schedule: normal}
overrides:
  - {date: 2026-12-24, queue: soporte, template: standard}
  - {date: "2026-02-30", campaign: renewals, closed: true}
  - {date: 2026-12-31, campaign: renewals, closed: true, template: standard}
  - {date: 2026-12-31, campaign: renewals, closed: true}
  - {date: 2026-12-31, campaign: renewals, closed: true}
  - {date: 2026-12-31, queue: soporte, campaign: renewals, closed: true}
colours: {}
"""


def test_slots_import_export_round_trip(db: Database, tmp_path: Path) -> None:
    assert run(db, "db", "upgrade")[0] == 0
    path = tmp_path / "capacity.yaml"
    path.write_text(CAPACITY)
    status, out, _ = run(db, "slots", "import", str(path))
    assert status == 0
    assert out == (f"imported {path}: 2 templates, 1 weekly schedules, 2 queues, "
                   "1 campaigns, 2 overrides\n")
    status, exported, _ = run(db, "slots", "export")
    assert status == 0 and "soporte:" in exported and "'10:00': 5" in exported
    again = tmp_path / "again.yaml"
    again.write_text(exported)
    assert run(db, "slots", "import", str(again))[0] == 0
    assert run(db, "slots", "export")[1] == exported


def test_a_bad_capacity_file_lists_every_problem_and_writes_nothing(db: Database,
                                                                    tmp_path: Path) -> None:
    assert run(db, "db", "upgrade")[0] == 0
    good = tmp_path / "good.yaml"
    good.write_text(CAPACITY)
    run(db, "slots", "import", str(good))
    before = run(db, "slots", "export")[1]
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    status, _, err = run(db, "slots", "import", str(path))
    assert status == 1
    problems = [line.split(": ", 1)[1] for line in err.splitlines() if line.startswith(str(path))]
    assert problems == [
        "file: colours: unknown section (expected templates, weekly, queues, campaigns, "
        "overrides)",
        "templates.standard: 09:15: not an interval start: write HH:MM on the hour or half "
        "hour, e.g. \"09:30\"",
        "templates.standard: 10:00: -1 is not a number of callbacks (0 to 10000)",
        "templates.standard: 25:00: not an interval start: write HH:MM on the hour or half "
        "hour, e.g. \"09:30\"",
        "templates.bad name!: name: 'bad name!' is not a name: 1 to 64 letters, digits, '_', "
        "'.' or '-', starting with a letter or digit",
        "weekly.normal: funday: not a weekday (mon, tue, wed, thu, fri, sat, sun)",
        "weekly.normal: tue: no template named 'missing'",
        "queues.soporte: colour: unknown field (expected schedule)",
        "queues.soporte: schedule: no weekly schedule named 'weird'",
        "overrides[1]: queue: no queue named 'soporte' in this file",
        "overrides[2]: date: '2026-02-30' is not a date (YYYY-MM-DD)",
        "overrides[3]: template: give either closed: true or a template",
        "overrides[5]: date: 2026-12-31 of campaign renewals is given twice",
        "overrides[6]: queue: name exactly one queue or campaign",
    ]
    assert run(db, "slots", "export")[1] == before


def test_ivr_keys_create_list_revoke(db: Database) -> None:
    assert run(db, "db", "upgrade")[0] == 0
    status, out, err = run(db, "ivr-keys", "create", "Genesys")
    key = out.strip()
    assert status == 0 and key.startswith("sbivr_") and "shown only now" in err
    with transaction(make_sessionmaker(db.engine)) as session:
        row = session.scalar(select(IvrKey))
        assert row is not None and row.name == "genesys" and key[-43:] not in row.secret_sha256
        assert ivr_keys.verify(session, key) is not None
    assert run(db, "ivr-keys", "create", "genesys")[0] == 1
    assert run(db, "ivr-keys", "create", "no spaces please")[0] == 2
    listed = run(db, "ivr-keys", "list")[1]
    assert listed.startswith("genesys") and "active" in listed and key not in listed
    assert run(db, "ivr-keys", "revoke", "genesys")[0] == 0
    assert "revoked" in run(db, "ivr-keys", "list")[1]
    assert run(db, "ivr-keys", "revoke", "nobody")[0] == 1
    with transaction(make_sessionmaker(db.engine)) as session:
        assert ivr_keys.verify(session, key) is None
    # A lost key is revoked and replaced under the same name; the old one stays refused.
    status, out, _ = run(db, "ivr-keys", "create", "genesys")
    assert status == 0 and out.strip() != key
    with transaction(make_sessionmaker(db.engine)) as session:
        assert ivr_keys.verify(session, out.strip()) is not None
        assert ivr_keys.verify(session, key) is None


def test_callbacks_report_text_and_csv(db: Database, tmp_path: Path) -> None:
    assert run(db, "db", "upgrade")[0] == 0
    status, out, _ = run(db, "callbacks", "report")
    assert status == 0 and out.startswith("Callbacks, ") and "all: nothing" in out
    target = tmp_path / "report.csv"
    status, out, _ = run(db, "callbacks", "report", "--from", "2026-11-01", "--to",
                         "2026-11-30", "--csv", str(target))
    assert status == 0 and out == f"wrote {target} (2026-11-01 to 2026-11-30)\n"
    rows = list(csv.reader(target.read_text().splitlines()))
    assert rows[0][:4] == ["dimension", "name", "requested", "scheduled"]
    assert rows[1][:2] == ["all", "all"]
    assert run(db, "callbacks", "report", "--from", "2026-11-30", "--to", "2026-11-01")[0] == 2
