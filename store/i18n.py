"""The reader's language: gettext catalogs (Babel-managed) and Babel's locale formatting.

Every user-facing string is written in English in the source and wrapped in ``_`` (or
``ngettext`` for plurals); the English text is the message id, so English needs no
catalog. ``store/locale/<lang>/LC_MESSAGES/switchboard.po`` hold the translations and the
committed ``.mo`` files are what runs (a test fails when a ``.mo`` is stale or a catalog
lacks a message). ``make messages`` extracts and updates the catalogs, ``make catalogs``
compiles them.

Whose language: the code that builds a message says so with ``speaking(language)``; the
dispatcher does it for the asker, a job for each recipient of a DM and for the team space.
Inside, ``_`` translates and ``day``/``number``/``duration`` format for that language.
Outside any ``speaking`` block the team's language applies (``LANGUAGE``, set once at
start-up with ``set_team_language``).

Texts built at import time (labels in module-level tables) are marked with ``N_`` and
translated where they are shown, with ``_(label)``.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Babel (and its locale data) loads when a date or number is written
    from babel import Locale

DOMAIN = "switchboard"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENGLISH = "en"
# The languages Switchboard speaks, by code, each with its own name (for /language).
LANGUAGES = {"en": "English", "ca": "català", "es": "español", "pt": "português"}
# The CLDR locale whose formats each language uses: Portuguese is Brazil's wording; English
# takes the month abbreviations the replies have always had ("Sep", not British "Sept").
_CLDR = {"en": "en_US", "ca": "ca_ES", "es": "es_ES", "pt": "pt_BR"}
# Date shapes, per language. English keeps the shapes the replies have always had
# ("Fri 01 Nov"); the others follow their own conventions ("dv. 1 de nov.").
_DATE_PATTERNS = {
    "en": {"weekday": "EEE", "day": "EEE dd MMM", "day_year": "EEE dd MMM yyyy",
           "date": "dd MMM yyyy", "day_time": "EEE dd MMM HH:mm",
           "stamp": "dd MMM HH:mm:ss"},
    "ca": {"weekday": "EEE", "day": "EEE d MMM", "day_year": "EEE d MMM y",
           "date": "d MMM y", "day_time": "EEE d MMM, HH:mm",
           "stamp": "d MMM HH:mm:ss"},
    "es": {"weekday": "EEE", "day": "EEE d 'de' MMM", "day_year": "EEE d 'de' MMM 'de' y",
           "date": "d 'de' MMM 'de' y", "day_time": "EEE d 'de' MMM, HH:mm",
           "stamp": "d 'de' MMM HH:mm:ss"},
    "pt": {"weekday": "EEE", "day": "EEE, d 'de' MMM", "day_year": "EEE, d 'de' MMM 'de' y",
           "date": "d 'de' MMM 'de' y", "day_time": "EEE, d 'de' MMM, HH:mm",
           "stamp": "d 'de' MMM HH:mm:ss"},
}

_team = ENGLISH
_current: ContextVar[str | None] = ContextVar("switchboard_language", default=None)


def normalise(code: str | None) -> str | None:
    """A supported language from a code as platforms and people write it ("pt-BR",
    "ca_ES", "ES"), or None."""
    if not code:
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


# The longest locale a person's ``chat_locale`` keeps ("pt-BR", "zh-Hant-TW").
MAX_LOCALE = 16


def locale_tag(value: object) -> str | None:
    """A locale as a chat platform writes it ("en-US", "ca_ES"), or None for anything else
    (ignored, not refused: it only chooses a language)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not 0 < len(text) <= MAX_LOCALE or not all(c.isascii() and (c.isalnum() or c in "-_")
                                                  for c in text):
        return None
    return text


def set_team_language(code: str) -> None:
    """The language of the team space and of anyone who has chosen none (``LANGUAGE``)."""
    global _team
    _team = normalise(code) or ENGLISH


def team_language() -> str:
    return _team


def current() -> str:
    """The language messages are being written in now."""
    return _current.get() or _team


@contextmanager
def speaking(code: str | None) -> Iterator[str]:
    """Write messages in ``code`` (the team's language when None or unknown) inside."""
    language = normalise(code) or _team
    token = _current.set(language)
    try:
        yield language
    finally:
        _current.reset(token)


@cache
def catalog(language: str) -> _gettext.NullTranslations:
    if language == ENGLISH:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, [language], fallback=True)


def _(message: str) -> str:
    """``message`` in the current language."""
    return catalog(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message that goes with the number ``n``, in the current language."""
    return catalog(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, told apart from the same English words used
    elsewhere by ``context`` (a weekday "Sat" and a Saturday button, say)."""
    return catalog(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Marks ``message`` for the catalogs without translating it (yet): module-level
    labels, translated with ``_`` where they are shown."""
    return message


def locale() -> Locale:
    return _locale(current())


@cache
def _locale(language: str) -> Locale:
    from babel import Locale

    return Locale.parse(_CLDR[language])


def day(value: date, shape: str = "day") -> str:
    """A date as the reader writes it: ``day`` "Fri 01 Nov" / "dv. 1 de nov.";
    ``day_year`` with the year; ``weekday`` "Fri"; ``date`` "01 Nov 2019"; ``day_time``
    (a datetime) with its hour; ``stamp`` (a datetime) "01 Nov 09:07:03"."""
    from babel.dates import format_date, format_datetime

    pattern = _DATE_PATTERNS[current()][shape]
    if isinstance(value, datetime):
        return format_datetime(value, pattern, locale=locale())
    return format_date(value, pattern, locale=locale())


def weekday_names(width: str = "abbreviated") -> list[str]:
    """Monday first, in the current language ("Mon"…; "dl."…)."""
    names = locale().days["format"][width]
    return [names[i] for i in range(7)]


def number(value: float, digits: int = 0) -> str:
    """A number with the reader's grouping and decimal mark: 1,234.5 / 1.234,5."""
    if current() == ENGLISH:
        return f"{value:,.{digits}f}"
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale())
