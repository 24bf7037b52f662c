"""Call records: every call through a queue, whoever told us about it, in one table.

A row is one stint of one call in one queue, keyed by (source, call id, queue): a call
that passes through two queues has a row in each and counts in each. Every source
writes through ``save_calls`` — the traffic simulator, the queue_log import, the PBX
backends' call records, the signed PBX webhook — and it is an upsert: saving the same
facts twice changes nothing. Each save refreshes the hourly rollups
(``store.stats.rollups``) of the hours it touched, in the same transaction.

Outcomes: ``waiting`` while the caller is still in the queue; then ``answered``
(``ended_at`` empty while the conversation goes on), ``transferred`` (answered, then
transferred by the agent), ``abandoned`` (the caller hung up waiting), ``timeout`` (the
queue's time limit), ``exit_empty`` (no agent could take it), ``exit_key`` (the caller
left with a key, or the dialplan withdrew it), ``full`` (the queue refused it: full or
diverted) and ``closed`` (outside opening hours). Callers are kept in E.164 or not at
all; the dialled number in E.164 when it is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint, and_, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql import Select

from store.base import Base, UTCDateTime

WAITING = "waiting"
ANSWERED, TRANSFERRED, ABANDONED, TIMEOUT = "answered", "transferred", "abandoned", "timeout"
EXIT_EMPTY, EXIT_KEY, FULL, CLOSED = "exit_empty", "exit_key", "full", "closed"
FINAL_OUTCOMES = (ANSWERED, TRANSFERRED, ABANDONED, TIMEOUT, EXIT_EMPTY, EXIT_KEY, FULL, CLOSED)
OUTCOMES = (WAITING, *FINAL_OUTCOMES)
_OUTCOME_SET = frozenset(OUTCOMES)
ANSWERED_OUTCOMES = (ANSWERED, TRANSFERRED)
# Who wrote a record: the simulator, a PBX backend's call records or queue_log (asterisk),
# or the signed webhook.
SOURCES = ("sim", "areavoip", "irontec", "asterisk", "webhook")

CALL_ID_MAX = 128
CHUNK = 500  # keys per IN (...) lookup


class CallRecord(Base):
    __tablename__ = "call_record"
    __table_args__ = (
        UniqueConstraint("source", "call_id", "queue"),
        Index("ix_call_record_period", "queue", "entered_at"),
        Index("ix_call_record_agent", "extension", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[str] = mapped_column(String(CALL_ID_MAX))
    queue: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str | None] = mapped_column(String(32))  # E.164
    dialled: Mapped[str | None] = mapped_column(String(32))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension: Mapped[str | None] = mapped_column(String(32))  # the agent who answered
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(16))
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    wrapup_seconds: Mapped[float | None] = mapped_column(Float)


class CallInfo(NamedTuple):
    """One call's stint in one queue, as a source reports it (the write and read shape).

    ``caller`` and ``dialled`` may be in any form the PBX uses; ``save_calls`` keeps them
    in E.164. Waits and talk are in seconds; None when the source does not say. A named
    tuple: imports build hundreds of thousands of them.
    """

    call_id: str
    queue: str
    entered_at: datetime
    outcome: str
    caller: str | None = None
    dialled: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    extension: str | None = None
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    wrapup_seconds: float | None = None


@dataclass
class SaveReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    hours: set[tuple[str, datetime]] = field(default_factory=set)  # (queue, UTC hour) touched

    def add(self, other: SaveReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.hours |= other.hours

    def summary(self) -> str:
        return f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged"


def hour_of(when: datetime) -> datetime:
    """The start of the UTC hour ``when`` falls in (the rollups' bucket)."""
    return when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


# The times a call may have: from the epoch (a PBX's clock) to the end of the century.
# Anything later is a misread number (a year 5138), not a call.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
YEARS = "the years 1970 to 2099"


def plausible(when: datetime) -> bool:
    """Whether an aware time lies in the years a call can have (1970 to 2099)."""
    return EARLIEST <= when < LATEST


def check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")


def check(call: CallInfo) -> None:
    """ValueError naming what is wrong with a call a source hands over."""
    if call.outcome not in _OUTCOME_SET:
        raise ValueError(f"call {call.call_id}: outcome must be one of {', '.join(OUTCOMES)}, "
                         f"not {call.outcome!r}")
    if (call.entered_at.tzinfo is None
            or (call.answered_at is not None and call.answered_at.tzinfo is None)
            or (call.ended_at is not None and call.ended_at.tzinfo is None)):
        raise ValueError(f"call {call.call_id}: its times must be timezone-aware")
    if not all(plausible(t) for t in (call.entered_at, call.answered_at, call.ended_at)
               if t is not None):
        raise ValueError(f"call {call.call_id}: its times must lie in {YEARS}")
    if not 0 < len(call.call_id) <= CALL_ID_MAX:
        raise ValueError(f"call id must be 1 to {CALL_ID_MAX} characters: {call.call_id[:40]!r}")
    if not 0 < len(call.queue) <= 64:
        raise ValueError(f"call {call.call_id}: queue must be 1 to 64 characters")


# ------------------------------------------------------------------------- reading


def to_info(row: CallRecord) -> CallInfo:
    return CallInfo(
        call_id=row.call_id, queue=row.queue, entered_at=row.entered_at, outcome=row.outcome,
        caller=row.caller, dialled=row.dialled, answered_at=row.answered_at,
        ended_at=row.ended_at, extension=row.extension, wait_seconds=row.wait_seconds,
        talk_seconds=row.talk_seconds, wrapup_seconds=row.wrapup_seconds)


def between_query(source: str, queue: str, start: datetime,
                  end: datetime) -> Select[CallRecord]:
    return (select(CallRecord)
            .where(CallRecord.queue == queue, CallRecord.entered_at >= start,
                   CallRecord.entered_at < end, CallRecord.source == source)
            .order_by(CallRecord.entered_at, CallRecord.id))


def calls_between(session: Session, source: str, queue: str, start: datetime,
                  end: datetime) -> list[CallInfo]:
    """One source's calls that entered ``queue`` in [start, end), in order."""
    return [to_info(r) for r in session.scalars(between_query(source, queue, start, end))]


def last_answered_by(session: Session, source: str, extension: str,
                     at: datetime) -> CallInfo | None:
    """The agent's call that ended last at or before ``at`` (wrap-up follows it)."""
    row = session.scalar(last_answered_query(source, extension, at))
    return to_info(row) if row is not None else None


def last_answered_query(source: str, extension: str,
                        at: datetime) -> Select[CallRecord]:
    return (select(CallRecord)
            .where(CallRecord.extension == extension, CallRecord.ended_at <= at,
                   CallRecord.source == source)
            .order_by(CallRecord.ended_at.desc()).limit(1))


# A call waits and talks minutes, not days: how far back a restart looks for open calls.
OPEN_HORIZON = timedelta(days=1)


def open_calls(session: Session, source: str, at: datetime) -> list[CallInfo]:
    """One source's calls that entered in the day up to ``at`` and had not ended by
    then: still waiting, or answered with no end (a restart of the PBX ends them)."""
    return [to_info(r) for r in session.scalars(open_calls_query(source, at))]


def open_calls_query(source: str, at: datetime) -> Select[CallRecord]:
    return (select(CallRecord)
            .where(CallRecord.entered_at >= at - OPEN_HORIZON, CallRecord.entered_at <= at,
                   CallRecord.source == source,
                   or_(CallRecord.outcome == WAITING,
                       and_(CallRecord.outcome.in_(ANSWERED_OUTCOMES),
                            CallRecord.ended_at.is_(None))))
            .order_by(CallRecord.entered_at, CallRecord.id))


def last_call_id(session: Session, source: str, queue: str) -> str | None:
    """The id of the call that entered ``queue`` last (the simulator numbers after it)."""
    return session.scalar(last_call_query(source, queue))


def last_call_query(source: str, queue: str) -> Select[str]:
    return (select(CallRecord.call_id)
            .where(CallRecord.queue == queue, CallRecord.source == source)
            .order_by(CallRecord.entered_at.desc()).limit(1))
