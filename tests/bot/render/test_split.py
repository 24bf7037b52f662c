"""Replies too big for one message become several, losing no name, no row, no button."""

from __future__ import annotations

import json
import re

from bot.render import google, slack
from bot.render.split import split_reply
from commands.core import Button, Mention, Reply, Section
from store.i18n import speaking

PEOPLE = [Mention(f"agent{n:03d}", f"Agent Number {n:03d}", f"users/{10**11 + n}",
                  f"U{n:08d}") for n in range(200)]


def notice() -> Reply:
    lines = ["Turn 2 (10:15–11:30) starts at 10:15.",
             "Coming in: " + ", ".join(m.token for m in PEOPLE) + ".",
             "Leaving: " + ", ".join(f"Leaver {n:03d}" for n in range(700)) + ".",
             "Absent: " + ", ".join(f"Absentee {n:03d} (sick)" for n in range(120)) + "."]
    return Reply("\n".join(lines), mentions=tuple(PEOPLE))


def names(pieces: list[Reply], label: str) -> list[str]:
    found: list[str] = []
    for piece in pieces:
        for line in piece.text.split("\n"):
            if line.startswith((f"{label}: ", f"{label} (continued): ")):
                found += line.split(": ", 1)[1].removesuffix(".").split(", ")
    return found


def test_a_200_person_notice_splits_for_google_with_every_name_and_list() -> None:
    reply = notice()
    assert not google.fits(reply)
    pieces = google.split(reply)
    assert len(pieces) > 1 and all(google.fits(p) for p in pieces)
    assert names(pieces, "Coming in") == [m.token for m in PEOPLE]
    assert names(pieces, "Leaving") == [f"Leaver {n:03d}" for n in range(700)]
    assert names(pieces, "Absent") == [f"Absentee {n:03d} (sick)" for n in range(120)]
    # Each piece mentions, natively, exactly the people its text names.
    rendered = [google.render_message(p) for p in pieces]
    mentioned = [u for m in rendered for u in re.findall(r"<(users/\d+)>", m["text"])]
    assert mentioned == [m.google_id for m in PEOPLE]
    assert all("…" not in m["text"] for m in rendered)  # nothing cut


def test_the_same_notice_splits_for_slack_under_its_block_text_limit() -> None:
    pieces = slack.render_messages(notice())
    assert len(pieces) > 1
    assert all(sum(slack.block_text(b) for b in m["blocks"]) <= slack.MAX_BLOCKS_TEXT
               for m in pieces)
    text = "\n".join(b["text"]["text"] for m in pieces for b in m["blocks"])
    assert re.findall(r"<@(U\d+)>", text) == [m.slack_id for m in PEOPLE]
    assert "not shown" not in json.dumps(pieces)


def test_a_board_of_1000_rows_keeps_every_row_in_order_and_its_buttons() -> None:
    rows = tuple((f"Agent {n} ({1000 + n})", "available · 3 calls, 12 min in calls")
                 for n in range(1000))
    reply = Reply("Queue support: 1000 members.", (
        Section(title="Needs action", rows=rows[:10]),
        Section(title="Queue support", rows=rows[10:],
                buttons=(Button("Pause: break", "pause", "break"), Button("Resume", "resume"))),
    ))
    for fits, render in ((google.fits, google.render_message),
                         (slack.fits, slack.render_message)):
        pieces = split_reply(reply, fits)
        assert len(pieces) > 1 and all(fits(p) for p in pieces)
        shown = [row for p in pieces for s in p.sections for row in s.rows]
        assert shown == list(rows)
        with_buttons = [p for p in pieces if any(s.buttons for s in p.sections)]
        assert with_buttons == [pieces[-1]]
        assert pieces[0].sections[0].title == "Needs action"
        assert any(s.title == "Queue support (continued)" for s in pieces[-1].sections)
        assert all("more" not in json.dumps(render(p)) for p in pieces)


def test_a_reply_that_fits_is_left_alone() -> None:
    reply = Reply("Paused: lunch.", (Section(buttons=(Button("Resume", "resume"),)),))
    assert split_reply(reply, google.fits) == [reply]
    assert split_reply(reply, slack.fits) == [reply]


def test_a_continued_label_is_in_the_language_the_pieces_are_cut_in() -> None:
    with speaking("ca"):
        pieces = google.split(notice())
    assert not any("(continued)" in p.text for p in pieces)  # not the English marker...
    carried = [line for p in pieces[1:] for line in p.text.split("\n")
               if line.startswith("Leaving (continuació): ")]
    assert carried  # ...but Catalan's, with the names after it
    found = [n for p in pieces for line in p.text.split("\n")
             if line.startswith(("Leaving: ", "Leaving (continuació): "))
             for n in line.split(": ", 1)[1].removesuffix(".").split(", ")]
    assert found == [f"Leaver {n:03d}" for n in range(700)]
