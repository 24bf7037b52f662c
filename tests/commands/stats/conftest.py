"""The day of calls the /stats tests read: five calls in support (one abandoned), one in
sales, one the day before; Bruno paused 45 minutes for lunch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commands.core import Services
from integrations.clock import FixedClock
from store.calls.ingest import save_calls
from store.calls.records import CallInfo
from store.db import transaction
from store.queue import activity
from store.team import people
from tests.conftest import T0


def answered(call_id: str, minutes: int, ext: str, wait: float = 10, talk: float = 120,
             queue: str = "support") -> CallInfo:
    entered = T0 + timedelta(minutes=minutes)
    return CallInfo(call_id, queue, entered, "answered", caller="600111222",
                    answered_at=entered + timedelta(seconds=wait),
                    ended_at=entered + timedelta(seconds=wait + talk), extension=ext,
                    wait_seconds=wait, talk_seconds=talk)


@pytest.fixture
def calls(demo: Services, clock: FixedClock) -> Services:
    with transaction(demo.sessions) as session:
        save_calls(session, "sim", [
            answered("a1", 0, "211"), answered("a2", 10, "211", wait=40),
            answered("b1", 20, "212", talk=300),
            CallInfo("x1", "support", T0 + timedelta(minutes=30), "abandoned",
                     wait_seconds=50),
            answered("y1", -24 * 60, "212"),  # yesterday
            answered("s1", 40, "213", queue="sales"),
        ], region="ES")
        bruno = people.by_key(session, "bruno")
        assert bruno is not None
        pause = activity.start(session, bruno.id, activity.PAUSE, T0, reason="lunch")
        activity.finish(pause, T0 + timedelta(minutes=45))
    clock.advance(timedelta(hours=2))
    return demo
