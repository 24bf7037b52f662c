import json

from bot.render.slack import (
    MAX_BLOCKS,
    MAX_BLOCKS_TEXT,
    MAX_SECTION_TEXT,
    MAX_TEXT,
    block_text,
    escape,
    render_message,
    render_messages,
    split_mrkdwn,
)
from commands.core import Button, Reply, Section
from store.i18n import speaking


def rows(n: int) -> tuple[tuple[str, str], ...]:
    return tuple((f"key{i}", f"value{i}") for i in range(n))


def test_text_title_rows_buttons_and_image_become_block_kit() -> None:
    reply = Reply("Queue <support> & friends", (Section(
        title="Queue board", text="2 waiting", rows=(("Alice", "in call"),),
        buttons=(Button("Pause me", "pause", "lunch"), Button("Resume", "resume")),
        image_url="https://example.test/chart.png"),))

    message = render_message(reply)

    assert message["text"] == "Queue &lt;support&gt; &amp; friends"
    assert message["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": "Queue &lt;support&gt; &amp; friends"}},
        {"type": "header", "text": {"type": "plain_text", "text": "Queue board", "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "2 waiting"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Alice*\nin call"}]},
        {"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Pause me", "emoji": True},
             "action_id": "switchboard:0",
             "value": json.dumps({"command": "pause", "args": "lunch"})},
            {"type": "button", "text": {"type": "plain_text", "text": "Resume", "emoji": True},
             "action_id": "switchboard:1",
             "value": json.dumps({"command": "resume", "args": ""})},
        ]},
        {"type": "image", "image_url": "https://example.test/chart.png",
         "alt_text": "Queue board"},
    ]


def test_action_ids_stay_unique_across_sections() -> None:
    reply = Reply("x", tuple(Section(buttons=(Button("Go", "help"),)) for _ in range(3)))
    ids = [b["elements"][0]["action_id"] for b in render_message(reply)["blocks"][1:]]
    assert ids == ["switchboard:0", "switchboard:1", "switchboard:2"]


def test_rows_become_fields_ten_per_section() -> None:
    message = render_message(Reply("People", (Section(rows=rows(25)),)))
    field_blocks = [b for b in message["blocks"] if "fields" in b]
    assert [len(b["fields"]) for b in field_blocks] == [10, 10, 5]
    assert field_blocks[2]["fields"][-1]["text"] == "*key24*\nvalue24"


def test_rows_are_escaped_and_an_empty_value_still_shows() -> None:
    [_, block] = render_message(Reply("x", (Section(rows=(("a<b", ""), ("", "c&d")),),)))["blocks"]
    assert [f["text"] for f in block["fields"]] == ["*a&lt;b*\n—", "c&amp;d"]


def test_too_many_blocks_are_cut_with_a_visible_count_of_what_is_missing() -> None:
    # 1 text block + 60 field blocks of 10 rows = 61 blocks; 49 fit before the note.
    message = render_message(Reply("Everyone", (Section(rows=rows(600)),)))
    blocks = message["blocks"]
    assert len(blocks) == MAX_BLOCKS
    shown = sum(len(b.get("fields", ())) for b in blocks)
    assert shown == 480
    assert blocks[-1] == {"type": "context", "elements": [
        {"type": "mrkdwn",
         "text": "… 120 more rows not shown (too long for one Slack message)"}]}


def test_the_note_counts_rows_and_other_blocks_apart() -> None:
    sections = tuple(Section(title=f"T{i}", rows=rows(3)) for i in range(30))  # 60 blocks
    note = render_message(Reply("", sections))["blocks"][-1]["elements"][0]["text"]
    # blocks 0..48 are kept: sections 0-23 whole and T24's header; 24's rows onwards dropped
    assert note.startswith("… 18 more rows and 5 more items not shown")


def test_long_section_text_is_split_at_line_ends_within_the_limit() -> None:
    lines = [f"line {i:04d} " + "x" * 90 for i in range(80)]  # ~8,000 characters
    message = render_message(Reply("\n".join(lines)))
    texts = [b["text"]["text"] for b in message["blocks"]]
    assert len(texts) == 3
    assert all(len(t) <= MAX_SECTION_TEXT for t in texts)
    assert "\n".join(texts) == "\n".join(lines)  # nothing lost, nothing cut mid-line


def test_a_single_huge_line_is_cut_hard_but_never_inside_an_entity() -> None:
    text = "ab&" * 3000  # 21,000 characters once escaped; 3,000 falls inside an "&amp;"
    pieces = split_mrkdwn(text, MAX_SECTION_TEXT)
    assert len(pieces) == 8
    assert all(len(p) <= MAX_SECTION_TEXT for p in pieces)
    assert all(p.count("&") == p.count("&amp;") for p in pieces)
    assert "".join(pieces) == escape(text)


def test_the_plain_text_is_cut_to_slacks_limit_with_a_count() -> None:
    message = render_message(Reply("y" * 50_000))
    assert len(message["text"]) <= MAX_TEXT
    head, note = message["text"].split("\n")
    assert head == "y" * len(head)
    assert note == f"… {50_000 - len(head)} more characters not shown"
    # One message's blocks hold what Slack takes (about 12,000 characters in all), and say
    # what they left out; render_messages keeps all of it over several messages.
    assert sum(block_text(b) for b in message["blocks"]) <= MAX_BLOCKS_TEXT
    assert "more items not shown" in message["blocks"][-1]["elements"][0]["text"]
    pieces = render_messages(Reply("y" * 50_000))
    assert all(sum(block_text(b) for b in m["blocks"]) <= MAX_BLOCKS_TEXT for m in pieces)
    assert "".join(b["text"]["text"] for m in pieces for b in m["blocks"]) == "y" * 50_000


def test_headers_and_button_labels_are_kept_to_their_limits() -> None:
    reply = Reply("x", (Section(title="T" * 200, buttons=(Button("B" * 100, "help"),)),))
    header, actions = render_message(reply)["blocks"][1:]
    assert len(header["text"]["text"]) == 150 and header["text"]["text"].endswith("…")
    assert len(actions["elements"][0]["text"]["text"]) == 75


def test_a_reply_without_text_falls_back_to_its_first_title() -> None:
    message = render_message(Reply("", (Section(title="Daily stats", rows=rows(1)),)))
    assert message["text"] == "Daily stats"
    assert message["blocks"][0]["type"] == "header"


def test_what_the_renderer_adds_is_in_the_language_it_renders_in() -> None:
    with speaking("ca"):
        cut = render_message(Reply("Everyone", (Section(rows=rows(600)),)))
        huge = render_message(Reply("y" * 50_000))
    assert cut["blocks"][-1]["elements"][0]["text"] == (
        "… 120 files més que no es mostren (massa llarg per a un missatge de Slack)")
    assert huge["text"].split("\n")[1].endswith("caràcters més que no es mostren")
    with speaking("pt"):
        sections = tuple(Section(title=f"T{i}", rows=rows(3)) for i in range(30))
        note = render_message(Reply("", sections))["blocks"][-1]["elements"][0]["text"]
    assert note.startswith("… mais 18 linhas e 5 itens não mostrados")
