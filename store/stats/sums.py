"""Reading the call figures' sums for a period: whole hours from the rollups, the rest
from the records, with the one classification of ``store.stats.rollups.aggregates``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from store.calls.records import CallRecord, hour_of
from store.stats.rollups import (
    COUNTERS,
    HOUR,
    TOTALS,
    Basis,
    CallStatsHour,
    Sums,
    aggregates,
    stored_basis,
)

GROUPINGS = (None, "agent", "hour", "queue")


def period_sums(session: Session, begin: datetime, end: datetime, *, queue: str | None = None,
                by: str | None = None) -> dict[Any, Sums]:
    """Sums of the calls that entered in [begin, end), by nothing (key None), agent
    (the answering extension, "" for none), UTC hour, or queue."""
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}, not {by!r}")
    basis = stored_basis(session) or Basis()
    first = _ceil_hour(begin)
    last = hour_of(end)
    result: dict[Any, Sums] = {}

    def merge(found: dict[Any, Sums]) -> None:
        for key, sums in found.items():
            result[key] = result[key] + sums if key in result else sums

    if first < last:
        merge(_from_rollups(session, first, last, queue, by))
        edges = [(begin, first), (last, end)]
    else:
        edges = [(begin, end)]
    for start, stop in edges:
        if start < stop:
            merge(_from_records(session, start, stop, queue, by, basis))
    return result


def _ceil_hour(when: datetime) -> datetime:
    floor = hour_of(when)
    return floor if floor == when else floor + HOUR


def rollup_query(first: datetime, last: datetime, queue: str | None,
                 by: str | None) -> Select[Any]:
    """The rollups' sums over whole UTC hours [first, last), grouped ``by``."""
    h = CallStatsHour
    options: dict[str | None, list[Any]] = {None: [], "agent": [h.extension], "hour": [h.hour],
                                            "queue": [h.queue]}
    keys = options[by]
    sums = [func.sum(getattr(h, name)).label(name) for name in (*COUNTERS, *TOTALS)]
    query = (select(*[k.label("key") for k in keys], *sums,
                    func.max(h.wait_max).label("wait_max"),
                    func.max(h.person_id).label("person_id"))
             .where(h.hour >= first, h.hour < last))
    if queue is not None:
        query = query.where(h.queue == queue)
    return query.group_by(*keys) if keys else query


def _from_rollups(session: Session, first: datetime, last: datetime, queue: str | None,
                  by: str | None) -> dict[Any, Sums]:
    query = rollup_query(first, last, queue, by)
    return {(row["key"] if by else None): Sums.from_row(row)
            for row in session.execute(query).mappings() if row["received"]}


def record_query(start: datetime, stop: datetime, queue: str | None, by: str | None,
                 basis: Basis) -> Select[Any]:
    """The same sums straight from the records entered in [start, stop)."""
    r = CallRecord
    options: dict[str | None, list[Any]] = {None: [], "agent": [func.coalesce(r.extension, "")],
                                            "hour": [], "queue": [r.queue]}
    keys = options[by]
    definitions = aggregates(basis)
    query = (select(*[k.label("key") for k in keys],
                    *[expr.label(name) for name, expr in definitions.items()],
                    func.max(r.person_id).label("person_id"))
             .where(r.entered_at >= start, r.entered_at < stop))
    if queue is not None:
        query = query.where(r.queue == queue)
    return query.group_by(*keys) if keys else query


def _from_records(session: Session, start: datetime, stop: datetime, queue: str | None,
                  by: str | None, basis: Basis) -> dict[Any, Sums]:
    found: dict[Any, Sums] = {}
    for row in session.execute(record_query(start, stop, queue, by, basis)).mappings():
        if not row["received"]:
            continue
        key = row["key"] if by in ("agent", "queue") else (
            hour_of(start) if by == "hour" else None)
        found[key] = Sums.from_row(row)
    return found
