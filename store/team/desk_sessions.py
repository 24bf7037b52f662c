"""The desk's sign-ins: server-side sessions and one-time sign-in links.

Neither table holds a credential: a session or a link is a random token the browser
holds; the rows keep its SHA-256, so a copy of the database signs nobody in. A session
ends at its expiry or when revoked (``switchboard desk sessions revoke KEY``, signing
out); a link works once, within its expiry.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime

GOOGLE, LINK = "google", "link"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class DeskSession(Base):
    __tablename__ = "desk_session"
    __table_args__ = (Index("ix_desk_session_person", "person_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))  # google | link
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeskSignInLink(Base):
    __tablename__ = "desk_sign_in_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def open_session(session: Session, person_id: int, via: str, now: datetime,
                 expires: datetime) -> tuple[str, DeskSession]:
    """A new session; returns the token for the cookie (only its hash is stored)."""
    token = new_token()
    row = DeskSession(token_hash=digest(token), person_id=person_id,
                      csrf=secrets.token_urlsafe(32), via=via, created_at=now,
                      expires_at=expires, revoked_at=None)
    session.add(row)
    session.flush()
    return token, row


def live_session(session: Session, token: str, now: datetime) -> DeskSession | None:
    """The session this token opened, when it is neither expired nor revoked."""
    row = session.scalar(select(DeskSession).where(DeskSession.token_hash == digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def revoke(session: Session, session_id: int, now: datetime) -> bool:
    result = session.execute(update(DeskSession).where(
        DeskSession.id == session_id, DeskSession.revoked_at.is_(None)).values(revoked_at=now))
    return bool(getattr(result, "rowcount", 0))


def revoke_person(session: Session, person_id: int, now: datetime) -> int:
    """Revoke every live session of a person; how many there were."""
    result = session.execute(update(DeskSession).where(
        DeskSession.person_id == person_id, DeskSession.expires_at > now,
        DeskSession.revoked_at.is_(None)).values(revoked_at=now))
    return int(getattr(result, "rowcount", 0))


def live_sessions(session: Session, now: datetime, limit: int = 200) -> list[DeskSession]:
    return list(session.scalars(
        select(DeskSession).where(DeskSession.expires_at > now,
                                  DeskSession.revoked_at.is_(None))
        .order_by(DeskSession.expires_at).limit(limit)))


def create_link(session: Session, person_id: int, now: datetime,
                expires: datetime) -> str:
    """A one-time sign-in link's token for the person."""
    token = new_token()
    session.add(DeskSignInLink(token_hash=digest(token), person_id=person_id,
                               created_at=now, expires_at=expires, used_at=None))
    session.flush()
    return token


def use_link(session: Session, token: str, now: datetime) -> int | None:
    """Spend a link: the person it signs in, or None when it is unknown, used or expired.
    One conditional UPDATE, so two requests racing with the same link cannot both win."""
    result = session.execute(update(DeskSignInLink).where(
        DeskSignInLink.token_hash == digest(token), DeskSignInLink.used_at.is_(None),
        DeskSignInLink.expires_at > now).values(used_at=now))
    if not getattr(result, "rowcount", 0):
        return None
    return session.scalar(select(DeskSignInLink.person_id)
                          .where(DeskSignInLink.token_hash == digest(token)))


def prune(session: Session, before: datetime) -> int:
    """Forget sessions and links that expired before ``before``."""
    gone = session.execute(delete(DeskSession).where(DeskSession.expires_at < before))
    links = session.execute(delete(DeskSignInLink).where(DeskSignInLink.expires_at < before))
    return int(getattr(gone, "rowcount", 0)) + int(getattr(links, "rowcount", 0))
