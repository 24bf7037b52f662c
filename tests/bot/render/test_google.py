"""Reply → Google Chat message: cardsV2 shape, escaping, and Chat's size limits."""

from __future__ import annotations

import json
from typing import Any

from bot.render.google import (
    MAX_MESSAGE_BYTES,
    MAX_WIDGETS,
    addon_response,
    dumps,
    private_to,
    render_message,
)
from commands.core import Button, Reply, Section
from store.i18n import speaking


def widgets(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for card in message.get("cardsV2", []) for s in card["card"]["sections"]
            for w in s["widgets"]]


def paragraphs(message: dict[str, Any]) -> list[str]:
    return [w["textParagraph"]["text"] for w in widgets(message) if "textParagraph" in w]


def row_count(message: dict[str, Any]) -> int:
    return sum(1 for w in widgets(message) if "decoratedText" in w)


def test_a_text_only_reply_is_plain_text_with_explicit_markup() -> None:
    assert render_message(Reply("Done.")) == {"text": "Done.",
                                              "markupSyntax": "MARKUP_SYNTAX_CHAT"}


def test_sections_become_one_card() -> None:
    reply = Reply("Queue", (
        Section(title="Now", text="Two waiting", rows=(("Alice", "in call"), ("Bruno", ""))),
        Section(buttons=(Button("Pause me", "pause", "lunch"), Button("Resume", "resume")),
                image_url="https://example.com/chart.png"),
    ))
    message = render_message(reply)
    (card,) = message["cardsV2"]
    assert card["cardId"] == "switchboard"
    first, second = card["card"]["sections"]
    assert first == {"header": "Now", "widgets": [
        {"textParagraph": {"text": "Two waiting", "textSyntax": "HTML"}},
        {"decoratedText": {"topLabel": "Alice", "text": "in call", "wrapText": True}},
        {"decoratedText": {"topLabel": "Bruno", "text": "—", "wrapText": True}},
    ]}
    assert "header" not in second
    buttons, image = second["widgets"]
    assert buttons["buttonList"]["buttons"][0] == {"text": "Pause me", "onClick": {"action": {
        "function": "switchboard",
        "parameters": [{"key": "command", "value": "pause"}, {"key": "args", "value": "lunch"}],
    }}}
    assert image == {"image": {"imageUrl": "https://example.com/chart.png", "altText": "chart"}}


def test_addon_buttons_call_the_given_url() -> None:
    reply = Reply("x", (Section(buttons=(Button("Resume", "resume"),)),))
    message = render_message(reply, action_function="https://bot.example/chat/google")
    (button,) = widgets(message)[0]["buttonList"]["buttons"]
    assert button["onClick"]["action"]["function"] == "https://bot.example/chat/google"


def test_card_text_is_html_escaped() -> None:
    reply = Reply("<b>not bold</b>", (Section(
        title="<i>T</i>", text="a < b & c\nnext <script>", rows=(("<k>", "<v> & \"q\""),)),))
    message = render_message(reply)
    section = message["cardsV2"][0]["card"]["sections"][0]
    assert section["header"] == "&lt;i&gt;T&lt;/i&gt;"
    assert paragraphs(message) == ["a &lt; b &amp; c<br>next &lt;script&gt;"]
    row = widgets(message)[1]["decoratedText"]
    assert (row["topLabel"], row["text"]) == ("&lt;k&gt;", "&lt;v&gt; &amp; &quot;q&quot;")
    assert message["text"] == "<b>not bold</b>"  # plain message text is not HTML


def test_more_than_100_widgets_are_cut_with_a_visible_count() -> None:
    rows = tuple((f"Agent {n}", f"ext {n}") for n in range(150))
    reply = Reply("Everyone", (Section(title="People", text="The whole team", rows=rows,
                                       buttons=(Button("Refresh", "people"),)),))
    message = render_message(reply)
    all_widgets = widgets(message)
    assert len(all_widgets) == MAX_WIDGETS
    kept = row_count(message)
    assert kept == 97  # text + 97 rows + "… N more" + buttons = 100
    assert paragraphs(message)[-1] == f"<i>… {150 - kept} more</i>"
    assert "buttonList" in all_widgets[-1]  # the actions survive the cut
    assert widgets(message)[kept]["decoratedText"]["topLabel"] == f"Agent {kept - 1}"


def test_rows_are_cut_from_the_last_sections_first() -> None:
    reply = Reply("Two lists", (
        Section(title="A", rows=tuple((f"a{n}", "x") for n in range(60))),
        Section(title="B", rows=tuple((f"b{n}", "y") for n in range(60)),
                buttons=(Button("Again", "stats"),)),
    ))
    message = render_message(reply)
    a, b = message["cardsV2"][0]["card"]["sections"]
    assert len(a["widgets"]) == 60
    assert len(b["widgets"]) == 40  # 38 rows, the marker, the buttons
    assert b["widgets"][-2] == {"textParagraph": {"text": "<i>… 22 more</i>",
                                                  "textSyntax": "HTML"}}


def test_a_message_never_exceeds_32000_bytes() -> None:
    rows = tuple((f"Row {n}", "ñ" * 900) for n in range(60))  # about 110 KB of UTF-8
    message = render_message(Reply("Big", (Section(title="Big", rows=rows),)))
    size = len(dumps(message))
    assert size <= MAX_MESSAGE_BYTES
    kept = row_count(message)
    assert 0 < kept < 60
    assert paragraphs(message)[-1] == f"<i>… {60 - kept} more</i>"
    # what the door adds afterwards still fits
    wrapped = addon_response(private_to(message, "users/123456789012345678901"))
    assert len(json.dumps(wrapped, ensure_ascii=False).encode()) <= MAX_MESSAGE_BYTES


def test_huge_content_other_than_rows_is_cut_too() -> None:
    reply = Reply("x" * 10_000, (Section(title="Essay", text="word " * 20_000),
                                 Section(title="After", rows=(("k", "v"),))))
    message = render_message(reply)
    assert len(dumps(message)) <= MAX_MESSAGE_BYTES
    assert len(message["text"]) == 4000 and message["text"].endswith("…")
    assert paragraphs(message) == ["<i>… 2 more</i>"]


def test_a_small_reply_is_not_cut() -> None:
    rows = tuple((f"r{n}", "v") for n in range(99))
    message = render_message(Reply("ok", (Section(rows=rows),)))
    assert row_count(message) == 99 and not paragraphs(message)


def test_the_count_of_what_is_cut_is_in_the_language_it_renders_in() -> None:
    rows = tuple((f"Agent {n}", f"ext {n}") for n in range(150))
    with speaking("es"):
        message = render_message(Reply("Todos", (Section(title="Gente", rows=rows),)))
    assert paragraphs(message)[-1] == f"<i>… {150 - row_count(message)} más</i>"
