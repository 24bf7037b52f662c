"""Callback capacity: daily templates, weekly schedules, pools, date overrides, counters.

A *pool* is what a callback consumes capacity from: a queue (``queue:soporte``) or a
campaign (``campaign:renewals``). Each pool follows one weekly schedule (a template per
weekday; a day left out has none); a date override closes a day or gives it another
template. Templates say how many callbacks each 30-minute interval takes, in the team's
local time (``"09:00": 5``).

What is booked lives in ``callback_slot``: one counter row per pool and interval start.
Booking is ``UPDATE … SET booked = booked + 1 WHERE pool = … AND starts_at = … AND
booked < capacity RETURNING id`` (one statement once the counter exists): the database
decides, so two concurrent bookings can never both take the last place
(PostgreSQL re-checks the condition after the row lock is released; SQLite serialises
writers with ``BEGIN IMMEDIATE``). Nothing reads the counter and then writes it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    String,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime

QUEUE, CAMPAIGN = "queue", "campaign"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
INTERVAL_MINUTES = 30


class CapacityTemplate(Base):
    """Callbacks allowed per 30-minute interval of one day: {"09:00": 5, "09:30": 5}."""

    __tablename__ = "callback_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    slots: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class WeeklySchedule(Base):
    """A template per weekday: {"mon": "standard", …}; a day left out has no capacity."""

    __tablename__ = "callback_week"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class WeekDay(Base):
    __tablename__ = "callback_week_day"
    __table_args__ = (UniqueConstraint("week_id", "weekday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("callback_week.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column()  # 0 = Monday
    template_id: Mapped[int] = mapped_column(ForeignKey("callback_template.id"))


class CapacityPool(Base):
    """A queue or a campaign and the weekly schedule it follows."""

    __tablename__ = "callback_pool"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # queue | campaign
    name: Mapped[str] = mapped_column(String(64))
    week_id: Mapped[int] = mapped_column(ForeignKey("callback_week.id"))

    @property
    def key(self) -> str:
        return pool_key(self.kind, self.name)


class CapacityOverride(Base):
    """One date of one pool: closed, or another template."""

    __tablename__ = "callback_override"
    __table_args__ = (UniqueConstraint("pool_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("callback_pool.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(default=False)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("callback_template.id"))


class SlotCounter(Base):
    """How many callbacks one interval of one pool holds. Created on first booking."""

    __tablename__ = "callback_slot"
    __table_args__ = (UniqueConstraint("pool", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool: Mapped[str] = mapped_column(String(80))  # queue:NAME | campaign:NAME
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    booked: Mapped[int] = mapped_column(default=0)


def pool_key(kind: str, name: str) -> str:
    return f"{kind}:{name}"


# ------------------------------------------------------------------------- reading


def pool(session: Session, kind: str, name: str) -> CapacityPool | None:
    return session.scalar(select(CapacityPool).where(CapacityPool.kind == kind,
                                                     CapacityPool.name == name))


def pools(session: Session, kind: str | None = None) -> list[CapacityPool]:
    query = select(CapacityPool).order_by(CapacityPool.kind.desc(), CapacityPool.name)
    if kind is not None:
        query = query.where(CapacityPool.kind == kind)
    return list(session.scalars(query))


def templates(session: Session) -> dict[int, CapacityTemplate]:
    return {t.id: t for t in session.scalars(select(CapacityTemplate).order_by(
        CapacityTemplate.name))}


def template_by_name(session: Session, name: str) -> CapacityTemplate | None:
    return session.scalar(select(CapacityTemplate).where(CapacityTemplate.name == name))


def week_days(session: Session, week_id: int) -> dict[int, int]:
    """weekday → template id of one weekly schedule."""
    rows = session.execute(select(WeekDay.weekday, WeekDay.template_id)
                           .where(WeekDay.week_id == week_id))
    return {weekday: template_id for weekday, template_id in rows}


def overrides(session: Session, pool_id: int, first: date, last: date
              ) -> dict[date, CapacityOverride]:
    rows = session.scalars(select(CapacityOverride).where(
        CapacityOverride.pool_id == pool_id, CapacityOverride.day >= first,
        CapacityOverride.day <= last))
    return {o.day: o for o in rows}


def booked_between(session: Session, pool: str, start: datetime, end: datetime
                   ) -> dict[datetime, int]:
    """Interval start → callbacks booked, for intervals starting in [start, end)."""
    rows = session.execute(select(SlotCounter.starts_at, SlotCounter.booked).where(
        SlotCounter.pool == pool, SlotCounter.starts_at >= start, SlotCounter.starts_at < end))
    return {starts_at: booked for starts_at, booked in rows}


# ------------------------------------------------------------------------- booking


def take_place(session: Session, pool: str, starts_at: datetime, capacity: int) -> int | None:
    """Take one place in the interval if fewer than ``capacity`` are booked: the counter's
    id, or None when the interval is full. The check and the increment are one statement;
    the interval's counter row is created first if this is its first booking."""
    if capacity <= 0:
        return None
    counter_id = _take(session, pool, starts_at, capacity)
    if counter_id is not None:
        return counter_id
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # No row taken: the interval is full, or its counter does not exist yet. Create it
    # (unless it exists, or a concurrent first booking creates it: on PostgreSQL this waits
    # for that one to commit) and try once more.
    session.execute(insert(SlotCounter).values(pool=pool, starts_at=starts_at, booked=0)
                    .on_conflict_do_nothing(index_elements=["pool", "starts_at"]))
    return _take(session, pool, starts_at, capacity)


def _take(session: Session, pool: str, starts_at: datetime, capacity: int) -> int | None:
    return session.scalar(
        update(SlotCounter)
        .where(SlotCounter.pool == pool, SlotCounter.starts_at == starts_at,
               SlotCounter.booked < capacity)
        .values(booked=SlotCounter.booked + 1)
        .returning(SlotCounter.id)
        .execution_options(synchronize_session=False))


def give_back_place(session: Session, pool: str, starts_at: datetime) -> None:
    """Free one place of the interval (a cancelled callback)."""
    session.execute(
        update(SlotCounter)
        .where(SlotCounter.pool == pool, SlotCounter.starts_at == starts_at,
               SlotCounter.booked > 0)
        .values(booked=SlotCounter.booked - 1)
        .execution_options(synchronize_session=False))
