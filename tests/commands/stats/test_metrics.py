"""The metrics on a hand-built day of calls, every figure worked out by hand below.

Monday 23 Nov 2026 (Europe/Madrid), SHORT_ABANDON_SECONDS 5, SERVICE_LEVEL_SECONDS 20:

    call  queue    entered  outcome      wait  talk  wrap  agent
    c1    support  09:00    answered       10   300    30  alice 211
    c2    support  09:10    answered       30   120     -  bruno 212
    c3    support  09:20    abandoned       3     -     -  (short: under 5 s)
    c4    support  09:30    abandoned      40     -     -
    c5    support  10:00    timeout       120     -     -
    c6    support  10:05    transferred    15    60     -  alice 211
    c7    support  10:10    closed          -     -     -
    c8    support  10:15    exit_empty      8     -     -
    c9    support  11:00    exit_key       20     -     -  (pressed a key for sales…)
    c9    sales    11:00:20 answered        5   100     -  chen 213 (…the same call)
    c10   support  23:58    answered      240   600     -  bruno 212 (answered 00:02, Tue)
    c11   support  Tue 00:30 abandoned     50     -     -  (the next day)

support, Monday: received 10 (c1–c10); closed 1; short abandons 1; offered 10 − 1 − 1 = 8.
answered 4 (c1 c2 c6 c10; 1 transferred) → 4/8 = 50.0 %; abandoned 1 (c4) → 12.5 %.
answered within 20 s: c1 (10) and c6 (15) → 2/4 = 50.0 %; inclusive 2/(4 + 1) = 40.0 %.
ASA (10 + 30 + 15 + 240)/4 = 73.75; waits of the 8 offered calls that ended their wait:
10 30 15 240 40 120 8 20 → mean 483/8 = 60.375, longest 240; abandoned after 40.
AHT (300 + 120 + 60 + 600 + 30)/4 = 277.5.

Every queue: + the sales stint: received 11, offered 9, answered 5 → 55.6 %, abandoned
1 → 11.1 %; within 20 s 3/5 = 60.0 %, inclusive 3/6 = 50.0 %; ASA 300/5 = 60.0.

Agents (every queue): alice 2 answered, talk 360, AHT (360 + 30)/2 = 195; bruno 2, talk
720, AHT 360; chen 1, talk 100. Alice logged in at 08:00 and paused (break) at 17:00, both
still open: within Monday that is 16 h logged in and 7 h paused; Bruno paused 10:00–10:15.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commands.core import Services
from commands.stats.card import report_for
from commands.stats.figures import StatsReport
from commands.stats.metrics import Figures
from commands.stats.period import Period, day_period, parse_period
from integrations.clock import FixedClock
from store.calls.ingest import save_calls
from store.calls.records import CallInfo
from store.db import transaction
from store.queue import activity
from store.stats.rollups import Basis, Sums
from store.team import people
from tests.conftest import make_services, make_settings

MADRID = ZoneInfo("Europe/Madrid")
MONDAY = date(2026, 11, 23)


def at(hh: int, mm: int, ss: int = 0, day: date = MONDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=MADRID)


def call(call_id: str, entered: datetime, outcome: str, wait: float | None = None,
         talk: float | None = None, wrap: float | None = None, ext: str | None = None,
         queue: str = "support") -> CallInfo:
    answered = entered + timedelta(seconds=wait or 0) if talk is not None else None
    ended = (answered + timedelta(seconds=talk) if answered is not None and talk is not None
             else entered + timedelta(seconds=wait or 0))
    return CallInfo(call_id, queue, entered, outcome, caller="600111222",
                    answered_at=answered, ended_at=ended, extension=ext, wait_seconds=wait,
                    talk_seconds=talk, wrapup_seconds=wrap)


CALLS = [
    call("c1", at(9, 0), "answered", 10, 300, 30, "211"),
    call("c2", at(9, 10), "answered", 30, 120, None, "212"),
    call("c3", at(9, 20), "abandoned", 3),
    call("c4", at(9, 30), "abandoned", 40),
    call("c5", at(10, 0), "timeout", 120),
    call("c6", at(10, 5), "transferred", 15, 60, None, "211"),
    call("c7", at(10, 10), "closed"),
    call("c8", at(10, 15), "exit_empty", 8),
    call("c9", at(11, 0), "exit_key", 20),
    call("c9", at(11, 0, 20), "answered", 5, 100, None, "213", queue="sales"),
    call("c10", at(23, 58), "answered", 240, 600, None, "212"),
    call("c11", at(0, 30, day=MONDAY + timedelta(days=1)), "abandoned", 50),
]


@pytest.fixture
def day(demo: Services, clock: FixedClock) -> Services:
    with transaction(demo.sessions) as session:
        save_calls(session, "asterisk", CALLS, region="ES")
        alice = people.by_key(session, "alice")
        bruno = people.by_key(session, "bruno")
        assert alice and bruno
        activity.start(session, alice.id, activity.SESSION, at(8, 0), source="pbx")
        activity.start(session, alice.id, activity.PAUSE, at(17, 0), reason="break")
        pause = activity.start(session, bruno.id, activity.PAUSE, at(10, 0), reason="break")
        activity.finish(pause, at(10, 15))
    clock.set(at(9, 0, day=MONDAY + timedelta(days=1)))
    return demo


def monday(services: Services, queue: str | None = None, **kwargs: bool) -> StatsReport:
    period = day_period(MONDAY, MADRID, services.clock.now())
    return report_for(services, period, queue, **kwargs)


def test_one_queue_worked_out_by_hand(day: Services) -> None:
    f = monday(day, "support").figures
    assert (f.received, f.offered, f.answered, f.transferred, f.abandoned, f.short_abandons,
            f.timeouts, f.exit_empty, f.exit_key, f.full, f.closed) == (
        10, 8, 4, 1, 1, 1, 1, 1, 1, 0, 1)
    assert f.answered_rate_pct == 50.0 and f.abandon_rate_pct == 12.5
    assert f.service_level_pct == 50.0 and f.service_level_inclusive_pct == 40.0
    assert f.asa_seconds == 73.75
    assert f.mean_wait_seconds == 60.375 and f.max_wait_seconds == 240.0
    assert f.mean_abandon_wait_seconds == 40.0
    assert f.aht_seconds == 277.5
    headline = {k: f.to_json()[k] for k in (
        "offered", "answered", "abandoned", "short_abandons", "timeouts", "asa_seconds",
        "service_level_pct", "service_level_inclusive_pct", "aht_seconds",
        "abandon_rate_pct", "answered_rate_pct")}
    assert headline == {"offered": 8, "answered": 4, "abandoned": 1, "short_abandons": 1,
                        "timeouts": 1, "asa_seconds": 73.8, "service_level_pct": 50.0,
                        "service_level_inclusive_pct": 40.0, "aht_seconds": 277.5,
                        "abandon_rate_pct": 12.5, "answered_rate_pct": 50.0}


def test_a_call_in_two_queues_counts_in_each(day: Services) -> None:
    assert monday(day, "sales").figures.answered == 1
    every = monday(day).figures
    assert (every.received, every.offered, every.answered, every.abandoned) == (11, 9, 5, 1)
    assert round(every.answered_rate_pct or 0, 1) == 55.6
    assert round(every.abandon_rate_pct or 0, 1) == 11.1
    assert every.service_level_pct == 60.0 and every.service_level_inclusive_pct == 50.0
    assert every.asa_seconds == 60.0
    assert monday(day).queues == ("sales", "support")


def test_a_call_counts_on_the_day_it_entered(day: Services) -> None:
    tuesday = day_period(MONDAY + timedelta(days=1), MADRID, day.clock.now())
    f = report_for(day, tuesday, "support").figures
    assert (f.received, f.abandoned, f.answered) == (1, 1, 0)  # c11 only; c10 is Monday's


def test_agents_calls_pauses_and_time_logged_in(day: Services) -> None:
    rows = {r.key: r for r in monday(day).agents}
    assert set(rows) == {"alice", "bruno", "chen"}
    alice, bruno, chen = rows["alice"], rows["bruno"], rows["chen"]
    assert (alice.figures.answered, alice.figures.talk_seconds, alice.figures.aht_seconds) == (
        2, 360.0, 195.0)
    assert (bruno.figures.answered, bruno.figures.talk_seconds, bruno.figures.aht_seconds) == (
        2, 720.0, 360.0)
    assert (chen.figures.answered, chen.figures.talk_seconds) == (1, 100.0)
    # Alice's pause and session are still open: they count up to the end of Monday.
    assert alice.time.pauses == {"break": (1, 7 * 3600.0)}
    assert alice.time.logged_in == 16 * 3600.0
    assert bruno.time.pauses == {"break": (1, 900.0)} and bruno.time.logged_in == 0.0
    # Today, with the clock at 09:00: Alice's open rows count up to now only.
    today = report_for(day, parse_period("today", day.clock.now(), MADRID), None)
    alice_today = next(r for r in today.agents if r.key == "alice")
    assert alice_today.time.logged_in == 9 * 3600.0
    assert alice_today.time.pauses == {"break": (1, 9 * 3600.0)}


def test_hours_that_are_not_whole_are_read_from_the_records(day: Services) -> None:
    # 09:15–10:12: c4 (09:30) from the records, the whole hour… none; c5 c6 c7 from records.
    period = Period(at(9, 15), at(10, 12), "a slice", MONDAY, MONDAY)
    f = report_for(day, period, "support").figures
    assert (f.received, f.abandoned, f.timeouts, f.answered, f.closed) == (5, 1, 1, 1, 1)
    assert f.short_abandons == 1  # c3 at 09:20
    # 09:00–11:00 is two whole hours: the rollups alone give the same classification.
    whole = report_for(day, Period(at(9, 0), at(11, 0), "two hours", MONDAY, MONDAY),
                       "support").figures
    assert (whole.received, whole.answered, whole.abandoned, whole.short_abandons) == (
        8, 3, 1, 1)


def test_hourly_figures_are_in_local_hours(day: Services) -> None:
    hourly = dict(monday(day, "support", hourly=True).hourly)
    assert [h.hour for h in hourly] == [9, 10, 11, 23]
    assert hourly[at(9, 0)].received == 4 and hourly[at(23, 0)].answered == 1


def test_new_thresholds_rebuild_the_figures(day: Services, db: object) -> None:
    settings = make_settings(DATABASE_URL=day.settings.database_url,  # type: ignore[attr-defined]
                             SHORT_ABANDON_SECONDS="0", SERVICE_LEVEL_SECONDS="30")
    strict = make_services(db, settings, day.clock)  # type: ignore[arg-type]
    f = monday(strict, "support").figures
    assert (f.short_abandons, f.abandoned, f.offered) == (0, 2, 9)
    assert f.service_level_pct == 75.0  # c1, c2 and c6 within 30 s
    assert (f.service_level_seconds, f.short_abandon_seconds) == (30, 0)
    back = monday(day, "support").figures  # and back again
    assert (back.short_abandons, back.service_level_pct) == (1, 50.0)


def test_no_calls_means_no_ratios() -> None:
    f = Figures.of(Sums(), Basis())
    assert (f.offered, f.answered_rate_pct, f.service_level_pct, f.asa_seconds,
            f.aht_seconds, f.max_wait_seconds) == (0, None, None, None, None, None)
