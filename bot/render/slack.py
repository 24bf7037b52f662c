"""Reply → Slack message: a plain ``text`` (notifications, fallbacks) and Block Kit ``blocks``.

Used for answers (ack, respond, chat.postMessage) and, through the outbox notifier, for
proactive messages. Reply text is plain, so every piece of it is escaped for mrkdwn
(``&``, ``<``, ``>``): nothing a user typed can become a link, a mention or ``<!channel>``.

Slack's limits are kept here, not left to the API to reject: at most 50 blocks, section text
≤ 3,000 characters, 10 fields per section, 25 buttons per actions block, ``text`` ≤ 40,000
characters, and the text of all blocks together under what Slack takes (it answers
``msg_blocks_too_long`` at about 12,000 characters). ``render_messages`` splits a reply
that would not fit into several messages (bot/render/split.py), losing nothing;
``render_message`` gives one message, and drops what does not fit behind a visible
"… N more" context line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.render.split import split_reply
from commands.core import Button, Reply, Section
from store.i18n import _, ngettext

log = logging.getLogger(__name__)

MAX_BLOCKS = 50
# The text of all blocks together. Slack refuses about 12,000 characters
# (msg_blocks_too_long) without documenting the figure; we stay well under it.
MAX_BLOCKS_TEXT = 11_000
MAX_TEXT = 40_000
MAX_SECTION_TEXT = 3_000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2_000
MAX_HEADER = 150
MAX_BUTTONS = 25
MAX_BUTTON_LABEL = 75
MAX_BUTTON_VALUE = 2_000
MAX_ALT_TEXT = 2_000
ACTION_PREFIX = "switchboard:"

_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


def escape(text: str) -> str:
    """Plain text → mrkdwn that shows exactly that text."""
    for raw, entity in _ENTITIES:
        text = text.replace(raw, entity)
    return text


@dataclass(frozen=True)
class _Block:
    body: dict[str, Any]
    rows: int = 0  # table rows it shows, so a cut can say how many were left out


def render_message(reply: Reply) -> dict[str, Any]:
    """The message body for chat.postMessage / respond / ack: ``{"text": …, "blocks": […]}``."""
    return {"text": _fallback_text(reply), "blocks": _fit(_blocks(reply))}


def render_messages(reply: Reply) -> list[dict[str, Any]]:
    """One message body per piece of the reply, each within Slack's limits, nothing lost."""
    return [render_message(piece) for piece in split(reply)]


def split(reply: Reply) -> list[Reply]:
    """The reply in pieces that each fit one Slack message."""
    return split_reply(reply, fits)


def fits(reply: Reply) -> bool:
    """The reply goes in one message without anything dropped or refused."""
    blocks = _blocks(reply)
    return (len(blocks) <= MAX_BLOCKS and len(mrkdwn(reply.text, reply)) <= MAX_TEXT
            and sum(block_text(b.body) for b in blocks) <= MAX_BLOCKS_TEXT)


def block_text(value: Any) -> int:
    """The characters of text a block (or anything inside one) holds."""
    if isinstance(value, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else block_text(v)
                   for k, v in value.items())
    if isinstance(value, list):
        return sum(block_text(v) for v in value)
    return 0


def _blocks(reply: Reply) -> list[_Block]:
    blocks: list[_Block] = []
    if reply.text:
        blocks.extend(_text_blocks(reply.text, reply))
    counter = _Counter()
    for section in reply.sections:
        blocks.extend(_section_blocks(section, counter, reply))
    return blocks


def mrkdwn(text: str, reply: Reply | None = None) -> str:
    """Plain text → mrkdwn: escaped, with the reply's mentions as ``<@U…>`` (the person's
    name, escaped, when they have no linked Slack account)."""
    if reply is None:
        return escape(text)
    return "".join(escape(p) if isinstance(p, str)
                   else f"<@{p.slack_id}>" if p.slack_id else escape(p.name)
                   for p in reply.pieces(text))


# --------------------------------------------------------------------------- pieces


def _text_blocks(text: str, reply: Reply | None = None) -> Iterator[_Block]:
    for piece in _split(mrkdwn(text, reply), MAX_SECTION_TEXT):
        yield _Block({"type": "section", "text": {"type": "mrkdwn", "text": piece}})


