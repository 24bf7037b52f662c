"""Pause reasons, and the log of pauses and queue sessions (login/logout) per person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import JSON, ForeignKey, Index, String, Text, and_, or_, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from store import i18n
from store.base import Base, UTCDateTime
from store.team.people import Person

PAUSE, SESSION = "pause", "session"
SOURCES = ("chat", "pbx", "schedule")


def reason_name(code: str) -> str:
    """A pause reason's code as the reader says it: the default reasons (break, lunch,
    training, meeting, other) in the reader's language; a team's own codes as they are."""
    names = {"break": i18n.pgettext("pause reason", "break"),
             "lunch": i18n.pgettext("pause reason", "lunch"),
             "training": i18n.pgettext("pause reason", "training"),
             "meeting": i18n.pgettext("pause reason", "meeting"),
             "other": i18n.pgettext("pause reason", "other")}
    return names.get(code, code)


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
    __table_args__ = (
        # One person's open pause or session.
        Index("ix_agent_activity_open", "person_id", "kind", "ended_at"),
        # Everything open now, oldest first (the board, reconciliation, over-long pauses).
        Index("ix_agent_activity_running", "started_at",
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
        # Periods: rows that ended inside or after a period's start (see ``in_period``).
        Index("ix_agent_activity_ended_at", "ended_at"),
    )

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


# --------------------------------------------------------------------------- pause reasons


def reasons(session: Session) -> list[PauseReason]:
    """Every pause reason, in the order people see them."""
    return list(session.scalars(select(PauseReason).order_by(PauseReason.position,
                                                             PauseReason.code)))


def reason_by_code(session: Session, code: str) -> PauseReason | None:
    return session.scalar(select(PauseReason).where(PauseReason.code == code))


def find_reason(session: Session, word: str) -> PauseReason | None:
    """The reason whose code or one of whose aliases is ``word`` (case-insensitive)."""
    wanted = word.strip().casefold()
    for reason in reasons(session):
        if wanted == reason.code.casefold() or wanted in (a.casefold() for a in reason.aliases):
            return reason
    return None


# --------------------------------------------------------------------------- the log


def lock_person(session: Session, person_id: int) -> None:
    """Serialise log writes for one person until the transaction ends.

    PostgreSQL takes a row lock, so two writers cannot both see "no open pause" and both
    open one; SQLite already serialises writers with BEGIN IMMEDIATE.
    """
    session.execute(select(Person.id).where(Person.id == person_id).with_for_update())


def open_activity(session: Session, person_id: int, kind: str) -> Activity | None:
    """The person's open pause or session (the latest, should there be more than one)."""
    return session.scalar(
        select(Activity)
        .where(Activity.person_id == person_id, Activity.kind == kind,
               Activity.ended_at.is_(None))
        .order_by(Activity.started_at.desc(), Activity.id.desc())
        .limit(1))


def around_query(person_id: int, kind: str, at: datetime) -> Select[Activity]:
    """The person's open row of this kind, and any closed one that covers ``at``."""
    return (select(Activity)
            .where(Activity.person_id == person_id, Activity.kind == kind,
                   or_(Activity.ended_at.is_(None),
                       and_(Activity.ended_at > at, Activity.started_at <= at)))
            .order_by(Activity.started_at.desc(), Activity.id.desc()))


def around(session: Session, person_id: int, kind: str, at: datetime) -> list[Activity]:
    """``around_query``'s rows, the latest started first."""
    return list(session.scalars(around_query(person_id, kind, at)))


def open_activities(session: Session, kind: str) -> list[Activity]:
    """Everyone's open pauses (or sessions), oldest first."""
    return list(session.scalars(
        select(Activity)
        .where(Activity.kind == kind, Activity.ended_at.is_(None))
        .order_by(Activity.started_at, Activity.id)))


@dataclass(frozen=True)
class OpenRow:
    """An open row's identity, without loading the whole row (boards of a thousand)."""

    id: int
    person_id: int
    kind: str
    reason: str | None
    started_at: datetime


def open_rows(session: Session, kind: str) -> list[OpenRow]:
    """``open_activities`` as plain values, oldest first (the same index serves it)."""
    query = (select(Activity.id, Activity.person_id, Activity.kind, Activity.reason,
                    Activity.started_at)
             .where(Activity.kind == kind, Activity.ended_at.is_(None))
             .order_by(Activity.started_at, Activity.id))
    return [OpenRow(*row) for row in session.execute(query)]


def start(session: Session, person_id: int, kind: str, at: datetime, *,
          reason: str | None = None, by_id: int | None = None,
          source: str = "chat") -> Activity:
    """Open a pause or session. ``by_id`` None means nobody in Switchboard (the PBX)."""
    if kind not in (PAUSE, SESSION):
        raise ValueError(f"kind must be {PAUSE!r} or {SESSION!r}, not {kind!r}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    row = Activity(person_id=person_id, kind=kind, reason=reason, started_at=at,
                   started_by_id=by_id, source=source)
    session.add(row)
    session.flush()
    return row


def finish(row: Activity, at: datetime, *, by_id: int | None = None,
           note: str | None = None) -> Activity:
    """Close an open pause or session; never before it started."""
    row.ended_at = max(at, row.started_at)
    row.ended_by_id = by_id
    if note:
        row.end_note = note
    return row


def overlap_parts(begin: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    """Rows that overlap [begin, end), as three disjoint conditions, each served by an index
    (see ``in_period``): started inside; started before and ended after ``begin``; started
    before and still open."""
    return ((Activity.started_at >= begin) & (Activity.started_at < end),
            (Activity.ended_at > begin) & (Activity.started_at < begin),
            Activity.ended_at.is_(None) & (Activity.started_at < begin))


def overlapping(begin: datetime, end: datetime) -> ColumnElement[bool]:
    return or_(*overlap_parts(begin, end))


class Span(NamedTuple):
    """A pause or session as a period's report reads it: plain values, not an ORM object
    (a month of a team is thousands of rows, and loading them as objects was most of
    ``/breaks month``)."""

    id: int
    person_id: int
    kind: str
    reason: str | None
    started_at: datetime
    ended_at: datetime | None


def in_period(session: Session, begin: datetime, end: datetime, *,
              person_id: int | None = None) -> list[Span]:
    """Pauses and sessions that overlap [begin, end): open ones count as still running.

    Written as three index-served parts so a period reads only its own rows, not the
    years before it: rows started inside the period (by ``started_at``), rows started
    before it and ended after its start (by ``ended_at``), and rows still open that
    started before it (the partial index on open rows)."""
    query = select(Activity.id, Activity.person_id, Activity.kind, Activity.reason,
                   Activity.started_at, Activity.ended_at).where(overlapping(begin, end))
    if person_id is not None:
        query = query.where(Activity.person_id == person_id)
    # Sorted here, not in SQL: an ORDER BY person_id tempts SQLite into walking a whole
    # index in that order instead of the three narrow ranges.
    return sorted((Span._make(row) for row in session.execute(query)),
                  key=lambda a: (a.person_id, a.started_at, a.id))


def seconds_within(row: Span | Activity, begin: datetime, end: datetime) -> float:
    """How much of [begin, end) the row covers; an open row runs up to ``end``."""
    stop = min(row.ended_at or end, end)
    return max(0.0, seconds_between(max(row.started_at, begin), stop))


def seconds_between(start: datetime, end: datetime) -> float:
    """Elapsed seconds. In UTC: Python subtracts two datetimes of the same zone by their
    wall clocks, which ignores a daylight-saving change between them."""
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()
