"""/calls on the demo: alice's calls demo-1 (Ana, typified "Invoice copy") and demo-2 (an
unknown number, not typified)."""

from __future__ import annotations

from datetime import timedelta

from commands.callers.screen_pop import Ringing, on_ringing
from commands.core import Services
from integrations.clock import FixedClock
from tests.conftest import Chat


def test_calls_lists_the_history_with_typifications(chat: Chat, demo: Services,
                                                    clock: FixedClock) -> None:
    mine = chat.say("alice", "/calls")
    assert mine == (
        "2 calls.\n\n== Your calls (latest first) ==\n"
        "  08:00 · +34 699 00 01 11  unidentified — @alice — not typified\n"
        "  07:00 · +34 600 11 22 33  Acme Energía SL / Ana Pérez — @alice — "
        "Billing › Invoice copy (sent by email)\n"
        "  [Typify 08:00: /typify demo-2]")
    assert chat.say("alice", "/calls 2026-11-22") == \
        "No calls in your history on Sun 22 Nov 2026."
    assert chat.say("alice", "/calls mine 2026-11-23").startswith("2 calls.")
    clock.advance(timedelta(minutes=5))
    on_ringing(demo, Ringing("c-9", "600112233", "212", "support", None, clock.now()))
    by_number = chat.say("bruno", "/calls 600 11 22 33")
    assert "+34 600 11 22 33's calls (latest first)" in by_number
    assert "09:05 · +34 600 11 22 33  Acme Energía SL / Ana Pérez — @bruno — not typified" \
        in by_number
    assert chat.say("bruno", "/calls @alice").startswith("Only coordinators see")
    assert chat.say("carla", "/calls @alice").startswith("2 calls.")
    assert chat.say("alice", "/calls hello").startswith("'hello' is not mine, an @agent or a "
                                                        "phone number")