def _section_blocks(section: Section, counter: _Counter, reply: Reply) -> Iterator[_Block]:
    if section.title:
        title = reply.plain(section.title, lambda m: m.name)
        yield _Block({"type": "header",
                      "text": {"type": "plain_text", "text": _cut(title, MAX_HEADER),
                               "emoji": True}})
    if section.text:
        yield from _text_blocks(section.text, reply)
    for start in range(0, len(section.rows), MAX_FIELDS):
        chunk = section.rows[start:start + MAX_FIELDS]
        fields = [{"type": "mrkdwn", "text": _field(key, value, reply)}
                  for key, value in chunk]
        yield _Block({"type": "section", "fields": fields}, rows=len(chunk))
    buttons = [b for b in (_button(button, counter) for button in section.buttons) if b]
    for start in range(0, len(buttons), MAX_BUTTONS):
        yield _Block({"type": "actions", "elements": buttons[start:start + MAX_BUTTONS]})
    if section.image_url:
        alt = section.title or section.text or "image"
        yield _Block({"type": "image", "image_url": section.image_url,
                      "alt_text": _cut(alt, MAX_ALT_TEXT)})


def _field(key: str, value: str, reply: Reply) -> str:
    head = f"*{mrkdwn(key, reply)}*\n" if key else ""
    body = mrkdwn(value, reply) if value else "—"
    return _cut_mrkdwn(head + body, MAX_FIELD_TEXT)


class _Counter:
    """Numbers the buttons of one message: action ids must be unique within it."""

    def __init__(self) -> None:
        self.next = 0

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def _button(button: Button, counter: _Counter) -> dict[str, Any] | None:
    value = json.dumps({"command": button.command, "args": button.args})
    if len(value) > MAX_BUTTON_VALUE:
        # A cut value would run a different command than the label promises.
        log.warning("button %r left out: its arguments exceed Slack's %d characters",
                    button.label, MAX_BUTTON_VALUE)
        return None
    return {"type": "button",
            "text": {"type": "plain_text", "text": _cut(button.label or button.text,
                                                        MAX_BUTTON_LABEL), "emoji": True},
            "action_id": f"{ACTION_PREFIX}{counter.take()}",
            "value": value}


def _fit(blocks: list[_Block]) -> list[dict[str, Any]]:
    total = sum(block_text(b.body) for b in blocks)
    if len(blocks) <= MAX_BLOCKS and total <= MAX_BLOCKS_TEXT:
        return [b.body for b in blocks]
    keep = min(len(blocks), MAX_BLOCKS - 1)
    room = MAX_BLOCKS_TEXT - 200  # the note's own text
    while keep and sum(block_text(b.body) for b in blocks[:keep]) > room:
        keep -= 1
    kept, dropped = blocks[:keep], blocks[keep:]
    rows = sum(b.rows for b in dropped)
    others = sum(1 for b in dropped if not b.rows)
    if rows and others:
        note = _("… {rows} more rows and {items} more items not shown (too long for one "
                 "Slack message)").format(rows=rows, items=others)
    elif rows:
        note = ngettext("… {n} more row not shown (too long for one Slack message)",
                        "… {n} more rows not shown (too long for one Slack message)",
                        rows).format(n=rows)
    else:
        note = ngettext("… {n} more item not shown (too long for one Slack message)",
                        "… {n} more items not shown (too long for one Slack message)",
                        others).format(n=others)
    return [b.body for b in kept] + [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}]


def _fallback_text(reply: Reply) -> str:
    """The notification / screen-reader text: the reply's text, else its first title."""
    plain = reply.text or next(
        (s.title or s.text or "" for s in reply.sections if s.title or s.text), "") or "…"
    text = mrkdwn(plain, reply)
    if len(text) <= MAX_TEXT:
        return text
    note_room = 60
    head = _cut_mrkdwn(text, MAX_TEXT - note_room, ellipsis=False)
    return head + "\n" + _("… {n} more characters not shown").format(n=len(text) - len(head))


# --------------------------------------------------------------------------- cutting


def split_mrkdwn(text: str, limit: int) -> list[str]:
    """Escape ``text`` and split it into pieces of at most ``limit`` characters.

    Cuts fall at line ends where possible, and never inside an ``&amp;``-style entity.
    """
    return _split(escape(text), limit)


def _split(text: str, limit: int) -> list[str]:
    """Split mrkdwn (already escaped) as ``split_mrkdwn`` does."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        while len(line) > limit:
            head = _cut_mrkdwn(line, limit, ellipsis=False)
            if current:
                pieces.append("\n".join(current))
                current, size = [], 0
            pieces.append(head)
            line = line[len(head):]
        added = len(line) + (1 if current else 0)
        if current and size + added > limit:
            pieces.append("\n".join(current))
            current, size, added = [], 0, len(line)
        current.append(line)
        size += added
    if current:
        pieces.append("\n".join(current))
    return [p for p in pieces if p.strip()]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _cut_mrkdwn(text: str, limit: int, *, ellipsis: bool = True) -> str:
    """At most ``limit`` characters of escaped text, not ending inside an entity."""
    if len(text) <= limit:
        return text
    end = limit - 1 if ellipsis else limit
    amp = text.rfind("&", max(0, end - 4), end)
    if amp != -1 and ";" not in text[amp:end]:
        end = amp
    return text[:end] + ("…" if ellipsis else "")
