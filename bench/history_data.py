"""Synthetic pause and session history for ``bench history``: a team's working days.

Each person works one shift a day (even-numbered people from 08:00, odd from 14:00, local
time): a queue session of about eight hours with four pauses in it (a break, a training,
meeting or other, lunch, another break), every start and length jittered by a seeded
random generator. Five rows per person and day, all closed, as years of a helpline's log
look. Rows go in with bulk inserts in one transaction (a benchmark's set-up, never timed).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import islice
from typing import Any, cast

from sqlalchemy import Engine, Table, insert, text

from store.db import optimize
from store.queue.activity import PAUSE, SESSION, Activity

ROWS_PER_DAY = 5  # per person: one session, four pauses
BATCH = 20_000
ACTIVITY = cast(Table, Activity.__table__)
# (minutes after the shift starts, reason, minutes long); None: training, meeting or other
PAUSES: tuple[tuple[int, str | None, int], ...] = (
    (110, "break", 12), (190, None, 25), (290, "lunch", 45), (410, "break", 10))
OCCASIONAL = ("training", "meeting", "other")


def day_rows(person_ids: Sequence[int], day: date, tz: tzinfo,
             rng: random.Random) -> Iterator[dict[str, Any]]:
    """The log rows of one working day of everyone in ``person_ids``."""
    for index, person_id in enumerate(person_ids):
        start = datetime.combine(day, time(8 if index % 2 == 0 else 14), tzinfo=tz)
        start = (start + timedelta(minutes=rng.randint(-10, 10))).astimezone(UTC)
        end = start + timedelta(minutes=480 + rng.randint(-15, 15))
        yield _row(person_id, SESSION, None, start, end, "pbx", None)
        for offset, reason, minutes in PAUSES:
            began = start + timedelta(minutes=offset + rng.randint(0, 20))
            lasted = timedelta(minutes=max(1, minutes + rng.randint(-5, 10)),
                               seconds=rng.randint(0, 59))
            yield _row(person_id, PAUSE, reason or rng.choice(OCCASIONAL), began,
                       began + lasted, "chat", person_id)


def _row(person_id: int, kind: str, reason: str | None, started: datetime, ended: datetime,
         source: str, by_id: int | None) -> dict[str, Any]:
    return {"person_id": person_id, "kind": kind, "reason": reason, "started_at": started,
            "ended_at": ended, "started_by_id": by_id, "ended_by_id": by_id, "source": source,
            "end_note": None, "reminded_at": None, "escalated_at": None}


def days_rows(person_ids: Sequence[int], days: Iterator[date], tz: tzinfo,
              seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for day in days:
        yield from day_rows(person_ids, day, tz, rng)


def days_between(first: date, last: date) -> Iterator[date]:
    """``first`` … ``last``, both included, in order."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def days_before(last: date) -> Iterator[date]:
    """``last``, the day before, and so on back in time."""
    day = last
    while True:
        yield day
        day -= timedelta(days=1)


def bulk_insert(engine: Engine, rows: Iterator[dict[str, Any]], limit: int | None = None) -> int:
    """Insert ``rows`` (at most ``limit``) into the activity log; the number inserted."""
    source = rows if limit is None else islice(rows, limit)
    inserted = 0
    with engine.begin() as conn:
        while chunk := list(islice(source, BATCH)):
            conn.execute(insert(ACTIVITY), chunk)
            inserted += len(chunk)
    return inserted


def analyze(engine: Engine) -> None:
    """Fresh planner statistics, as the product's daily maintenance leaves them: ANALYZE,
    then the product's own ``optimize`` (``PRAGMA optimize`` on SQLite)."""
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    optimize(engine)
