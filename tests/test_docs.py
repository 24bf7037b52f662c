"""The documents hold together: the generated configuration page is current."""

from __future__ import annotations

from pathlib import Path

from bot.cli.config import configuration_page

ROOT = Path(__file__).resolve().parents[1]


def test_the_configuration_page_is_current() -> None:
    page = ROOT / "docs" / "configuration.md"
    assert page.read_text(encoding="utf-8") == configuration_page(), (
        "docs/configuration.md is stale: run `make docs` (it is generated from the Var docs "
        "in bot/settings.py and app.yaml; never edit it by hand)")
