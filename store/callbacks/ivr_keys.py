"""IVR API clients: their keys (stored hashed), rate-limit windows and idempotent answers.

A key reads ``sbivr_<key id>_<secret>``. Only the key id (to find the row) and the
SHA-256 of the secret are stored; the secret is 32 random bytes, so a fast hash is as
good as a slow one here, and the comparison is constant-time.

The rate limit is a fixed one-minute window per key, shared through the database
(``ivr_rate_window``): ``count_requests`` adds a number of requests to a key's minute
with one ``INSERT … ON CONFLICT DO UPDATE SET count = count + n RETURNING count``, atomic
on SQLite and PostgreSQL alike, so every gunicorn worker and every replica sharing the
database adds to the same count. How often a process folds its own requests in, and the
limit's exactness, is ``bot/doors/ivr/limits.py``'s business.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base, UTCDateTime

PREFIX = "sbivr_"
_KEY = re.compile(r"^sbivr_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class IvrKey(Base):
    __tablename__ = "ivr_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str] = mapped_column(String(12), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IvrRateWindow(Base):
    __tablename__ = "ivr_rate_window"
    __table_args__ = (Index("ix_ivr_rate_window_minute", "minute"),)

    ivr_key_id: Mapped[int] = mapped_column(ForeignKey("ivr_key.id", ondelete="CASCADE"),
                                            primary_key=True)
    minute: Mapped[int] = mapped_column(primary_key=True)  # epoch seconds // 60
    count: Mapped[int] = mapped_column(default=0)


class IvrIdempotency(Base):
    """The first answer to a request carrying an ``Idempotency-Key`` (kept a day)."""

    __tablename__ = "ivr_idempotency"
    __table_args__ = (Index("ix_ivr_idempotency_created_at", "created_at"),
                      Index("uq_ivr_idempotency_client_key", "ivr_key_id", "key", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    ivr_key_id: Mapped[int] = mapped_column(ForeignKey("ivr_key.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column()  # 0 while the first request is being answered
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# ------------------------------------------------------------------------- keys


def create(session: Session, name: str, now: datetime) -> str:
    """A new key for client ``name``; the only time its secret exists in clear. A client
    whose key was revoked gets its replacement on the same row (its history stays), so a
    lost key is revoked and replaced under the same name; an active one is a ValueError."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = by_name(session, name)
    if row is not None and row.revoked_at is None:
        raise ValueError(f"{name!r} has an active key")
    if row is None:
        session.add(IvrKey(name=name, key_id=key_id, secret_sha256=_digest(secret),
                           created_at=now))
    else:
        row.key_id, row.secret_sha256 = key_id, _digest(secret)
        row.created_at, row.revoked_at = now, None
    session.flush()
    return f"{PREFIX}{key_id}_{secret}"


def by_name(session: Session, name: str) -> IvrKey | None:
    return session.scalar(select(IvrKey).where(IvrKey.name == name))


def all_keys(session: Session) -> list[IvrKey]:
    return list(session.scalars(select(IvrKey).order_by(IvrKey.name)))


def verify(session: Session, presented: str | None) -> IvrKey | None:
    """The active key matching ``presented``; None for anything else."""
    if not presented or len(presented) > 100:
        return None
    match = _KEY.match(presented)
    if not match:
        return None
    row = session.scalar(select(IvrKey).where(IvrKey.key_id == match.group(1)))
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret_sha256, _digest(match.group(2))):
        return None
    return row


# ------------------------------------------------------------------------- rate limit


def count_statement(session: Session, ivr_key_id: int, minute: int, n: int) -> Any:
    """The upsert adding ``n`` requests to the key's ``minute`` (epoch seconds // 60)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(IvrRateWindow).values(ivr_key_id=ivr_key_id, minute=minute, count=n)
    return stmt.on_conflict_do_update(index_elements=["ivr_key_id", "minute"],
                                      set_={"count": IvrRateWindow.count + n}
                                      ).returning(IvrRateWindow.count)


def count_requests(session: Session, ivr_key_id: int, minute: int, n: int) -> int:
    """Add ``n`` requests to the key's count for ``minute``; the count they make together
    with every other worker's and replica's."""
    return int(session.scalar(count_statement(session, ivr_key_id, minute, n)) or 0)


def prune_windows(session: Session, now: datetime) -> int:
    minute = int(now.timestamp()) // 60
    result = session.execute(delete(IvrRateWindow).where(IvrRateWindow.minute < minute - 1))
    return int(result.rowcount)  # type: ignore[attr-defined]


# ------------------------------------------------------------------------- idempotency


def request_digest(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def claim_idempotency(session: Session, ivr_key_id: int, key: str, digest: str,
                      now: datetime) -> IvrIdempotency | None:
    """Reserve ``key`` for this request (None), or the row of the request that has it.

    On PostgreSQL a concurrent first request holds the unique index entry until it
    commits; this insert waits for it and then finds its row.
    """
    try:
        with session.begin_nested():
            session.add(IvrIdempotency(ivr_key_id=ivr_key_id, key=key, request_sha256=digest,
                                       status=0, body={}, created_at=now))
        return None
    except IntegrityError:
        return session.scalar(select(IvrIdempotency).where(
            IvrIdempotency.ivr_key_id == ivr_key_id, IvrIdempotency.key == key))


def remember(session: Session, ivr_key_id: int, key: str, digest: str, status: int,
             body: dict[str, Any], now: datetime) -> None:
    """Store the answer under ``key`` (reserved earlier in this transaction, or not)."""
    row = session.scalar(select(IvrIdempotency).where(
        IvrIdempotency.ivr_key_id == ivr_key_id, IvrIdempotency.key == key))
    if row is None:
        session.add(IvrIdempotency(ivr_key_id=ivr_key_id, key=key, request_sha256=digest,
                                   status=status, body=body, created_at=now))
    else:
        row.status, row.body = status, body


def prune_idempotency(session: Session, before: datetime) -> int:
    result = session.execute(delete(IvrIdempotency).where(IvrIdempotency.created_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
