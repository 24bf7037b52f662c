"""Absences (vacation, leave, sick, busy, other), company no-service days, public holidays
kept as planned, HR sync state.

An absence covers [starts, ends) in UTC. ``source`` says where it came from: ``local``
(imported or typed here) or the HR backend's name (``odoo``), whose rows a sync replaces.
No-service days are whole local dates: ``company`` days imported with
``switchboard holidays import`` or closed from chat (``/holiday close``), and public
holidays an HR system reports (``hr``). A kept holiday is a public holiday the
coordinators chose to serve as the timetable plans it (``/holiday keep``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime
from store.db import among

KINDS = ("vacation", "leave", "sick", "busy", "other")
LOCAL = "local"
COMPANY, HR = "company", "hr"


class Absence(Base):
    __tablename__ = "absence"
    __table_args__ = (
        Index("ix_absence_person_ends", "person_id", "ends"),
        Index("ix_absence_ends", "ends"),
        UniqueConstraint("source", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    starts: Mapped[datetime] = mapped_column(UTCDateTime)
    ends: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default=LOCAL)
    external_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200))


class NoServiceDay(Base):
    __tablename__ = "no_service_day"
    __table_args__ = (UniqueConstraint("day", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default=COMPANY)


class KeptHoliday(Base):
    """A public holiday served as its timetable plans it: the coordinators said so, and
    are not asked about it again."""

    __tablename__ = "kept_holiday"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kept_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HrSyncState(Base):
    """One row: when the HR system last answered, and since when it has been failing."""

    __tablename__ = "hr_sync_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


# --------------------------------------------------------------------------- absences


def overlapping(session: Session, start: datetime, end: datetime,
                person_ids: Iterable[int] | None = None) -> list[Absence]:
    """Absences that cover any part of [start, end), earliest first."""
    query = select(Absence).where(Absence.ends > start, Absence.starts < end)
    if person_ids is None:
        return list(session.scalars(query.order_by(Absence.starts, Absence.id)))
    wanted = set(person_ids)
    return [row for row in session.scalars(among(query, Absence.person_id, wanted)
                                           .order_by(Absence.starts, Absence.id))
            if row.person_id in wanted]


def absent_at(session: Session, when: datetime,
              person_ids: Iterable[int] | None = None) -> dict[int, Absence]:
    """person id → the absence that covers ``when`` (the earliest, if several do)."""
    query = select(Absence).where(Absence.ends > when, Absence.starts <= when)
    wanted = None if person_ids is None else set(person_ids)
    if wanted is not None:
        query = among(query, Absence.person_id, wanted)
    found: dict[int, Absence] = {}
    for row in session.scalars(query.order_by(Absence.starts, Absence.id)):
        if wanted is None or row.person_id in wanted:
            found.setdefault(row.person_id, row)
    return found


def replace_source(session: Session, source: str, rows: list[Absence], start: datetime,
                   end: datetime) -> tuple[int, int]:
    """Make ``source``'s absences overlapping [start, end) exactly ``rows``.

    Returns (removed, added). Rows of other sources and outside the window stay."""
    removed = session.execute(delete(Absence).where(
        Absence.source == source, Absence.ends > start, Absence.starts < end))
    session.flush()
    ids = {r.external_id for r in rows if r.external_id}
    if ids:  # a leave that reaches outside the window is replaced, not duplicated
        session.execute(delete(Absence).where(Absence.source == source,
                                              Absence.external_id.in_(sorted(ids))))
    session.add_all(rows)
    session.flush()
    return int(getattr(removed, "rowcount", 0) or 0), len(rows)


# --------------------------------------------------------------------------- days


def no_service_days(session: Session, first: date, last: date) -> list[NoServiceDay]:
    query = (select(NoServiceDay).where(NoServiceDay.day >= first, NoServiceDay.day <= last)
             .order_by(NoServiceDay.day, NoServiceDay.source))
    return list(session.scalars(query))


def replace_no_service_days(session: Session, source: str,
                            days: list[tuple[date, str]], first: date | None = None,
                            last: date | None = None) -> int:
    """Replace ``source``'s days (within first..last when given) by ``days``."""
    query = delete(NoServiceDay).where(NoServiceDay.source == source)
    if first is not None and last is not None:
        query = query.where(NoServiceDay.day >= first, NoServiceDay.day <= last)
    session.execute(query)
    session.add_all(NoServiceDay(day=d, name=name[:200], source=source) for d, name in days)
    session.flush()
    return len(days)


def add_no_service_day(session: Session, day: date, name: str,
                       source: str = COMPANY) -> bool:
    """Make ``day`` a no-service day of ``source``; False when it already was one."""
    found = session.scalar(select(NoServiceDay).where(NoServiceDay.day == day,
                                                      NoServiceDay.source == source))
    if found is not None:
        return False
    session.add(NoServiceDay(day=day, name=name[:200], source=source))
    session.flush()
    return True


def remove_no_service_day(session: Session, day: date, source: str = COMPANY) -> bool:
    """``day`` is no longer a no-service day of ``source``; False when it was not one."""
    removed = session.execute(delete(NoServiceDay).where(NoServiceDay.day == day,
                                                         NoServiceDay.source == source))
    session.flush()
    return bool(getattr(removed, "rowcount", 0))


def keep_holiday(session: Session, day: date, by_id: int | None, now: datetime) -> bool:
    """Record that ``day`` is served as planned; False when it was recorded already."""
    if session.get(KeptHoliday, day) is not None:
        return False
    session.add(KeptHoliday(day=day, kept_by_id=by_id, kept_at=now))
    session.flush()
    return True


def forget_kept_holiday(session: Session, day: date) -> None:
    session.execute(delete(KeptHoliday).where(KeptHoliday.day == day))
    session.flush()


def kept_holidays(session: Session, first: date, last: date) -> set[date]:
    query = select(KeptHoliday.day).where(KeptHoliday.day >= first, KeptHoliday.day <= last)
    return set(session.scalars(query))


def all_no_service_days(session: Session, source: str | None = None) -> list[NoServiceDay]:
    query = select(NoServiceDay).order_by(NoServiceDay.day)
    if source is not None:
        query = query.where(NoServiceDay.source == source)
    return list(session.scalars(query))


def sync_state(session: Session) -> HrSyncState:
    row = session.get(HrSyncState, 1, with_for_update=True)
    if row is None:
        row = HrSyncState(id=1)
        session.add(row)
        session.flush()
    return row
