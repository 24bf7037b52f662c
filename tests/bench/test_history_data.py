"""The synthetic history: five closed rows per person and day, inside the day's shift."""

from __future__ import annotations

import random
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from bench.history_data import ROWS_PER_DAY, day_rows, days_before, days_between
from store.queue.activity import PAUSE, SESSION


def test_a_day_is_one_session_with_four_pauses_inside_it_per_person() -> None:
    rows = list(day_rows([1, 2], date(2026, 11, 24), ZoneInfo("Europe/Madrid"), random.Random(3)))
    assert len(rows) == 2 * ROWS_PER_DAY
    for person in (1, 2):
        mine = [r for r in rows if r["person_id"] == person]
        [session] = [r for r in mine if r["kind"] == SESSION]
        pauses = [r for r in mine if r["kind"] == PAUSE]
        assert len(pauses) == ROWS_PER_DAY - 1
        for pause in pauses:
            assert session["started_at"] < pause["started_at"] < pause["ended_at"]
            assert pause["ended_at"] < session["ended_at"]
            assert pause["started_at"].tzinfo == UTC and pause["reason"]
    morning = next(r for r in rows if r["person_id"] == 1)["started_at"]
    afternoon = next(r for r in rows if r["person_id"] == 2)["started_at"]
    assert afternoon - morning > timedelta(hours=5)  # two shifts


def test_days_run_forwards_between_bounds_and_backwards_without_end() -> None:
    assert list(days_between(date(2026, 11, 23), date(2026, 11, 25))) == [
        date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]
    backwards = days_before(date(2026, 11, 22))
    assert [next(backwards) for _ in range(2)] == [date(2026, 11, 22), date(2026, 11, 21)]
