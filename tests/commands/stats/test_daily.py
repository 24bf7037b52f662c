"""The daily stats broadcast: at the report time, once per day, to the team space."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from commands.core import Reply, Services
from commands.stats.daily import parse_hhmm, send_daily_stats
from integrations.clock import FixedClock
from store.calls.ingest import save_calls
from store.calls.records import CallInfo
from store.db import transaction
from store.messaging.outbox import OutboxMessage
from tests.conftest import T0, Database, make_services, make_settings


def outbox(services: Services) -> list[tuple[str, str, Reply]]:
    with transaction(services.sessions) as session:
        return [(m.key, m.target, Reply.from_dict(m.body))
                for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


@pytest.fixture
def busy(demo: Services) -> Services:
    with transaction(demo.sessions) as session:
        save_calls(session, "sim", [
            CallInfo("a", "support", T0, "answered", answered_at=T0 + timedelta(seconds=8),
                     ended_at=T0 + timedelta(minutes=4), extension="211", wait_seconds=8,
                     talk_seconds=232),
            CallInfo("b", "support", T0 + timedelta(hours=3), "abandoned", wait_seconds=61)],
            region="ES")
    return demo


def test_sent_once_at_the_report_time(busy: Services, clock: FixedClock, db: Database) -> None:
    # The demo's last turn ends at 14:00: the report goes out ten minutes later.
    clock.set(T0.replace(hour=14, minute=9))
    assert send_daily_stats(busy) is None and outbox(busy) == []
    clock.set(T0.replace(hour=14, minute=10))
    assert send_daily_stats(busy) == "daily-stats:2026-11-23"
    clock.advance(timedelta(minutes=1))
    assert send_daily_stats(busy) is None
    replica = make_services(db, busy.settings, clock)  # a second scheduler, same database
    assert send_daily_stats(replica) is None
    [(key, target, reply)] = outbox(busy)
    assert (key, target) == ("daily-stats:2026-11-23", "team")
    assert reply.text == ("Calls today (Mon 23 Nov): 2 offered, 1 answered (50.0 %), "
                          "1 abandoned.")
    assert [s.title for s in reply.sections] == ["Figures", "Calls per hour"]  # no agent rows
    assert reply.sections[-1].image_url and "/charts/" in reply.sections[-1].image_url
    assert not reply.private


def test_the_next_day_gets_its_own_report(busy: Services, clock: FixedClock) -> None:
    clock.set(T0.replace(hour=18, minute=30))
    send_daily_stats(busy)
    clock.set(T0.replace(hour=18, minute=30) + timedelta(days=1))
    save = CallInfo("c", "support", clock.now() - timedelta(hours=1), "abandoned",
                    wait_seconds=30)
    with transaction(busy.sessions) as session:
        save_calls(session, "sim", [save], region="ES")
    assert send_daily_stats(busy) == "daily-stats:2026-11-24"
    assert [key for key, _, _ in outbox(busy)] == ["daily-stats:2026-11-23",
                                                   "daily-stats:2026-11-24"]


def test_the_configured_time_and_days_without_service(demo: Services, db: Database,
                                                       clock: FixedClock) -> None:
    early = make_services(db, make_settings(DATABASE_URL=db.url, DAILY_REPORT_TIME="16:45"),
                          clock)
    saturday = T0 + timedelta(days=5)  # no turns on weekends, and no call either
    clock.set(saturday.replace(hour=16, minute=50))
    assert send_daily_stats(early) is None
    clock.set(T0.replace(hour=16, minute=50))  # a day with turns: reported, even if quiet
    assert send_daily_stats(early) == "daily-stats:2026-11-23"
    christmas = T0.replace(month=12, day=25, hour=16, minute=50)  # a Friday, a holiday
    with transaction(demo.sessions) as session:
        save_calls(session, "sim", [CallInfo("x", "support", christmas - timedelta(hours=2),
                                             "abandoned", wait_seconds=9)], region="ES")
    clock.set(christmas)
    assert send_daily_stats(early) is None
    assert [key for key, _, _ in outbox(early)] == ["daily-stats:2026-11-23"]


def test_report_times_are_read_strictly() -> None:
    assert parse_hhmm("") is None and parse_hhmm(" 18:10 ").minute == 10  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm("6pm")
