"""The audit trail: every command invocation, whatever its outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.dml import UpdateBase

from store.base import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    # One person's latest requests (/audit @person) without sorting all of theirs.
    __table_args__ = (Index("ix_audit_entry_person", "person_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(16))
    user_ref: Mapped[str] = mapped_column(String(320))
    space: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    command: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column()


RUNNING = "running"  # written before the command runs; replaced by its outcome after


def record(session: Session, entry: AuditEntry) -> None:
    session.add(entry)


def start(session: Session, entry: AuditEntry) -> int:
    """Write the row before anything runs and return its id (the command then runs only
    if this write committed: no command without its audit row)."""
    session.add(entry)
    session.flush()
    return entry.id


def finish(session: Session, entry_id: int, *, outcome: str, command: str | None,
           detail: str | None, duration_ms: int, person_id: int | None = None,
           also: UpdateBase | None = None) -> None:
    """Record the outcome. ``also``: another UPDATE of the same unit of work (the stored
    answer); on PostgreSQL both go in one statement (a data-modifying CTE), saving a round
    trip on every request."""
    values: dict[str, object] = {"outcome": outcome, "command": command, "detail": detail,
                                 "duration_ms": duration_ms}
    if person_id is not None:
        values["person_id"] = person_id
    statement = update(AuditEntry).where(AuditEntry.id == entry_id).values(**values)
    if also is None:
        session.execute(statement)
    elif session.get_bind().dialect.name == "postgresql":
        session.execute(also.add_cte(statement.cte("finished")))
    else:
        session.execute(statement)
        session.execute(also)


def prune(session: Session, before: datetime) -> int:
    result = session.execute(delete(AuditEntry).where(AuditEntry.at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def recent(session: Session, limit: int = 50, *, person_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if person_id is not None:
        query = query.where(AuditEntry.person_id == person_id)
    return list(session.scalars(query))
