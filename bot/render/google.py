"""Reply → Google Chat message body (text + cardsV2), within Chat's limits.

Limits (docs/protocols/google-chat.md): a message is at most 32,000 bytes and a card at most 100
widgets, and Chat drops a section that goes past 100 together with every later one. So
rows are cut from the end, with a visible "… N more" line where the cut starts; only if
everything but the rows is still too big are other widgets cut too.

Card text is an HTML subset, so everything shown in a card is escaped; the message text
uses Chat's own markup, set explicitly because new apps default to Markdown.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape
from typing import Any

from bot.render.split import split_reply
from commands.core import Button, Reply, Section
from store.i18n import _

CLASSIC_FUNCTION = "switchboard"
CARD_ID = "switchboard"
MAX_MESSAGE_BYTES = 32_000
MAX_WIDGETS = 100
# Room left for what the door adds after rendering (privateMessageViewer, add-on wrapping).
HEADROOM_BYTES = 512
MAX_TEXT_CHARS = 4000


def render_message(reply: Reply, *, action_function: str = CLASSIC_FUNCTION) -> dict[str, Any]:
    """A Chat API Message body. ``action_function``: the buttons' onClick function — the
    name "switchboard" for classic apps, the endpoint's HTTPS URL for add-ons."""
    text = chat_text(reply)
    message: dict[str, Any] = {"text": text, "markupSyntax": "MARKUP_SYNTAX_CHAT"}
    sections = [_Section(s, action_function) for s in reply.sections_shown(lambda m: m.name)]
    if not sections:
        return message

    def fits(cards: list[dict[str, Any]]) -> bool:
        return _card_fits(message, cards)

    for rows_only in (True, False):
        total = sum(s.cuttable(rows_only) for s in sections)
        if fits(_assemble(sections, total, rows_only)):
            return _with(message, _assemble(sections, total, rows_only))
        if not fits(_assemble(sections, 0, rows_only)):
            continue
        low, high = 0, total  # fits(low) holds, fits(high) does not
        while high - low > 1:
            middle = (low + high) // 2
            if fits(_assemble(sections, middle, rows_only)):
                low = middle
            else:
                high = middle
        return _with(message, _assemble(sections, low, rows_only))
    raise AssertionError("a card of one line always fits")  # pragma: no cover


def _card_fits(message: dict[str, Any], cards: list[dict[str, Any]]) -> bool:
    widgets = sum(len(s["widgets"]) for s in cards)
    return widgets <= MAX_WIDGETS and \
        encoded_size(_with(message, cards)) <= MAX_MESSAGE_BYTES - HEADROOM_BYTES


def fits(reply: Reply, *, action_function: str = CLASSIC_FUNCTION) -> bool:
    """The reply goes in one message with nothing cut: its whole text, every widget."""
    if _text_length(reply) > MAX_TEXT_CHARS - 1:
        return False
    sections = [_Section(s, action_function) for s in reply.sections_shown(lambda m: m.name)]
    if not sections:
        return True
    message = {"text": chat_text(reply), "markupSyntax": "MARKUP_SYNTAX_CHAT"}
    total = sum(s.cuttable(False) for s in sections)
    return _card_fits(message, _assemble(sections, total, False))


def render_messages(reply: Reply, *,
                    action_function: str = CLASSIC_FUNCTION) -> list[dict[str, Any]]:
    """One message body per piece of the reply, each within Chat's limits, nothing lost."""
    return [render_message(piece, action_function=action_function)
            for piece in split(reply, action_function=action_function)]


def split(reply: Reply, *, action_function: str = CLASSIC_FUNCTION) -> list[Reply]:
    """The reply in pieces that each fit one Chat message."""
    return split_reply(reply, lambda r: fits(r, action_function=action_function))


def _text_length(reply: Reply) -> int:
    return sum(len(_MARKUP.sub("<\u200b", p)) if isinstance(p, str)
               else len(f"<{p.google_id}>" if p.google_id else p.name)
               for p in reply.pieces(reply.text))


# What Chat syntax turns into a mention or a link: <users/…>, <https://…|label>, <mailto:…>.
_MARKUP = re.compile(r"<(?=\s*(users/|https?:|mailto:))", re.IGNORECASE)


