"""What the week planner reads and writes: availability rules, the fixed-turns template
and the drafts it makes.

- An **availability rule** says one person cannot (``hard``) or would rather not work
  some turns: on one weekday (0 = Monday), on one date, or every day (neither), in the
  turns its ``bits`` mark (one character per turn of the day, ``1`` = busy; empty = the
  whole day), with a reason, which is required. ``source`` is ``chat`` for rules typed
  with /busy and ``import`` for those read from files (an import replaces those only).
- The **fixed turns** are a weekly template in the timetable's layout: (weekday, turn
  index, line index) → a person. A free cell has no row.
- A **draft** is a plan the solver made for one week: its cells and its summary (both
  JSON), never the live timetable until it is published.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    delete,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime

CHAT, IMPORT = "chat", "import"
RULE_SOURCES = (CHAT, IMPORT)


class AvailabilityRule(Base):
    __tablename__ = "availability_rule"
    __table_args__ = (
        CheckConstraint("weekday IS NULL OR day IS NULL", name="one_kind_of_day"),
        Index("ix_availability_rule_person_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    weekday: Mapped[int | None] = mapped_column()
    day: Mapped[date | None] = mapped_column(Date)
    bits: Mapped[str] = mapped_column(String(32), default="")
    hard: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default=CHAT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def busy_in(self, turn: int) -> bool:
        """Whether the rule covers the day's turn ``turn`` (0-based)."""
        if not self.bits:
            return True
        return turn < len(self.bits) and self.bits[turn] == "1"

    @property
    def whole_day(self) -> bool:
        return not self.bits or set(self.bits) == {"1"}


class FixedTurn(Base):
    __tablename__ = "fixed_turn"
    __table_args__ = (UniqueConstraint("weekday", "turn", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column()
    turn: Mapped[int] = mapped_column()  # 0-based index of the day's turn
    line: Mapped[int] = mapped_column()  # 0-based index of the line
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))


class PlanDraft(Base):
    __tablename__ = "plan_draft"

    monday: Mapped[date] = mapped_column(Date, primary_key=True)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # Each draft gets a new serial, so a publish's messages are keyed by the draft published.
    serial: Mapped[int] = mapped_column(default=1)
    cells: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --------------------------------------------------------------------------- rules


def rules_for(session: Session, first: date, last: date,
              person_ids: list[int] | None = None) -> list[AvailabilityRule]:
    """The rules that can apply between first and last: weekly, every-day, and dated ones
    inside the range."""
    query = select(AvailabilityRule).where(or_(
        AvailabilityRule.day.is_(None),
        (AvailabilityRule.day >= first) & (AvailabilityRule.day <= last)))
    if person_ids is not None:
        query = query.where(AvailabilityRule.person_id.in_(sorted(set(person_ids))))
    return list(session.scalars(query.order_by(AvailabilityRule.id)))


def rules_of(session: Session, person_id: int) -> list[AvailabilityRule]:
    query = select(AvailabilityRule).where(AvailabilityRule.person_id == person_id)
    return list(session.scalars(query.order_by(AvailabilityRule.id)))


def all_rules(session: Session) -> list[AvailabilityRule]:
    return list(session.scalars(select(AvailabilityRule).order_by(AvailabilityRule.id)))


def replace_imported_rules(session: Session, rules: list[AvailabilityRule]) -> int:
    """Every imported rule becomes ``rules``; those added from chat stay. Returns the
    number removed."""
    removed = session.execute(delete(AvailabilityRule).where(AvailabilityRule.source == IMPORT))
    session.add_all(rules)
    session.flush()
    return int(getattr(removed, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- fixed turns


def fixed_turns(session: Session) -> list[FixedTurn]:
    query = select(FixedTurn).order_by(FixedTurn.weekday, FixedTurn.turn, FixedTurn.line)
    return list(session.scalars(query))


def replace_fixed_turns(session: Session, rows: list[FixedTurn]) -> None:
    session.execute(delete(FixedTurn))
    session.add_all(rows)
    session.flush()


# --------------------------------------------------------------------------- drafts


def draft(session: Session, monday: date) -> PlanDraft | None:
    return session.get(PlanDraft, monday)


def save_draft(session: Session, monday: date, cells: list[dict[str, Any]],
               summary: dict[str, Any], now: datetime, by_id: int | None) -> PlanDraft:
    """Store the week's draft in place of the one before (its serial goes up)."""
    row = session.get(PlanDraft, monday, with_for_update=True)
    if row is None:
        row = PlanDraft(monday=monday, serial=1, cells=cells, summary=summary, made_at=now,
                        made_by_id=by_id)
        session.add(row)
    else:
        row.serial += 1
        row.cells, row.summary, row.made_at, row.made_by_id = cells, summary, now, by_id
        row.published_at = None
    session.flush()
    return row
