"""/queue shows the callers waiting now where the backend reports them, masked in rooms."""

from __future__ import annotations

from datetime import timedelta

from bot.render.text import render_text
from commands.core import Services, Where
from commands.dispatch import Dispatcher, Incoming
from commands.queue.waiting import render
from commands.registry import COMMANDS
from integrations.pbx import LiveQueue, WaitingCall
from store.db import transaction
from store.queue.sim_pbx import SimCall
from tests.conftest import T0, Chat


def board(services: Services, *, dm: bool) -> str:
    result = Dispatcher(COMMANDS, services).handle(Incoming(
        platform="console", user_id="carla", text="/queue",
        where=Where(platform="console", space="console", is_dm=dm)))
    return render_text(result.reply)


def test_the_board_lists_the_simulated_callers_waiting(demo: Services) -> None:
    demo.pbx.set_members(["211"])
    with transaction(demo.sessions) as session:
        for n, (caller, ago, phase) in enumerate([("+34600111222", 95, "waiting"),
                                                   ("+34600333444", 20, "ringing")], 1):
            session.add(SimCall(queue="support", call_id=f"support-{n:06d}", caller=caller,
                                entered_at=T0 - timedelta(seconds=ago), phase=phase,
                                patience_until=T0 + timedelta(minutes=5)))
    in_room = board(demo, dm=False)
    assert "== Waiting now ==\n2 waiting, longest 1:35" in in_room
    assert "1.  •••••••••222 · 1:35" in in_room and "2.  •••••••••444 · 0:20" in in_room
    assert "+34600111222" not in in_room
    assert "1.  +34600111222 · 1:35" in board(demo, dm=True)
    # The buttons come right after what needs action, before the long list of members.
    assert in_room.index("== Waiting now ==") < in_room.index("[Resume: /resume]") \
        < in_room.index("== Queue support ==")


def test_nobody_waiting(chat: Chat, demo: Services) -> None:
    assert "== Waiting now ==\nNobody is waiting." in chat.say("carla", "/queue")


def test_the_pbx_counters_are_shown_when_it_has_them() -> None:
    section = render(LiveQueue(calls=3, waiting=(WaitingCall(1, None, 12.0),), completed=41,
                               abandoned=3, service_level_pct=87.5), full_numbers=False)
    assert section.text == ("3 waiting, longest 0:12 (service level since the PBX's last "
                            "reset 87.5 %; 41 completed, 3 abandoned)")
    assert section.rows == (("1.", "unknown · 0:12"),)
