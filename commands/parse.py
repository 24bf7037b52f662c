"""Typed text to (command, arguments): `/pause lunch`, `pause me lunch`, `who is on shift?`."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from commands.core import Command
from commands.text import split_args
from commands.words import fold

__all__ = ["Parsed", "Parser", "split_args"]

_WORD = re.compile(r"\S+")
_EDGE_PUNCT = "?!.,:;¿¡\"“”"


def _norm(word: str) -> str:
    return fold(word).strip(_EDGE_PUNCT)


@dataclass(frozen=True)
class Parsed:
    command: Command
    arg_text: str


class Parser:
    """Matches the longest name, alias or phrase at the start of the text."""

    def __init__(self, commands: Iterable[Command]) -> None:
        self._phrases: dict[tuple[str, ...], Command] = {}
        for command in commands:
            for phrase in command.words:
                words = tuple(_norm(w) for w in phrase.lstrip("/").split())
                if words in self._phrases and self._phrases[words] is not command:
                    raise ValueError(f"phrase {phrase!r} is claimed by two commands")
                self._phrases[words] = command
        self._longest = max((len(k) for k in self._phrases), default=0)

    def parse(self, text: str) -> Parsed | None:
        stripped = text.strip()
        if stripped.startswith("/"):
            stripped = stripped[1:]
        matches = list(_WORD.finditer(stripped))
        words = [_norm(m.group()) for m in matches]
        for length in range(min(self._longest, len(words)), 0, -1):
            command = self._phrases.get(tuple(words[:length]))
            if command is not None:
                rest = stripped[matches[length - 1].end():].strip()
                return Parsed(command, rest)
        return None

    def first_word(self, text: str) -> str:
        words = text.strip().lstrip("/").split()
        return words[0] if words else ""

    def suggestions(self, text: str, allowed: Sequence[Command], limit: int = 3) -> list[str]:
        """Closest command names to the first word typed, among those the asker may run."""
        word = _norm(self.first_word(text))
        by_word: dict[str, str] = {}
        for command in allowed:
            for phrase in command.words:
                by_word.setdefault(_norm(phrase.split()[0]), command.name)
        close = difflib.get_close_matches(word, list(by_word), n=limit * 2, cutoff=0.6)
        names: list[str] = []
        for match in close:
            if by_word[match] not in names:
                names.append(by_word[match])
        return names[:limit]
