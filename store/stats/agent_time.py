"""Time in pauses (per reason) and logged in, per person, over a period — added up in SQL.

The landed pause and session log (``agent_activity``) is clipped to the period: a row
that began before it counts from its start, and one still open counts up to the end
given (the caller passes the earlier of the period's end and now).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import extract, func, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from store.base import UTCDateTime
from store.queue.activity import PAUSE, SESSION, Activity, overlap_parts


@dataclass
class AgentTime:
    """One person's pauses per reason (count, seconds) and seconds logged in."""

    pauses: dict[str, tuple[int, float]] = field(default_factory=dict)
    logged_in: float = 0.0
    sessions: int = 0

    @property
    def paused(self) -> float:
        return sum(seconds for _, seconds in self.pauses.values())


def times_query(dialect: str, begin: datetime, end: datetime) -> Select[Any]:
    """Per person, kind and reason: rows overlapping [begin, end) and their clipped seconds.

    The rows come from a UNION ALL of the three disjoint index-served parts of the overlap
    (store.queue.activity.overlap_parts): aggregating over one OR condition lets SQLite walk a
    whole index instead."""
    a = Activity
    rows = union_all(*(select(a.person_id, a.kind, a.reason, a.started_at, a.ended_at)
                       .where(part) for part in overlap_parts(begin, end))).subquery("overlap")
    start = _latest(dialect, rows.c.started_at, literal(begin, UTCDateTime()))
    stop = _earliest(dialect, func.coalesce(rows.c.ended_at, literal(end, UTCDateTime())),
                     literal(end, UTCDateTime()))
    seconds = _seconds_between(dialect, start, stop)
    columns: list[Any] = [rows.c.person_id, rows.c.kind, rows.c.reason,
                          func.count().label("n"), func.sum(seconds).label("seconds")]
    return select(*columns).group_by(rows.c.person_id, rows.c.kind, rows.c.reason)


def agent_times(session: Session, begin: datetime, end: datetime) -> dict[int, AgentTime]:
    """Per person id: pauses by reason and time logged in within [begin, end)."""
    query = times_query(session.get_bind().dialect.name, begin, end)
    totals: dict[int, AgentTime] = defaultdict(AgentTime)
    for row in session.execute(query):
        spent = max(float(row.seconds or 0.0), 0.0)
        entry = totals[row.person_id]
        if row.kind == SESSION:
            entry.logged_in += spent
            entry.sessions += int(row.n)
        elif row.kind == PAUSE:
            reason = row.reason or "no reason"
            count, before = entry.pauses.get(reason, (0, 0.0))
            entry.pauses[reason] = (count + int(row.n), before + spent)
    return dict(totals)


def _latest(dialect: str, a: Any, b: Any) -> ColumnElement[Any]:
    return func.max(a, b) if dialect == "sqlite" else func.greatest(a, b)


def _earliest(dialect: str, a: Any, b: Any) -> ColumnElement[Any]:
    return func.min(a, b) if dialect == "sqlite" else func.least(a, b)


def _seconds_between(dialect: str, start: ColumnElement[Any],
                     stop: ColumnElement[Any]) -> ColumnElement[Any]:
    if dialect == "sqlite":  # ISO text in UTC: julianday reads it, fractions included;
        # its floating point is good to tens of microseconds, so keep milliseconds.
        return func.round((func.julianday(stop) - func.julianday(start)) * 86400.0, 3)
    return extract("epoch", stop - start)
