"""``switchboard config docs``: the configuration page rendered from the settings."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli.config import SECTIONS, configuration_page
from bot.cli.main import main
from bot.settings import Settings, Var


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), environ={"LOG_LEVEL": "warning"}, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def table_rows(page: str) -> dict[str, list[str]]:
    """variable → its cells, from every table row of the page."""
    rows = {}
    for line in page.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells
    return rows


def test_every_variable_has_one_row_with_its_default_and_doc() -> None:
    page = configuration_page()
    rows = table_rows(page)
    variables = Settings.variables()
    assert list(rows) == [v.env for v in variables]
    for var in variables:
        assert var.doc.split()[0] in rows[var.env][3]
    assert rows["DATABASE_URL"][1] == "`sqlite:///switchboard.db`"
    assert rows["TEAM_SPACE"][1] == "(empty)"
    # app.yaml's value for a local run beside the built-in default.
    assert rows["HOLIDAYS_SUBDIV"][1:3] == ["(empty)", "`CT`"]
    assert rows["SIM_TRAFFIC"][2] == ""
    for heading in SECTIONS.values():
        assert f"\n## {heading}\n" in page


def test_a_cell_never_breaks_the_table() -> None:
    odd = [Var("FIRST", str, "a|b", "one\ntwo | three"), Var("SECOND", str, None, "needed")]
    page = configuration_page(odd, {"FIRST": "x|y"}, {"FIRST": "Odd"})
    rows = table_rows(page)
    assert rows["FIRST"] == ["`FIRST`", "`a\\|b`", "`x\\|y`", "one two \\| three"]
    assert rows["SECOND"][1] == "(required)"


def test_the_first_variable_must_open_a_section() -> None:
    with pytest.raises(ValueError, match="must start a section"):
        configuration_page([Var("NOWHERE", str, "", "x"), *Settings.variables()], {})
    assert "## Odd" in configuration_page([Var("ODD", str, "", "x")], {}, {"ODD": "Odd"})


def test_a_section_naming_a_variable_that_is_gone_is_an_error() -> None:
    without = [v for v in Settings.variables() if v.env != "PBX_BACKEND"]
    with pytest.raises(ValueError, match="PBX_BACKEND"):
        configuration_page(without, {})


def test_the_command_prints_the_page_or_writes_it(tmp_path: Path) -> None:
    status, out, _ = run("config", "docs")
    assert status == 0 and out == configuration_page()
    target = tmp_path / "configuration.md"
    status, out, _ = run("config", "docs", str(target))
    assert status == 0 and f"wrote {target}" in out
    assert target.read_text(encoding="utf-8") == configuration_page()
    status, _, err = run("config", "docs", str(tmp_path / "missing" / "c.md"))
    assert status == 1 and "cannot write" in err
