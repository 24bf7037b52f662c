"""One number that changes whenever data an in-process cache may hold changes.

``cache_version`` has a single row. Database triggers (migration 0009) add one to its
``version`` on every INSERT, UPDATE and DELETE of each table in ``WATCHED``, in the same
transaction as the change, so the new version becomes visible exactly when the change
does — whoever made it: this process, another worker, another replica, a migration or
someone with ``psql``. A cache that stores an answer together with the version read
*before* (or in the same snapshot as) the data it came from, and serves it only while a
fresh read of the version returns the same number, never serves an answer older than the
request: if the data had changed since, so would the version.

On PostgreSQL the triggers are deferred constraint triggers: the counter row is updated
(and locked) at commit, not at the first write, so concurrent bookings hold that lock
only for the moment of their commit. On SQLite, writers are serialised anyway.

Keep it true: a new table whose rows change what the IVR API's key check or its slots
answer say must be added to ``WATCHED`` and get its triggers in a migration; a migration
that rebuilds a watched table on SQLite (``batch_alter_table`` copies it) must create its
triggers again. ``tests/store/test_cache_version.py`` checks every watched table, on both
databases, at the latest revision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from store.base import Base
from store.db import READ_ONLY

ROW_ID = 1

# What the IVR API caches depends on: the keys (verification), the capacity plan and its
# counters, the callbacks, and the company no-service days (public holidays come from the
# settings, fixed until a restart).
WATCHED = (
    "ivr_key",
    "callback_template",
    "callback_week",
    "callback_week_day",
    "callback_pool",
    "callback_override",
    "callback_slot",
    "callback",
    "no_service_day",
)


class CacheVersion(Base):
    __tablename__ = "cache_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


READ = select(CacheVersion.version).where(CacheVersion.id == ROW_ID)


def current(session: Session) -> int:
    """The version as this transaction sees it (a primary-key read)."""
    # Core execution on the session's connection: a third of the ORM path's overhead, and
    # this runs on every IVR request.
    return _checked(session.connection().execute(READ).scalar())


def read(sessions: sessionmaker[Session]) -> int:
    """The version now, in a unit of work of its own. Read it before the data it stamps.

    It runs on every IVR request, so on a connection rather than an ORM session (a
    third of the cost). On SQLite in a read-only transaction (the deferred ``BEGIN`` of
    ``store.db.reading``: no write lock). On PostgreSQL as one statement in autocommit
    mode: a single statement sees one committed snapshot and takes no lock, and it is one
    round trip instead of three (BEGIN, SELECT, COMMIT).
    """
    engine = sessions.kw["bind"]
    options: dict[str, Any] = ({"isolation_level": "AUTOCOMMIT"}
                               if engine.dialect.name == "postgresql" else {READ_ONLY: True})
    with engine.connect().execution_options(**options) as conn:
        return _checked(conn.execute(READ).scalar())


def _checked(version: int | None) -> int:
    if version is None:
        raise RuntimeError("cache_version has no row: run `switchboard db upgrade`")
    return int(version)
