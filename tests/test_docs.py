"""The documents hold together: links resolve, every chat command and every `switchboard`
subcommand is documented, and the generated configuration page is current."""

from __future__ import annotations

import argparse
import re
import unicodedata
from pathlib import Path

import pytest

from bot.cli.config import configuration_page
from bot.cli.main import build_parser
from commands.registry import COMMANDS
from commands.words import ARGUMENTS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted([ROOT / "README.md", *DOCS.rglob("*.md")])

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def prose(text: str) -> str:
    """The text without code blocks and inline code, where links are not links."""
    return _CODE.sub("", _FENCE.sub("", text))


def links(text: str) -> list[str]:
    return _LINK.findall(prose(text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces → -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
    kept = "".join(c for c in text
                   if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        name, n = base, 0
        while name in found:
            n += 1
            name = f"{base}-{n}"
        found.add(name)
    return found


def broken_links(page: Path) -> list[str]:
    problems = []
    for target in links(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.is_file():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{target}: no heading #{anchor} in {resolved.name}")
    return problems


def test_the_pages_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert {"README.md", "docs/commands.md", "docs/cli.md", "docs/configuration.md",
            "docs/protocols/README.md", "docs/protocols/asterisk.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_link_checker_sees_broken_links(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Some `code` heading\n\n## The queue_log\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n[ok](other.md) [ok](other.md#some-code-heading) [ok](other.md#the-queue_log)"
        " [ok](#title) [web](https://example.org/x) `[not a link](nowhere.md)`\n"
        "```\n[not a link](nowhere.md)\n```\n"
        "[gone](missing.md) [bad anchor](other.md#nope) [here](#nope)\n")
    assert broken_links(page) == ["missing.md: no such file",
                                  "other.md#nope: no heading #nope in other.md",
                                  "#nope: no heading #nope in page.md"]


def test_every_chat_command_is_documented_with_its_aliases() -> None:
    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    missing = [f"/{c.name}" for c in COMMANDS if not re.search(rf"`/{c.name}[ `]", text)]
    assert missing == [], f"docs/commands.md lacks {missing}"
    lower = text.lower()
    missing = [f"{c.name}: {word!r}" for c in COMMANDS for word in c.words[1:]
               if word.lower() not in lower]
    assert missing == [], f"docs/commands.md lacks these ways to type a command: {missing}"
    missing = [word for languages in ARGUMENTS.values() for words in languages.values()
               for word in words if word.lower() not in lower]
    assert missing == [], f"docs/commands.md lacks these argument words: {missing}"


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_switchboard_subcommand_is_documented() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    groups = subcommands(build_parser())
    assert "run" in groups and "db" in groups
    missing = [name for name in groups if not re.search(rf"`switchboard {name}[ `]", text)]
    assert missing == [], f"docs/cli.md lacks `switchboard {missing}`"
    # Each action of a group is named on a line about that group.
    for name, group in groups.items():
        lines = [line for line in text.splitlines() if f"`switchboard {name}" in line]
        for action in subcommands(group):
            assert any(re.search(rf"\b{re.escape(action)}\b", line) for line in lines), (
                f"docs/cli.md lacks `switchboard {name} {action}`")


def test_every_benchmark_is_documented() -> None:
    from bench.cli import build_parser as bench_parser

    text = (DOCS / "benchmarks.md").read_text(encoding="utf-8")
    missing = [name for name in subcommands(bench_parser())
               if f"`switchboard bench {name}" not in text]
    assert missing == [], f"docs/benchmarks.md lacks {missing}"


def test_the_configuration_page_is_current() -> None:
    page = DOCS / "configuration.md"
    assert page.read_text(encoding="utf-8") == configuration_page(), (
        "docs/configuration.md is stale: run `make docs` (it is generated from the Var docs "
        "in bot/settings.py and app.yaml; never edit it by hand)")
