"""State of the simulated PBX (shared by every process) and call records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime


class SimMember(Base):
    """A member of a queue of the ``sim`` PBX backend."""

    __tablename__ = "sim_queue_member"
    __table_args__ = (UniqueConstraint("queue", "extension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(64))
    extension: Mapped[str] = mapped_column(String(32))
    # available | ringing | in_call | busy | on_hold | disconnected | unknown
    state: Mapped[str] = mapped_column(String(16), default="available")
    paused: Mapped[bool] = mapped_column(default=False)
    pause_reason: Mapped[str | None] = mapped_column(String(64))
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    calls_taken: Mapped[int] = mapped_column(default=0)
    seconds_in_calls: Mapped[int] = mapped_column(default=0)
    last_call_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The simulated call this member is ringing for or talking on.
    call_id: Mapped[str | None] = mapped_column(String(64))


class CallRecord(Base):
    """One call through a queue: written by the traffic simulator, read by the stats.

    ``outcome``: waiting | ringing | answered (in progress) | completed | abandoned.
    """

    __tablename__ = "call_record"
    __table_args__ = (UniqueConstraint("source", "call_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # sim | areavoip | irontec | asterisk
    call_id: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(64), index=True)
    caller: Mapped[str | None] = mapped_column(String(32))  # E.164
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    # Simulator bookkeeping: when the caller gives up / the talk ends.
    patience_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    talk_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


# ------------------------------------------------------------------------- queries

OPEN_OUTCOMES = ("waiting", "ringing", "answered")


def sim_members(session: Session, queue: str, *, lock: bool = False) -> list[SimMember]:
    """The queue's members by extension; ``lock`` takes their rows (FOR UPDATE) and reloads."""
    query = select(SimMember).where(SimMember.queue == queue).order_by(SimMember.extension)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(query))


def sim_member(session: Session, queue: str, extension: str) -> SimMember | None:
    return session.scalar(select(SimMember).where(
        SimMember.queue == queue, SimMember.extension == extension))


def calls_between(session: Session, source: str, queue: str, start: datetime,
                  end: datetime) -> list[CallRecord]:
    """Calls that entered the queue in [start, end)."""
    return list(session.scalars(
        select(CallRecord)
        .where(CallRecord.source == source, CallRecord.queue == queue,
               CallRecord.entered_at >= start, CallRecord.entered_at < end)
        .order_by(CallRecord.entered_at, CallRecord.id)))


def open_calls(session: Session, source: str, queue: str) -> list[CallRecord]:
    """Calls still waiting, ringing or being answered."""
    return list(session.scalars(
        select(CallRecord)
        .where(CallRecord.source == source, CallRecord.queue == queue,
               CallRecord.outcome.in_(OPEN_OUTCOMES))
        .order_by(CallRecord.entered_at, CallRecord.id)))


def last_call_id(session: Session, source: str, queue: str) -> str | None:
    return session.scalar(
        select(CallRecord.call_id)
        .where(CallRecord.source == source, CallRecord.queue == queue)
        .order_by(CallRecord.entered_at.desc(), CallRecord.id.desc()).limit(1))
