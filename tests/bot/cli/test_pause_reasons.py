"""`switchboard pause-reasons import|export`, run the way bot.cli.main runs a command."""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.cli import pause_reasons as cli_pbx
from bot.cli.base import Cli
from bot.cli.main import main
from bot.settings import Settings
from tests.conftest import Database

BAD = """\
- {code: break, max_minutes: -5}
- {code: break, aliases: [lunch]}
- {code: lunch, label: Lunch, shoe_size: 44}
"""

GOOD = """\
- {code: break, label: Break, max_minutes: 10, aliases: [descanso]}
- {code: lunch, label: Lunch, max_minutes: 45}
- {code: other, label: Other}
"""


class Run:
    """main()'s steps, with a parser that has the pause-reasons commands added."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.env = {"DATABASE_URL": db.url, "LOG_LEVEL": "warning"}
        parser = argparse.ArgumentParser(prog="switchboard")
        sub = parser.add_subparsers(dest="command", required=True)
        cli_pbx.add_parsers(sub)
        self.parser = parser

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        args = self.parser.parse_args(list(argv))
        cli = Cli(Settings.load(self.env), out, err)
        handler: Callable[[Cli, argparse.Namespace], int] = args.handler
        try:
            return handler(cli, args), out.getvalue(), err.getvalue()
        finally:
            cli.close()

    def main(self, *argv: str) -> int:
        return main(list(argv), environ=self.env, out=io.StringIO(), err=io.StringIO())


@pytest.fixture
def run(empty_db: Database) -> Run:
    return Run(empty_db)


def test_an_unmigrated_database_is_refused(run: Run) -> None:
    status, _, err = run("pause-reasons", "export")
    assert status == 1 and "switchboard db upgrade" in err


def test_a_bad_file_names_every_mistake_and_changes_nothing(run: Run, tmp_path: Path) -> None:
    assert run.main("db", "upgrade") == 0
    before = run("pause-reasons", "export")[1]
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    status, out, err = run("pause-reasons", "import", str(bad))
    assert status == 1 and out == ""
    assert f"{bad}: entry 1 (break): max_minutes: -5 is not allowed" in err
    assert f"{bad}: entry 2 (break): code: duplicate 'break'" in err
    assert f"{bad}: entry 2 (break): aliases: 'lunch' already names entry 3 (lunch)" in err
    assert f"{bad}: entry 3 (lunch): shoe_size: unknown field" in err
    assert "nothing was imported" in err
    assert run("pause-reasons", "export")[1] == before
    assert run("pause-reasons", "import", str(tmp_path / "missing.yaml"))[0] == 2


def test_a_good_file_replaces_the_set(run: Run, tmp_path: Path) -> None:
    run.main("db", "upgrade")
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    status, out, _ = run("pause-reasons", "import", str(good))
    assert status == 0
    assert out == (f"imported {good}: 0 created, 3 updated, 0 unchanged, 2 removed "
                   "(training, meeting)\n")
    exported = tmp_path / "out.yaml"
    assert run("pause-reasons", "export", str(exported))[0] == 0
    assert yaml.safe_load(exported.read_text()) == [
        {"code": "break", "label": "Break", "max_minutes": 10, "aliases": ["descanso"]},
        {"code": "lunch", "label": "Lunch", "max_minutes": 45, "aliases": []},
        {"code": "other", "label": "Other", "max_minutes": None, "aliases": []},
    ]
