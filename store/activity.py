"""Pause reasons, and the log of pauses and queue sessions (login/logout) per person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, UTCDateTime

PAUSE, SESSION = "pause", "session"
SOURCES = ("chat", "pbx", "schedule")


class PauseReason(Base):
    __tablename__ = "pause_reason"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    max_minutes: Mapped[int | None] = mapped_column()
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)  # other words: comida, descanso
    position: Mapped[int] = mapped_column(default=0)


class Activity(Base):
    """A pause (kind=pause) or a queue session (kind=session: login → logout)."""

    __tablename__ = "agent_activity"
    __table_args__ = (Index("ix_agent_activity_open", "person_id", "kind", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(64))  # pause reason code
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(12), default="chat")
    end_note: Mapped[str | None] = mapped_column(Text)  # e.g. the logout reason
    # Over-long pauses: when the agent was reminded and when coordinators were told.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
