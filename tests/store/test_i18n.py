"""The catalogs stay whole: every message the code marks is translated into every language,
with the same placeholders, and the compiled catalogs the product reads are current."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from store import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.ENGLISH]
# {name} and {name!r}/{name:>3} placeholders, and %s/%(name)s ones.
_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)[^{}]*\}|%\(([a-z_]+)\)[sd]|%[sd]")


@cache
def extracted() -> dict[tuple[str | None, str], str | None]:
    """(context, msgid) → msgid_plural of every message marked in the product's code."""
    found: dict[tuple[str | None, str], str | None] = {}
    sources = [(ROOT / p, [("**.py", "python")]) for p in ("bot", "commands", "integrations",
                                                           "store")]
    sources.append((ROOT / "bot" / "desk" / "templates", [("**.html", "jinja2")]))
    for folder, method_map in sources:
        for _file, _line, message, _comments, context in extract_from_dir(
                str(folder), method_map, keywords=KEYWORDS):
            if isinstance(message, tuple):
                found[(context, message[0])] = message[1]
            else:
                found[(context, message)] = None
    return found


def catalog(language: str) -> Catalog:
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "switchboard.po").open("rb") as fh:
        return read_po(fh, locale=language)


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) if not (m.group(1) or m.group(2)) else (m.group(1) or m.group(2))
                  for m in _PLACEHOLDER.finditer(text))


def test_the_code_marks_messages_and_every_mark_is_a_literal() -> None:
    # A message built at run time (an f-string inside _()) cannot be in any catalog.
    assert len(extracted()) > 30
    assert all(msgid.strip() for _ctx, msgid in extracted())


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    cat = catalog(language)
    problems = []
    for (context, msgid), plural in sorted(extracted().items(), key=lambda kv: kv[0][1]):
        message = cat.get(msgid, context=context)
        if message is None or message.fuzzy:
            problems.append(f"missing: {msgid!r}")
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(forms):
            problems.append(f"untranslated: {msgid!r}")
            continue
        wanted = placeholders(msgid)
        for form in forms:
            if placeholders(form) != wanted and not (plural and placeholders(form) ==
                                                     placeholders(plural)):
                problems.append(f"placeholders differ: {msgid!r} → {form!r}")
    assert problems == [], f"{language}: {len(problems)} problems\n" + "\n".join(problems[:50])


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_is_current(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, catalog(language))
    committed = (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "switchboard.mo").read_bytes()
    assert compiled.getvalue() == committed, (
        f"store/locale/{language}/LC_MESSAGES/switchboard.mo is stale: run make catalogs")


def test_placeholders_are_told_apart() -> None:
    assert placeholders("{a} and {b!r} at {c:>3} %s %(d)s") == ["%s", "a", "b", "c", "d"]


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Mon 07 Dec"), ("ca", "dl. 7 de des."), ("es", "lun 7 de dic"),
    ("pt", "seg., 7 de dez.")])
def test_dates_are_written_as_the_reader_writes_them(language: str, expected: str) -> None:
    with i18n.speaking(language):
        assert i18n.day(date(2026, 12, 7)) == expected


def test_numbers_take_the_readers_marks_and_english_keeps_its_own() -> None:
    with i18n.speaking("ca"):
        assert i18n.number(1234.5, 1) == "1.234,5"
    with i18n.speaking("pt"):
        assert i18n.number(1234567) == "1.234.567"
    with i18n.speaking("en"):
        assert i18n.number(1234.5, 1) == "1,234.5"
        assert i18n.day(datetime(2019, 11, 1, 9, 7, tzinfo=ZoneInfo("Europe/Madrid")),
                        "day_time") == "Fri 01 Nov 09:07"


def test_the_language_follows_the_block_and_falls_back_to_the_teams() -> None:
    i18n.set_team_language("ca")
    try:
        assert i18n.current() == "ca"
        with i18n.speaking("pt-BR"):
            assert i18n.current() == "pt"
            assert i18n._("Who") == "Quem"
            with i18n.speaking("xx"):  # unknown: the team's
                assert i18n._("Who") == "Qui"
        assert i18n.ngettext("agent", "agents", 2) == "agents"  # not in the catalog: English
    finally:
        i18n.set_team_language("en")
    assert i18n._("Who") == "Who"
