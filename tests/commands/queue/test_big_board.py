"""/queue at a thousand agents: what needs action comes first and fits the first card."""

from __future__ import annotations

import re

import pytest

from bot.render import google, slack
from commands.core import Services
from testing.big_team import BigTeam, Trouble, troubled_team
from tests.conftest import Chat


@pytest.fixture
def big(demo: Services) -> tuple[BigTeam, Trouble]:
    return troubled_team(demo)


def test_a_1000_agent_queue_shows_every_problem_on_the_first_card(
        chat: Chat, big: tuple[BigTeam, Trouble]) -> None:
    _team, trouble = big
    transcript = chat.say("boss", "/queue")
    assert chat.last is not None and chat.last.ok
    headline = transcript.split("\n")[0]
    assert headline == ("Queue support: 1000 members — 488 available, 300 in a call, "
                        "164 paused, 48 disconnected (64 over the pause limit). "
                        "3 expected but not in the queue.")  # the demo's turn
    assert len(headline) < 200  # counts, never names
    reply = chat.last.reply
    first = google.render_messages(reply)[0]
    card = str(first["cardsV2"])
    assert all(f"{p.name} ({p.extension})" in card for p in trouble.over_limit)
    assert all(f"{p.name} ({p.extension})" in card for p in trouble.disconnected)
    assert "(over the 60 min limit)" in card
    # The buttons survive, on Google and on Slack, in the first message.
    functions = re.findall(r"'value': '(pause|resume)'", card)
    assert functions == ["pause", "pause", "resume"]
    first_slack = slack.render_messages(reply)[0]
    blocks = str(first_slack["blocks"])
    assert all(f"{p.name} ({p.extension})" in blocks for p in trouble.over_limit)
    assert all(f"{p.name} ({p.extension})" in blocks for p in trouble.disconnected)
    assert [e["value"] for b in first_slack["blocks"] if b["type"] == "actions"
            for e in b["elements"]][:3] == ['{"command": "pause", "args": "break"}',
                                            '{"command": "pause", "args": "lunch"}',
                                            '{"command": "resume", "args": ""}']
    # Then the counts, then a page of the others, paused and busy first.
    assert "== By state ==" in transcript
    assert "== Queue support (1–40 of 888) ==" in transcript
    page = transcript.split("== Queue support (1–40 of 888) ==")[1]
    assert page.count("paused: break") == 40
    assert "[Page 2 of 23: /queue page 2]" in transcript


def test_the_board_filters_and_pages(chat: Chat, big: tuple[BigTeam, Trouble]) -> None:
    _team, _trouble = big
    paused = chat.say("boss", "/queue paused")
    assert paused.startswith("Queue support, paused: 164 members — 164 paused "
                             "(64 over the pause limit).")
    listed = paused.split("== Queue support")[1]
    assert listed.count("paused: break") == 40 and "in a call" not in listed
    offline = chat.say("boss", "/queue offline")
    assert offline.startswith("Queue support, offline: 48 members — 48 disconnected.")
    busy = chat.say("boss", "/queue busy")
    assert busy.startswith("Queue support, busy: 300 members — 300 in a call.")
    group = chat.say("boss", "/queue @g19")  # agents 950–999
    assert group.startswith("Queue support, @g19: 50 members — 50 available.")
    assert "Agent 0950 (3950)" in group
    last = chat.say("boss", "/queue busy page 8")
    assert "== Queue support · busy (281–300 of 300) ==" in last
    assert "Page 9" not in last
    refused = chat.say("boss", "/queue sleepy")
    assert "I can't filter the board by 'sleepy'" in refused
