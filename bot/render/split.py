"""A reply too big for one message becomes several, and none loses anything.

``split_reply(reply, fits)`` cuts only where a reader expects a break: between lines of
the text, between rows of a section, and — for a line that alone is too long, such as a
list of 200 names — between the items of that list, the label repeated on the next
message ("Coming in (continued): …"). Every piece carries the mentions its text names,
and the buttons ride on the last piece of their section. ``fits`` is the platform's own
test (bot/render/google.py, bot/render/slack.py), so the pieces are cut to what that
platform takes.

The words added here ("(continued)") are in the current language (``store.i18n``): the
caller renders inside ``speaking`` the reader's language, as the reply was written in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from commands.core import MENTION_CLOSE, MENTION_OPEN, Mention, Reply, Section
from store.i18n import _


def carried_on(label: str) -> str:
    """"Coming in (continued)": a label or title carried on to the next message."""
    return _("{label} (continued)").format(label=label)



@dataclass(frozen=True)
class _Unit:
    """The smallest thing that is never cut: a line of text, or one row of a section."""

    text: str | None = None  # a line of the reply's text
    section: int | None = None  # the section a row (or a row-less section) belongs to
    row: int | None = None  # the row's index in that section


def split_reply(reply: Reply, fits: Callable[[Reply], bool]) -> list[Reply]:
    """``[reply]`` when it fits; else pieces that each fit, in order, losing nothing.

    A unit that fits in no message on its own (one row bigger than a message) is sent
    alone and the platform's renderer cuts it visibly."""
    if fits(reply):
        return [reply]
    units = _units(reply, fits)
    pieces: list[Reply] = []
    current: list[_Unit] = []
    for unit in units:
        trial = _assemble(reply, [*current, unit], continued=bool(pieces))
        if current and not fits(trial):
            pieces.append(_assemble(reply, current, continued=bool(pieces)))
            current = [unit]
        else:
            current.append(unit)
    if current or not pieces:
        pieces.append(_assemble(reply, current, continued=bool(pieces)))
    return pieces


def _units(reply: Reply, fits: Callable[[Reply], bool]) -> list[_Unit]:
    units: list[_Unit] = []
    for line in reply.text.split("\n"):
        units.extend(_Unit(text=part) for part in _line_parts(reply, line, fits))
    for index, section in enumerate(reply.sections):
        if section.rows:
            units.extend(_Unit(section=index, row=n) for n in range(len(section.rows)))
        else:
            units.append(_Unit(section=index))
    return units


def _line_parts(reply: Reply, line: str, fits: Callable[[Reply], bool]) -> list[str]:
    """A line that fits a message alone stays whole; a longer "Label: a, b, c." list is
    cut between items, each part a whole line "Label (continued): d, e."; other text is
    cut between words, and a word too long for a message between characters."""
    if fits(_only(reply, line)):
        return [line]

    def fit(text: str) -> bool:
        return fits(_only(reply, text))

    label, colon, items_text = line.partition(": ")
    end = "." if items_text.endswith(".") else ""
    items = items_text.removesuffix(end).split(", ")
    if colon and len(items) >= 2:
        def render(chunk: list[str], first: bool) -> str:
            head = label if first else carried_on(label)
            return f"{head}: " + ", ".join(chunk) + end

        return _pack(items, render, fit)
    words = line.split(" ")
    if len(words) >= 2:
        return [part for word_part in _pack(words, lambda chunk, _: " ".join(chunk), fit)
                for part in ([word_part] if fit(word_part) else _chars(word_part, fit))]
    return _chars(line, fit)


def _pack(items: list[str], render: Callable[[list[str], bool], str],
          fit: Callable[[str], bool]) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    for item in items:
        if current and not fit(render([*current, item], not parts)):
            parts.append(render(current, not parts))
            current = [item]
        else:
            current.append(item)
    if current:
        parts.append(render(current, not parts))
    return parts


def _chars(text: str, fit: Callable[[str], bool]) -> list[str]:
    """Cut between characters (never inside a mention token), each part as long as fits."""
    parts: list[str] = []
    while text:
        low, high = 1, len(text)
        while low < high:  # the longest prefix that fits
            middle = (low + high + 1) // 2
            if fit(text[:middle]):
                low = middle
            else:
                high = middle - 1
        cut = low
        opened = text.rfind(MENTION_OPEN, 0, cut)
        if opened > 0 and text.rfind(MENTION_CLOSE, 0, cut) < opened:
            cut = opened
        parts.append(text[:cut])
        text = text[cut:]
    return parts


def _only(reply: Reply, text: str) -> Reply:
    return Reply(text, mentions=_named(reply, text), private=reply.private)


def _named(reply: Reply, *texts: str | None) -> tuple[Mention, ...]:
    joined = "".join(t for t in texts if t)
    if MENTION_OPEN not in joined:
        return ()
    return tuple(m for m in reply.mentions
                 if f"{MENTION_OPEN}{m.key}{MENTION_CLOSE}" in joined)


def _assemble(reply: Reply, units: list[_Unit], *, continued: bool) -> Reply:
    lines = [u.text for u in units if u.text is not None]
    sections: list[Section] = []
    last_of: dict[int, int] = {}
    rows_seen: dict[int, int] = {}
    for unit in units:
        if unit.section is None:
            continue
        original = reply.sections[unit.section]
        if unit.section not in last_of:
            # The first rows of a section already begun in an earlier piece.
            began_before = continued and unit.row is not None and unit.row > 0
            title = original.title
            if began_before and title:
                title = carried_on(title)
            sections.append(replace(original, title=title,
                                    text=None if began_before else original.text,
                                    rows=(), buttons=(), image_url=None))
            last_of[unit.section] = len(sections) - 1
        at = last_of[unit.section]
        if unit.row is not None:
            row = original.rows[unit.row]
            sections[at] = replace(sections[at], rows=(*sections[at].rows, row))
            rows_seen[unit.section] = unit.row
    # Buttons and the image go with the piece that holds the section's last row.
    for index, at in last_of.items():
        original = reply.sections[index]
        if not original.rows or rows_seen.get(index) == len(original.rows) - 1:
            sections[at] = replace(sections[at], buttons=original.buttons,
                                   image_url=original.image_url)
    text = "\n".join(lines)
    texts = [text] + [s.text for s in sections] + [k + v for s in sections for k, v in s.rows]
    return Reply(text, tuple(sections), private=reply.private, mentions=_named(reply, *texts))
