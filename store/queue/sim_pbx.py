"""State of the simulated PBX (shared by every process): queue members and open calls.

The simulator's bookkeeping of a call still in progress lives in ``sim_call`` and is
deleted when the call ends; what the call was (who called, waits, outcome) is a
``call_record`` like every other source's (``store.calls.records``).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import String, UniqueConstraint, select
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


class SimCall(Base):
    """A simulated call still in progress, and when its current phase ends.

    ``phase``: waiting (in the queue) | ringing (a member's phone rings) | talking.
    ``patience_until``: when the caller hangs up unless answered. ``talk_until``: when
    the ring ends in an answer (ringing) or the conversation ends (talking).
    """

    __tablename__ = "sim_call"
    __table_args__ = (UniqueConstraint("queue", "call_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str] = mapped_column(String(32))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    phase: Mapped[str] = mapped_column(String(8))
    extension: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    patience_until: Mapped[datetime] = mapped_column(UTCDateTime)
    talk_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


WAITING, RINGING, TALKING = "waiting", "ringing", "talking"


# ------------------------------------------------------------------------- queries


def sim_members(session: Session, queue: str, *, lock: bool = False) -> list[SimMember]:
    """The queue's members by extension; ``lock`` takes their rows (FOR UPDATE) and reloads."""
    query = select(SimMember).where(SimMember.queue == queue).order_by(SimMember.extension)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(query))


class MemberRow(NamedTuple):
    """What a status read needs of a member (no ORM object: a board of a thousand reads
    them all)."""

    extension: str
    state: str
    paused: bool
    pause_reason: str | None
    paused_since: datetime | None
    calls_taken: int
    seconds_in_calls: int
    last_call_at: datetime | None


def sim_member_rows(session: Session, queue: str) -> list[MemberRow]:
    """The queue's members by extension, as plain rows."""
    query = (select(SimMember.extension, SimMember.state, SimMember.paused,
                    SimMember.pause_reason, SimMember.paused_since, SimMember.calls_taken,
                    SimMember.seconds_in_calls, SimMember.last_call_at)
             .where(SimMember.queue == queue).order_by(SimMember.extension))
    return [MemberRow(*row) for row in session.execute(query)]


def sim_member(session: Session, queue: str, extension: str, *,
               lock: bool = False) -> SimMember | None:
    """One member; ``lock`` holds its row until the transaction ends, so two concurrent
    changes of one member (two /pause at once) are applied one after the other."""
    query = select(SimMember).where(SimMember.queue == queue, SimMember.extension == extension)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def sim_calls(session: Session, queue: str) -> list[SimCall]:
    """The queue's calls in progress, in the order they arrived."""
    return list(session.scalars(select(SimCall).where(SimCall.queue == queue)
                                .order_by(SimCall.entered_at, SimCall.call_id)))