def chat_text(reply: Reply) -> str:
    """The message text in Chat syntax: mentions as ``<users/ID>`` (the name when the
    person has no linked Google account); anything else that Chat would read as markup
    that reaches people (``<users/all>``, ``<url|label>``) is defused with a zero-width
    space after ``<``. Cut at MAX_TEXT_CHARS, never inside a mention."""
    out: list[str] = []
    size = 0
    for piece in reply.pieces(reply.text):
        if isinstance(piece, str):
            part = _MARKUP.sub("<\u200b", piece)
        else:
            part = f"<{piece.google_id}>" if piece.google_id else piece.name
        if size + len(part) > MAX_TEXT_CHARS - 1:
            room = MAX_TEXT_CHARS - 1 - size
            out.append((part[:room] if isinstance(piece, str) else "") + "…")
            break
        out.append(part)
        size += len(part)
    return "".join(out)


def private_to(message: dict[str, Any], user_name: str) -> dict[str, Any]:
    """The message, visible only to that user (and the app)."""
    return {**message, "privateMessageViewer": {"name": user_name}}


def addon_response(message: dict[str, Any]) -> dict[str, Any]:
    """The response of a Workspace add-on that posts ``message`` in the space."""
    return {"hostAppDataAction": {"chatDataAction": {"createMessageAction": {
        "message": message}}}}


def encoded_size(body: dict[str, Any]) -> int:
    return len(dumps(body))


def dumps(body: dict[str, Any]) -> bytes:
    """The wire form the door sends; sizes are measured on exactly this."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


# ----------------------------------------------------------------------- internals


@dataclass(frozen=True)
class _Widget:
    body: dict[str, Any]
    row: bool


class _Section:
    def __init__(self, section: Section, action_function: str) -> None:
        self.header = escape(section.title) if section.title else None
        widgets: list[_Widget] = []
        if section.text:
            widgets.append(_Widget(_paragraph(_html(section.text)), row=False))
        widgets += [_Widget(_row(key, value), row=True) for key, value in section.rows]
        if section.buttons:
            widgets.append(_Widget({"buttonList": {"buttons": [
                _button(b, action_function) for b in section.buttons]}}, row=False))
        if section.image_url:
            widgets.append(_Widget({"image": {"imageUrl": section.image_url,
                                              "altText": section.title or _("chart")}},
                                    row=False))
        self.widgets = widgets

    def cuttable(self, rows_only: bool) -> int:
        return sum(1 for w in self.widgets if w.row or not rows_only)


def _assemble(sections: list[_Section], keep: int, rows_only: bool) -> list[dict[str, Any]]:
    """The card sections with only the first ``keep`` cuttable widgets, and a "… N more"
    line where the first one was left out."""
    seen = dropped = 0
    marker: dict[str, Any] | None = None
    result: list[dict[str, Any]] = []
    for section in sections:
        widgets: list[dict[str, Any]] = []
        for widget in section.widgets:
            if widget.row or not rows_only:
                seen += 1
                if seen > keep:
                    dropped += 1
                    if marker is None:
                        marker = _paragraph("")
                        widgets.append(marker)
                    continue
            widgets.append(widget.body)
        if widgets:
            body: dict[str, Any] = {"widgets": widgets}
            if section.header:
                body["header"] = section.header
            result.append(body)
    if marker is not None:
        marker["textParagraph"]["text"] = "<i>" + escape(
            _("… {n} more").format(n=dropped)) + "</i>"
    return result


def _with(message: dict[str, Any], sections: list[dict[str, Any]]) -> dict[str, Any]:
    return {**message, "cardsV2": [{"cardId": CARD_ID, "card": {"sections": sections}}]}


def _html(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def _paragraph(html: str) -> dict[str, Any]:
    return {"textParagraph": {"text": html, "textSyntax": "HTML"}}


def _row(key: str, value: str) -> dict[str, Any]:
    return {"decoratedText": {"topLabel": escape(key), "text": _html(value) or "—",
                              "wrapText": True}}


def _button(button: Button, action_function: str) -> dict[str, Any]:
    # Button labels are plain text in Chat (not HTML), so they are not escaped.
    return {"text": button.label, "onClick": {"action": {
        "function": action_function,
        "parameters": [{"key": "command", "value": button.command},
                       {"key": "args", "value": button.args}],
    }}}
