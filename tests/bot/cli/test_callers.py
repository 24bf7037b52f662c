"""`switchboard directory import`, `operations import|export`, `categories import|export`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import Database

BAD_CSV = """\
nombre;telefono1;empresa;nif
Ana Pérez;600 11 22 33;Acme SL;B12345674
;600 44 55 66;Acme SL;B12345674
Bruno;123;;
Carmen Vidal;655 555 555;;12345678Z
"""


class Run:
    def __init__(self, db: Database) -> None:
        self.env = {"DATABASE_URL": db.url, "LOG_LEVEL": "warning"}

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = main(list(argv), environ=self.env, out=out, err=err)
        return status, out.getvalue(), err.getvalue()


@pytest.fixture
def cli(db: Database) -> Run:
    return Run(db)


def test_a_bad_directory_file_is_refused_line_by_line(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "clientes.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    status, out, err = cli("directory", "import", str(path))
    assert status == 1 and out == ""
    assert f"{path}: line 3: name: missing: every row needs a name\n" in err
    assert f"{path}: line 4: phone1: '123' is not a valid number for region ES" in err
    assert err.endswith("switchboard: 2 problem(s); nothing was imported\n")
    status, out, err = cli("directory", "import", str(path), "--skip-bad")
    assert status == 0
    assert out == (f"imported {path}: accounts: 2 created, 0 updated; contacts: 1 created, "
                   "0 updated; 0 rows unchanged; 2 bad rows skipped (line 3, line 4)\n")
    assert f"{path}: skipped line 3: name: missing" in err
    status, out, _ = cli("directory", "import", str(path), "--skip-bad")
    assert "2 rows unchanged" in out


def test_directory_import_refuses_what_is_not_utf8_or_missing(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("nombre;telefono1\nJosé;600112233\n".encode("latin-1"))
    status, _, err = cli("directory", "import", str(path))
    assert status == 1 and "not UTF-8" in err
    status, _, err = cli("directory", "import", str(tmp_path / "nope.csv"))
    assert status == 2 and "cannot read" in err


def test_operations_and_categories_round_trip(cli: Run, tmp_path: Path) -> None:
    status, exported, _ = cli("operations", "export")
    assert status == 0 and "code: new-contact" in exported
    path = tmp_path / "ops.yaml"
    path.write_text(exported.replace("enabled: true", "enabled: false", 1), encoding="utf-8")
    status, out, _ = cli("operations", "import", str(path))
    assert (status, out) == (0, f"imported {path}: 0 created, 1 updated, 5 unchanged, "
                                "0 removed\n")
    cats = tmp_path / "cats.yaml"
    cats.write_text("- {code: billing, name: Billing}\n- {code: copy, name: Copy, "
                    "parent: billing}\n", encoding="utf-8")
    status, out, _ = cli("categories", "import", str(cats))
    assert status == 0 and "2 created" in out
    status, out, _ = cli("categories", "export")
    assert "parent: billing" in out
    cats.write_text("- {code: copy, name: Copy, parent: nowhere}\n", encoding="utf-8")
    status, _, err = cli("categories", "import", str(cats))
    assert status == 1 and "entry 1 (copy): parent: 'nowhere' is not a category code" in err


def test_a_directory_file_is_read_as_a_stream_past_the_import_cap(cli: Run,
                                                                  tmp_path: Path) -> None:
    """Dialer lists of a million rows are ordinary: IMPORT_MAX_BYTES caps YAML and other
    CSV imports read whole, not this one."""
    path = tmp_path / "big.csv"
    rows = "".join(f"Cliente {n};6{n:08d}\n" for n in range(300))
    path.write_text("\ufeffnombre;telefono1\n" + rows, encoding="utf-8")
    cli.env["IMPORT_MAX_BYTES"] = "1000"
    status, out, err = cli("directory", "import", str(path))
    assert (status, err) == (0, "")
    assert out == (f"imported {path}: accounts: 300 created, 0 updated; contacts: 0 created, "
                   "0 updated; 0 rows unchanged\n")
    path.write_bytes(b"\xff\xfen\x00o\x00")  # UTF-16
    status, _, err = cli("directory", "import", str(path))
    assert status == 1 and "not UTF-8 text: it looks like UTF-16" in err
