"""Live alerts' memory: one episode per condition seen, and the coordinators' mutes.

An episode is one stretch of a condition (an agent letting calls ring out, the queue
under pressure, the service level below target, nobody in the queue) for one scope (a
person's key, a turn): when it started, how many times it was seen, when it was told
and when it ended. Messages are keyed by episode, so two schedulers or two replicas
never tell the same thing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime


class AlertEpisode(Base):
    __tablename__ = "alert_episode"
    __table_args__ = (Index("ix_alert_episode_open", "rule", "scope", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(24))
    scope: Mapped[str] = mapped_column(String(120))  # person key, turn start, "queue"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(default=0)  # times seen (ring-no-answer: calls)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(String(500))


class AlertMute(Base):
    """A coordinator silenced the alerts to the coordinators and the team until ``until``."""

    __tablename__ = "alert_mute"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def open_episode(session: Session, rule: str, scope: str) -> AlertEpisode | None:
    """The open episode of ``rule`` for ``scope``, locked for the caller's change."""
    return session.scalar(
        select(AlertEpisode)
        .where(AlertEpisode.rule == rule, AlertEpisode.ended_at.is_(None),
               AlertEpisode.scope == scope)
        .with_for_update().execution_options(populate_existing=True))


def open_episodes(session: Session, rule: str) -> list[AlertEpisode]:
    return list(session.scalars(
        select(AlertEpisode)
        .where(AlertEpisode.rule == rule, AlertEpisode.ended_at.is_(None))
        .order_by(AlertEpisode.id)))


def seen_in(session: Session, rule: str, scope: str) -> bool:
    """Whether ``rule`` had any episode, open or ended, for ``scope`` (once per turn)."""
    return session.scalar(select(AlertEpisode.id).where(
        AlertEpisode.rule == rule, AlertEpisode.scope == scope).limit(1)) is not None


def start(session: Session, rule: str, scope: str, now: datetime,
          detail: str | None = None) -> AlertEpisode:
    episode = AlertEpisode(rule=rule, scope=scope, started_at=now, count=0,
                           detail=detail[:500] if detail else None)
    session.add(episode)
    session.flush()
    return episode


def muted(session: Session, now: datetime) -> AlertMute | None:
    """The mute in force now (the one lasting longest), or None."""
    until = session.scalar(select(func.max(AlertMute.until)).where(AlertMute.until > now))
    if until is None:
        return None
    return session.scalar(select(AlertMute).where(AlertMute.until == until).limit(1))


def mute(session: Session, person_id: int | None, until: datetime, now: datetime) -> None:
    session.add(AlertMute(person_id=person_id, created_at=now, until=until))


def unmute(session: Session, now: datetime) -> int:
    """End every mute in force; how many there were."""
    rows = list(session.scalars(select(AlertMute).where(AlertMute.until > now)))
    for row in rows:
        row.until = now
    return len(rows)
