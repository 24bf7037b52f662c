"""What the clock-driven jobs remember: which (job, slot) ran, offline episodes, and the
revocation version of each person's calendar feed.

A clock job claims its slot by inserting ``(job, slot)``; the unique constraint makes a
second scheduler, a retry through ``POST /tasks/<job>`` or a restart lose that race, so
the slot's work is done once wherever it is triggered from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime

CLAIMED, DONE, FAILED, SKIPPED = "claimed", "done", "failed", "skipped"


class ClockRun(Base):
    __tablename__ = "clock_run"
    __table_args__ = (UniqueConstraint("job", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    slot: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), default=CLAIMED)
    detail: Mapped[str | None] = mapped_column(Text)


class OfflineEpisode(Base):
    """An agent on turn seen disconnected: from when, whether it was reported, when it ended."""

    __tablename__ = "offline_episode"
    __table_args__ = (Index("ix_offline_episode_open", "ended_at", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CalendarFeed(Base):
    """The version a person's calendar token must carry; revoking bumps it."""

    __tablename__ = "calendar_feed"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --------------------------------------------------------------------------- clock runs


def claim_slot(session: Session, job: str, slot: datetime, now: datetime,
               outcome: str = CLAIMED) -> ClockRun | None:
    """The new run row, or None when (job, slot) was claimed already (by anyone)."""
    row = ClockRun(job=job[:64], slot=slot, claimed_at=now, outcome=outcome)
    try:
        with session.begin_nested():
            session.add(row)
        return row
    except IntegrityError:
        return None


def finish_slot(session: Session, run_id: int, now: datetime, outcome: str,
                detail: str | None = None) -> None:
    row = session.get(ClockRun, run_id)
    if row is not None:
        row.finished_at = now
        row.outcome = outcome
        row.detail = detail[:4000] if detail else None
        session.flush()


def last_slot(session: Session, job: str) -> datetime | None:
    query = select(ClockRun.slot).where(ClockRun.job == job).order_by(
        ClockRun.slot.desc()).limit(1)
    return session.scalar(query)


def first_claim(session: Session) -> datetime | None:
    """When any clock job first claimed a slot on this database (None: never)."""
    return session.scalar(select(func.min(ClockRun.claimed_at)))


def runs(session: Session, job: str, since: datetime) -> list[ClockRun]:
    query = (select(ClockRun).where(ClockRun.job == job, ClockRun.slot >= since)
             .order_by(ClockRun.slot))
    return list(session.scalars(query))


# --------------------------------------------------------------------------- offline


def open_episodes(session: Session) -> dict[int, OfflineEpisode]:
    query = select(OfflineEpisode).where(OfflineEpisode.ended_at.is_(None))
    return {row.person_id: row for row in session.scalars(query)}


# --------------------------------------------------------------------------- calendar


def feed_version(session: Session, person_id: int) -> int:
    row = session.get(CalendarFeed, person_id)
    return row.version if row else 0


def revoke_feed(session: Session, person_id: int, now: datetime) -> int:
    """Invalidate every link handed out so far; returns the new version."""
    row = session.get(CalendarFeed, person_id, with_for_update=True)
    if row is None:
        row = CalendarFeed(person_id=person_id, version=0)
        session.add(row)
    row.version += 1
    row.revoked_at = now
    session.flush()
    return row.version
