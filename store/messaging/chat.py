"""Chat spaces Switchboard is in, and the inbound events it has already handled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.dml import Update

from store.base import Base, UTCDateTime, insert_new


class ChatSpace(Base):
    __tablename__ = "chat_space"
    __table_args__ = (UniqueConstraint("platform", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))  # spaces/AAAA, or a Slack channel id
    kind: Mapped[str] = mapped_column(String(8))  # dm | room
    display_name: Mapped[str | None] = mapped_column(String(200))
    # For a DM: whose. The DM space is how proactive messages reach that person.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboundEvent(Base):
    """An event already received, so a redelivery is answered without running it again."""

    __tablename__ = "inbound_event"
    __table_args__ = (UniqueConstraint("platform", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The response given the first time (None while it is still being handled).
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# ------------------------------------------------------------------------- spaces


def remember_space(session: Session, platform: str, name: str, kind: str, now: datetime, *,
                   display_name: str | None = None, person_id: int | None = None) -> ChatSpace:
    """Add or update the space. Two first messages in one new DM may race here: the insert
    ignores a conflict, so the second one updates the row the first one made."""
    space = find_space(session, platform, name)
    if space is None:
        insert_new(session, ChatSpace, {"platform": platform, "name": name, "kind": kind,
                                        "added_at": now}, ("platform", "name"))
        space = find_space(session, platform, name)
        assert space is not None
    space.kind = kind
    space.display_name = display_name
    if person_id is not None:
        space.person_id = person_id
    session.flush()
    return space


def forget_space(session: Session, platform: str, name: str) -> bool:
    result = session.execute(
        delete(ChatSpace).where(ChatSpace.platform == platform, ChatSpace.name == name))
    return bool(getattr(result, "rowcount", 0))


def find_space(session: Session, platform: str, name: str) -> ChatSpace | None:
    return session.scalar(
        select(ChatSpace).where(ChatSpace.platform == platform, ChatSpace.name == name))


def dm_space(session: Session, platform: str, person_id: int) -> ChatSpace | None:
    return session.scalar(
        select(ChatSpace)
        .where(ChatSpace.platform == platform, ChatSpace.person_id == person_id,
               ChatSpace.kind == "dm")
        .order_by(ChatSpace.id.desc())
        .limit(1))


def dm_owners(session: Session, platform: str) -> set[int]:
    """The people whose DM on ``platform`` is known."""
    found = session.scalars(select(ChatSpace.person_id).where(
        ChatSpace.platform == platform, ChatSpace.kind == "dm",
        ChatSpace.person_id.is_not(None)))
    return {person_id for person_id in found if person_id is not None}


# ------------------------------------------------------------------------- dedupe


def claim_event(session: Session, platform: str, event_key: str,
                now: datetime) -> InboundEvent | None:
    """Record a new event and return None; for a seen one, return the earlier record.

    One conflict-ignoring insert, so two replicas receiving the same redelivery cannot
    both win; only a redelivery costs a second query.
    """
    key = event_key[:300]
    if insert_new(session, InboundEvent,
                  {"platform": platform, "event_key": key, "received_at": now},
                  ("platform", "event_key")) is not None:
        return None
    seen = session.scalar(select(InboundEvent).where(
        InboundEvent.platform == platform, InboundEvent.event_key == key))
    assert seen is not None
    return seen


def store_response(session: Session, platform: str, event_key: str,
                   response: dict[str, Any]) -> None:
    session.execute(response_update(platform, event_key, response))


def response_update(platform: str, event_key: str, response: dict[str, Any]) -> Update:
    """The statement that stores the answer given to an event (see ``store_response``)."""
    return (update(InboundEvent)
            .where(InboundEvent.platform == platform, InboundEvent.event_key == event_key[:300])
            .values(response=response))


def prune_events(session: Session, before: datetime) -> int:
    result = session.execute(delete(InboundEvent).where(InboundEvent.received_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
