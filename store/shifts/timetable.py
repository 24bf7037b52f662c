"""Turn definitions, the timetable and its change log.

All times here are wall-clock times in the team's time zone: a turn is a weekday (or a
date) with a start and an end ``time``; a cell is (date, start, line) → a person,
explicitly nobody, or a holiday (Tomàtic's ``ningu`` and ``festiu``). Weeks imported
from Tomàtic keep their header (days, hours, line names) so an export gives the same file.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    String,
    Time,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime

# The most lines (seats) one turn may have, in every import and export of turns and
# timetables: room for a 1,000-agent team on one turn, twice over.
MAX_LINES_PER_TURN = 2000

PERSON, NOBODY, HOLIDAY = "person", "nobody", "holiday"
CELL_STATUSES = (PERSON, NOBODY, HOLIDAY)


class TurnDefinition(Base):
    """One turn of a weekday (0 = Monday): its start, end and how many lines it has."""

    __tablename__ = "turn_definition"
    __table_args__ = (UniqueConstraint("weekday", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column()
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    lines: Mapped[int] = mapped_column()


class TimetableWeek(Base):
    """The header of an imported week: Tomàtic's ``days``, ``hours`` and ``turns``."""

    __tablename__ = "timetable_week"

    monday: Mapped[date] = mapped_column(Date, primary_key=True)
    days: Mapped[list[str]] = mapped_column(JSON)
    hours: Mapped[list[str]] = mapped_column(JSON)
    lines: Mapped[list[str]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TimetableCell(Base):
    __tablename__ = "timetable_cell"
    __table_args__ = (
        UniqueConstraint("day", "start", "line"),
        Index("ix_timetable_cell_person_day", "person_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    line: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)  # the line's column, for exports
    status: Mapped[str] = mapped_column(String(8), default=PERSON)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class TimetableChange(Base):
    """Who changed which cell, from whom to whom, and when (/assign, /swap)."""

    __tablename__ = "timetable_change"
    __table_args__ = (Index("ix_timetable_change_at", "at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))  # assign | swap
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[time] = mapped_column(Time)
    line: Mapped[str] = mapped_column(String(32))
    from_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    to_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    from_status: Mapped[str] = mapped_column(String(8))
    to_status: Mapped[str] = mapped_column(String(8))


# --------------------------------------------------------------------------- turns


def turn_definitions(session: Session, weekday: int | None = None) -> list[TurnDefinition]:
    query = select(TurnDefinition).order_by(TurnDefinition.weekday, TurnDefinition.start)
    if weekday is not None:
        query = query.where(TurnDefinition.weekday == weekday)
    return list(session.scalars(query))


def replace_turn_definitions(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(delete(TurnDefinition))
    session.add_all(TurnDefinition(**row) for row in rows)
    session.flush()


# --------------------------------------------------------------------------- cells


def cells_between(session: Session, first: date, last: date) -> list[TimetableCell]:
    """Every cell of the days first..last (inclusive), by day, start and line position."""
    query = (select(TimetableCell)
             .where(TimetableCell.day >= first, TimetableCell.day <= last)
             .order_by(TimetableCell.day, TimetableCell.start, TimetableCell.position))
    return list(session.scalars(query))


class CellRow(NamedTuple):
    """What a day's plan needs of a cell, as a plain row (a turn of a thousand lines is
    read on every board)."""

    start: time
    end: time
    line: str
    status: str
    person_id: int | None


def cells_of_day(session: Session, day: date) -> list[CellRow]:
    """The day's cells by start and line position, as plain rows."""
    query = (select(TimetableCell.start, TimetableCell.end, TimetableCell.line,
                    TimetableCell.status, TimetableCell.person_id)
             .where(TimetableCell.day == day)
             .order_by(TimetableCell.start, TimetableCell.position))
    return [CellRow(*row) for row in session.execute(query)]


def cells_of_person(session: Session, person_id: int, first: date,
                    last: date) -> list[TimetableCell]:
    query = (select(TimetableCell)
             .where(TimetableCell.person_id == person_id, TimetableCell.day >= first,
                    TimetableCell.day <= last)
             .order_by(TimetableCell.day, TimetableCell.start))
    return list(session.scalars(query))


def cell(session: Session, day: date, start: time, line: str, *,
         lock: bool = False) -> TimetableCell | None:
    query = select(TimetableCell).where(TimetableCell.day == day, TimetableCell.start == start,
                                        TimetableCell.line == line)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def has_timetable(session: Session, day: date) -> bool:
    query = select(TimetableCell.id).where(TimetableCell.day == day).limit(1)
    return session.scalar(query) is not None


def week(session: Session, monday: date) -> TimetableWeek | None:
    return session.get(TimetableWeek, monday)


def replace_week(session: Session, header: TimetableWeek, cells: list[TimetableCell]) -> int:
    """Put a whole week in place of what was stored for it; returns the cells removed."""
    monday = header.monday
    removed = session.execute(delete(TimetableCell).where(
        TimetableCell.day >= monday, TimetableCell.day < monday + timedelta(days=7)))
    existing = session.get(TimetableWeek, monday)
    if existing is not None:
        session.delete(existing)
        session.flush()
    session.add(header)
    session.add_all(cells)
    session.flush()
    return int(getattr(removed, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- log


def log_change(session: Session, change: TimetableChange) -> None:
    session.add(change)
    session.flush()


def recent_changes(session: Session, limit: int = 20) -> list[TimetableChange]:
    query = (select(TimetableChange)
             .order_by(TimetableChange.at.desc(), TimetableChange.id.desc()).limit(limit))
    return list(session.scalars(query))
