"""The call registry: every call that rang an agent (keyed by the PBX's call id), who the
caller was found to be, and how agents typified it.

These tables are this capability's own; the statistics' ``call_record`` is another table
(the queue's view of a call). Both carry the PBX call id, which is how they meet.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Select,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime


class RegisteredCall(Base):
    __tablename__ = "registered_call"
    __table_args__ = (
        Index("ix_registered_call_person", "person_id", "rang_at"),
        Index("ix_registered_call_phone", "phone", "rang_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(128), unique=True)  # the PBX's
    rang_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    caller: Mapped[str | None] = mapped_column(String(64))  # as the PBX sent it
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, when it is a valid number
    queue: Mapped[str | None] = mapped_column(String(64))
    extension: Mapped[str | None] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # Who the caller was found to be (ids in the directory's own terms; names as shown then).
    identified_by: Mapped[str | None] = mapped_column(String(16))
    account_id: Mapped[str | None] = mapped_column(String(64))
    account_name: Mapped[str | None] = mapped_column(String(200))
    contact_id: Mapped[str | None] = mapped_column(String(64))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    accounts_found: Mapped[int] = mapped_column(default=0)


class TypificationCategory(Base):
    __tablename__ = "typification_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("typification_category.id", ondelete="SET NULL"))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    color: Mapped[str | None] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class CallTypification(Base):
    __tablename__ = "call_typification"
    __table_args__ = (UniqueConstraint("call_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("registered_call.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(
        ForeignKey("typification_category.id", ondelete="RESTRICT"), index=True)
    comment: Mapped[str | None] = mapped_column(String(500))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# ------------------------------------------------------------------------- calls


def by_call_id(session: Session, call_id: str) -> RegisteredCall | None:
    return session.scalar(select(RegisteredCall).where(RegisteredCall.call_id == call_id))


def last_for_person(session: Session, person_id: int) -> RegisteredCall | None:
    return session.scalar(
        select(RegisteredCall).where(RegisteredCall.person_id == person_id)
        .order_by(RegisteredCall.rang_at.desc(), RegisteredCall.id.desc()).limit(1))


def calls_query(*, person_id: int | None = None, phone: str | None = None,
                start: datetime | None = None, end: datetime | None = None,
                limit: int = 20) -> Select[RegisteredCall]:
    """The latest calls (newest first) of a person or a number, optionally in [start, end)."""
    query = select(RegisteredCall)
    if person_id is not None:
        query = query.where(RegisteredCall.person_id == person_id)
    if phone is not None:
        query = query.where(RegisteredCall.phone == phone)
    if start is not None:
        query = query.where(RegisteredCall.rang_at >= start)
    if end is not None:
        query = query.where(RegisteredCall.rang_at < end)
    return query.order_by(RegisteredCall.rang_at.desc(), RegisteredCall.id.desc()).limit(limit)


def calls(session: Session, *, person_id: int | None = None, phone: str | None = None,
          start: datetime | None = None, end: datetime | None = None,
          limit: int = 20) -> list[RegisteredCall]:
    return list(session.scalars(calls_query(person_id=person_id, phone=phone, start=start,
                                            end=end, limit=limit)))


def typifications_of(session: Session, call_ids: list[int]
                     ) -> dict[int, list[tuple[CallTypification, TypificationCategory]]]:
    found: dict[int, list[tuple[CallTypification, TypificationCategory]]] = {}
    if not call_ids:
        return found
    rows = session.execute(
        select(CallTypification, TypificationCategory)
        .join(TypificationCategory, TypificationCategory.id == CallTypification.category_id)
        .where(CallTypification.call_id.in_(call_ids))
        .order_by(CallTypification.call_id, CallTypification.id))
    for typification, category in rows:
        found.setdefault(typification.call_id, []).append((typification, category))
    return found


def typification(session: Session, call_pk: int, category_id: int) -> CallTypification | None:
    return session.scalar(select(CallTypification).where(
        CallTypification.call_id == call_pk, CallTypification.category_id == category_id))


def counts_by_category_query(start: datetime, end: datetime
                             ) -> Select[int, int]:
    """(category id, calls) for the calls that rang in [start, end) — the seam for
    ``/stats … by category`` (aggregated in SQL, served by ix_registered_call_rang_at and the
    typification's unique (call_id, category_id) index)."""
    return (select(CallTypification.category_id, func.count(func.distinct(RegisteredCall.id)))
            .join(RegisteredCall, RegisteredCall.id == CallTypification.call_id)
            .where(RegisteredCall.rang_at >= start, RegisteredCall.rang_at < end)
            .group_by(CallTypification.category_id))


def counts_by_category(session: Session, start: datetime, end: datetime
                       ) -> list[tuple[TypificationCategory, int]]:
    """Calls per category in [start, end), most first."""
    counts: dict[int, int] = {category_id: count for category_id, count
                              in session.execute(counts_by_category_query(start, end))}
    if not counts:
        return []
    categories = session.scalars(select(TypificationCategory).where(
        TypificationCategory.id.in_(list(counts))))
    return sorted(((c, counts[c.id]) for c in categories), key=lambda pair: (-pair[1],
                                                                               pair[0].code))


# ------------------------------------------------------------------------- categories


def categories(session: Session, *, enabled_only: bool = False) -> list[TypificationCategory]:
    query = select(TypificationCategory).order_by(TypificationCategory.position,
                                                  TypificationCategory.id)
    if enabled_only:
        query = query.where(TypificationCategory.enabled.is_(True))
    return list(session.scalars(query))


def path(category: TypificationCategory, by_id: dict[int, TypificationCategory]) -> str:
    """``Billing › Invoices › Copy``: the category with its ancestors."""
    names = [category.name]
    seen = {category.id}
    parent = by_id.get(category.parent_id) if category.parent_id else None
    while parent is not None and parent.id not in seen:
        names.append(parent.name)
        seen.add(parent.id)
        parent = by_id.get(parent.parent_id) if parent.parent_id else None
    return " › ".join(reversed(names))
