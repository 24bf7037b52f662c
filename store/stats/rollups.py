"""Hourly rollups of the call records: the figures' raw material, kept at every write.

``call_stats_hour`` holds, per queue, UTC hour and answering extension, the counts and
sums every metric is made of (``Sums``). The classification of a call — what counts as
a short abandon, as answered within the service level — is written once, in
``aggregates``, and used both to build the rollups and to read the few minutes of a
period that do not fill a whole hour straight from ``call_record``. So a month costs a
few thousand rollup rows, not hundreds of thousands of calls.

The thresholds a rollup was built with are stored (``call_stats_basis``); readers check
them against the settings and rebuild everything when they differ (``rebuild``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Float,
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from store.base import Base, UTCDateTime
from store.calls.records import (
    ABANDONED,
    ANSWERED_OUTCOMES,
    CLOSED,
    EXIT_EMPTY,
    EXIT_KEY,
    FULL,
    TIMEOUT,
    TRANSFERRED,
    WAITING,
    CallRecord,
    hour_of,
)
from store.db import one_at_a_time

HOUR = timedelta(hours=1)
# pg_advisory_xact_lock key of the call-record writers ("SWB-CALL" in ASCII).
WRITERS_LOCK = 0x5357_422D_4341_4C4C


@dataclass(frozen=True)
class Basis:
    """The thresholds the figures are classified with."""

    short_abandon_seconds: int = 5
    service_level_seconds: int = 20


class CallStatsBasis(Base):
    __tablename__ = "call_stats_basis"

    id: Mapped[int] = mapped_column(primary_key=True)
    short_abandon_seconds: Mapped[int] = mapped_column()
    service_level_seconds: Mapped[int] = mapped_column()


# The additive counters and sums of one group of calls (see docs/statistics.md).
COUNTERS = ("received", "answered", "transferred", "abandoned", "short_abandons", "timeouts",
            "exit_empty", "exit_key", "full", "closed", "waiting", "answered_in_sl",
            "answered_timed", "abandoned_timed", "waited", "handled")
TOTALS = ("answered_wait_sum", "abandoned_wait_sum", "wait_sum", "talk_sum", "wrapup_sum")


class CallStatsHour(Base):
    __tablename__ = "call_stats_hour"
    __table_args__ = (UniqueConstraint("queue", "hour", "extension"),
                      Index("ix_call_stats_hour_hour", "hour"))

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(64))
    hour: Mapped[datetime] = mapped_column(UTCDateTime)
    extension: Mapped[str] = mapped_column(String(32))  # "" for calls nobody answered
    person_id: Mapped[int | None] = mapped_column(Integer)
    received: Mapped[int] = mapped_column()
    answered: Mapped[int] = mapped_column()
    transferred: Mapped[int] = mapped_column()
    abandoned: Mapped[int] = mapped_column()
    short_abandons: Mapped[int] = mapped_column()
    timeouts: Mapped[int] = mapped_column()
    exit_empty: Mapped[int] = mapped_column()
    exit_key: Mapped[int] = mapped_column()
    full: Mapped[int] = mapped_column()
    closed: Mapped[int] = mapped_column()
    waiting: Mapped[int] = mapped_column()
    answered_in_sl: Mapped[int] = mapped_column()
    answered_timed: Mapped[int] = mapped_column()
    abandoned_timed: Mapped[int] = mapped_column()
    waited: Mapped[int] = mapped_column()
    handled: Mapped[int] = mapped_column()
    answered_wait_sum: Mapped[float] = mapped_column(Float)
    abandoned_wait_sum: Mapped[float] = mapped_column(Float)
    wait_sum: Mapped[float] = mapped_column(Float)
    talk_sum: Mapped[float] = mapped_column(Float)
    wrapup_sum: Mapped[float] = mapped_column(Float)
    wait_max: Mapped[float | None] = mapped_column(Float)


@dataclass
class Sums:
    """Counters and sums of a group of calls; added together across hours and agents."""

    received: int = 0
    answered: int = 0
    transferred: int = 0
    abandoned: int = 0
    short_abandons: int = 0
    timeouts: int = 0
    exit_empty: int = 0
    exit_key: int = 0
    full: int = 0
    closed: int = 0
    waiting: int = 0
    answered_in_sl: int = 0
    answered_timed: int = 0
    abandoned_timed: int = 0
    waited: int = 0
    handled: int = 0
    answered_wait_sum: float = 0.0
    abandoned_wait_sum: float = 0.0
    wait_sum: float = 0.0
    talk_sum: float = 0.0
    wrapup_sum: float = 0.0
    wait_max: float | None = None
    person_id: int | None = None  # by agent: the answering extension's person

    def __add__(self, other: Sums) -> Sums:
        merged = Sums(**{name: getattr(self, name) + getattr(other, name)
                         for name in (*COUNTERS, *TOTALS)})
        maxima = [m for m in (self.wait_max, other.wait_max) if m is not None]
        merged.wait_max = max(maxima) if maxima else None
        merged.person_id = self.person_id if self.person_id is not None else other.person_id
        return merged

    @classmethod
    def from_row(cls, row: Any) -> Sums:
        values: dict[str, Any] = {name: int(row[name] or 0) for name in COUNTERS}
        values |= {name: float(row[name] or 0.0) for name in TOTALS}
        wait_max = row["wait_max"]
        person = row.get("person_id")
        return cls(**values, wait_max=None if wait_max is None else float(wait_max),
                   person_id=None if person is None else int(person))


assert {f.name for f in fields(Sums)} == {*COUNTERS, *TOTALS, "wait_max", "person_id"}


# ------------------------------------------------------------------------- definitions


def aggregates(basis: Basis) -> dict[str, ColumnElement[Any]]:
    """Each counter and sum as an SQL aggregate over ``call_record``: the one definition."""
    r = CallRecord
    wait = r.wait_seconds
    answered = r.outcome.in_(ANSWERED_OUTCOMES)
    short = and_(r.outcome == ABANDONED, wait.is_not(None),
                 wait < basis.short_abandon_seconds)
    abandoned = and_(r.outcome == ABANDONED,
                     or_(wait.is_(None), wait >= basis.short_abandon_seconds))
    # Waits that count: every call offered to an agent whose wait is known.
    counted = and_(wait.is_not(None), r.outcome.not_in((CLOSED, FULL, WAITING)),
                   or_(r.outcome != ABANDONED, wait >= basis.short_abandon_seconds))

    def count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((condition, 1), else_=0))

    def total(condition: ColumnElement[bool], value: Any) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, value), else_=None)), 0.0)

    return {
        "received": func.count(),
        "answered": count(answered),
        "transferred": count(r.outcome == TRANSFERRED),
        "abandoned": count(abandoned),
        "short_abandons": count(short),
        "timeouts": count(r.outcome == TIMEOUT),
        "exit_empty": count(r.outcome == EXIT_EMPTY),
        "exit_key": count(r.outcome == EXIT_KEY),
        "full": count(r.outcome == FULL),
        "closed": count(r.outcome == CLOSED),
        "waiting": count(r.outcome == WAITING),
        "answered_in_sl": count(and_(answered, wait <= basis.service_level_seconds)),
        "answered_timed": count(and_(answered, wait.is_not(None))),
        "abandoned_timed": count(and_(abandoned, wait.is_not(None))),
        "waited": count(counted),
        "handled": count(and_(answered, r.talk_seconds.is_not(None))),
        "answered_wait_sum": total(answered, wait),
        "abandoned_wait_sum": total(abandoned, wait),
        "wait_sum": total(counted, wait),
        "talk_sum": total(answered, r.talk_seconds),
        "wrapup_sum": total(answered, r.wrapup_seconds),
        "wait_max": func.max(case((counted, wait), else_=None)),
    }


# ------------------------------------------------------------------------- keeping them


def lock_writers(session: Session) -> None:
    """Serialise call-record writers until the transaction ends (PostgreSQL; SQLite's
    BEGIN IMMEDIATE already does)."""
    one_at_a_time(session, WRITERS_LOCK)


def stored_basis(session: Session) -> Basis | None:
    row = session.get(CallStatsBasis, 1)
    return None if row is None else Basis(row.short_abandon_seconds, row.service_level_seconds)


def refresh(session: Session, hours: Iterable[tuple[str, datetime]]) -> None:
    """Rebuild the rollup rows of these (queue, UTC hour) buckets from the records."""
    wanted = sorted(set(hours))
    if not wanted:
        return
    basis = stored_basis(session)
    if basis is None:
        basis = Basis()
        session.add(CallStatsBasis(id=1, short_abandon_seconds=basis.short_abandon_seconds,
                                   service_level_seconds=basis.service_level_seconds))
        session.flush()
    definitions = aggregates(basis)
    names = list(definitions)
    h = CallStatsHour
    by_queue: dict[str, list[datetime]] = {}
    for queue, hour in wanted:
        by_queue.setdefault(queue, []).append(hour)
    for queue, hours_of_queue in by_queue.items():  # one DELETE per queue and 500 hours
        for start in range(0, len(hours_of_queue), 500):
            session.execute(delete(h).where(h.queue == queue,
                                            h.hour.in_(hours_of_queue[start:start + 500])))
    for queue, hour in wanted:
        session.execute(insert(h).from_select(
            ["queue", "hour", "extension", "person_id", *names],
            hour_query(queue, hour, definitions)))


def hour_query(queue: str, hour: datetime,
               definitions: dict[str, ColumnElement[Any]]) -> Select[Any]:
    """One hour of one queue's records, summed per answering extension (a rollup's rows)."""
    extension = func.coalesce(CallRecord.extension, "")
    return (select(literal(queue, String()), literal(hour, UTCDateTime()), extension,
                   func.max(CallRecord.person_id), *definitions.values())
            .where(CallRecord.queue == queue, CallRecord.entered_at >= hour,
                   CallRecord.entered_at < hour + HOUR)
            .group_by(extension))


def rebuild(session: Session, basis: Basis) -> int:
    """Every rollup again with new thresholds; returns the number of hours rebuilt."""
    lock_writers(session)
    row = session.get(CallStatsBasis, 1)
    if row is None:
        session.add(CallStatsBasis(id=1, short_abandon_seconds=basis.short_abandon_seconds,
                                   service_level_seconds=basis.service_level_seconds))
    else:
        row.short_abandon_seconds = basis.short_abandon_seconds
        row.service_level_seconds = basis.service_level_seconds
    session.flush()
    session.execute(delete(CallStatsHour))
    hours: set[tuple[str, datetime]] = set()
    for queue in session.scalars(select(CallRecord.queue).distinct()):
        first, last = session.execute(
            select(func.min(CallRecord.entered_at), func.max(CallRecord.entered_at))
            .where(CallRecord.queue == queue)).one()
        hour = hour_of(first)
        while hour <= last:
            hours.add((queue, hour))
            # The next hour that has a call (one index probe): a queue with a stray old
            # record is not walked hour by hour across the empty years in between.
            following = session.scalar(select(func.min(CallRecord.entered_at)).where(
                CallRecord.queue == queue, CallRecord.entered_at >= hour + HOUR))
            if following is None:
                break
            hour = hour_of(following)
    refresh(session, hours)
    return len(hours)
