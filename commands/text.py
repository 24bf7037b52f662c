"""Text as it comes in from any door: cleaned once, bounded, and split in linear time.

Chat platforms, the console and webhooks hand over whatever people (or attackers) typed.
Before anything reads it the dispatcher passes it through ``clean``: NUL and other control
characters out (tab and newline stay), unpaired surrogates out (neither database can store
them), Unicode normalised to NFC so "é" typed two ways is one word. ``too_long`` tells
whether it exceeds ``MAX_COMMAND_CHARS``; the dispatcher answers that itself.

``split_args`` replaces ``shlex.split`` (quadratic on a long argument with a quote): one
pass, double or single quotes group words, and an unbalanced quote is an apostrophe
("I'm late" is two words). ``whole_number`` accepts ASCII digits only — ``²`` and ``①``
pass ``str.isdigit`` but are not numbers anyone means — and bounds the length.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_QUOTES = "\"'"


def clean(raw: str) -> str:
    """The text with controls and lone surrogates removed, NFC-normalised."""
    text = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", text)


def sanitize(raw: str | None, limit: int) -> str | None:
    """For storage of platform-supplied strings (ids, space names): cleaned and cut."""
    return None if raw is None else clean(raw)[:limit]


def split_args(arg_text: str) -> tuple[str, ...]:
    """Words, with "quoted phrases" kept together; linear in the length of the text."""
    words: list[str] = []
    current: list[str] = []
    in_word = False
    exhausted: set[str] = set()  # quote characters with no occurrence left: never search again
    i, n = 0, len(arg_text)
    while i < n:
        ch = arg_text[i]
        if ch.isspace():
            if in_word:
                words.append("".join(current))
                current, in_word = [], False
            i += 1
            continue
        if ch in _QUOTES and ch not in exhausted and (not in_word or ch == '"'):
            close = arg_text.find(ch, i + 1)
            if close == -1:
                exhausted.add(ch)
            else:
                current.append(arg_text[i + 1:close])
                in_word = True
                i = close + 1
                continue
        current.append(ch)
        in_word = True
        i += 1
    if in_word:
        words.append("".join(current))
    return tuple(words)


def whole_number(token: str, *, max_digits: int = 9) -> int | None:
    """``token`` as a non-negative int when it is 1–``max_digits`` ASCII digits."""
    if 0 < len(token) <= max_digits and token.isascii() and token.isdigit():
        return int(token)
    return None
