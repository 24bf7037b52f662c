"""One scheduler leader at a time, however many processes run.

- PostgreSQL: a session-level advisory lock held on a connection of its own (not from
  the pool, autocommit), re-checked before each run. When the leader's process dies its
  session ends and the lock is free at once; when its network dies, TCP keepalives (set
  on both ends from LEADER_TTL_SECONDS) end the session within that time. Followers try
  to take the lock on every tick, so one of them takes over within LEADER_TTL_SECONDS.
  The lock's key is derived from the database and schema, so two deployments (or two
  test schemas) on one server do not block each other.
- SQLite: one process per database file, ensured with an exclusive ``flock`` on
  ``<database>.scheduler.lock``; an in-memory database has one process by definition.
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from typing import IO, Any, Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

LOCK_CLASS = 0x5342  # "SB": the first half of the advisory lock key


class Leadership(Protocol):
    def is_leader(self) -> bool:
        """True while this process leads; tries to become leader when it does not."""
        ...

    def release(self) -> None: ...


class Solo:
    """Always the leader (an in-memory database: only this process can see it)."""

    def is_leader(self) -> bool:
        return True

    def release(self) -> None:
        return None


class FileLock:
    def __init__(self, path: str) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    def is_leader(self) -> bool:
        if self._handle is not None:
            return True
        handle = open(self.path, "ab")  # noqa: SIM115 - held open for as long as we lead
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        log.info("this process is the scheduler leader (file lock %s)", self.path)
        return True

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class AdvisoryLock:
    def __init__(self, url: str, ttl_seconds: int, *, engine: Engine | None = None) -> None:
        self.ttl = max(2, ttl_seconds)
        idle = max(1, self.ttl // 3)
        interval = max(1, self.ttl // 6)
        connect_args: dict[str, Any] = {
            "keepalives": 1, "keepalives_idle": idle, "keepalives_interval": interval,
            "keepalives_count": 2, "tcp_user_timeout": self.ttl * 1000 // 2,
            "connect_timeout": max(2, self.ttl // 3)}
        self.engine = engine or create_engine(url, poolclass=NullPool,
                                              connect_args=connect_args)
        self._conn: Connection | None = None
        self._held = False
        self._key = 0
        self._where = ""

    def is_leader(self) -> bool:
        conn = self._conn or self._connect()
        if conn is None:
            return False
        try:
            if self._held:
                self._held = bool(conn.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND classid = :c AND objid = :o "
                    "AND objsubid = 2 AND granted"), {"c": LOCK_CLASS, "o": self._key}
                ).scalar())
                if not self._held:
                    log.warning("the scheduler lock is no longer held; stepping down")
                return self._held
            signed = self._key - (1 << 32) if self._key >= 1 << 31 else self._key  # int4
            self._held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:c, :o)"),
                                           {"c": LOCK_CLASS, "o": signed}).scalar())
        except Exception as exc:
            log.warning("lost the scheduler lock's connection (%s); stepping down", exc)
            self._drop()
            return False
        if self._held:
            log.info("this process is the scheduler leader (advisory lock on %s)", self._where)
        return self._held

    def _connect(self) -> Connection | None:
        """The lock's own connection (kept open while following too, so that asking again
        costs one round trip)."""
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except Exception as exc:
            log.warning("cannot reach the database to lead the scheduler: %s", exc)
            return None
        try:
            idle, interval = max(1, self.ttl // 3), max(1, self.ttl // 6)
            for setting, value in (("tcp_keepalives_idle", idle),
                                   ("tcp_keepalives_interval", interval),
                                   ("tcp_keepalives_count", 2)):
                conn.execute(text(f"SET {setting} = {int(value)}"))
            self._where = str(conn.execute(
                text("SELECT current_database() || '.' || current_schema()")).scalar())
        except Exception as exc:
            log.warning("could not prepare the scheduler lock's connection: %s", exc)
            conn.close()
            return None
        self._key = zlib.crc32(self._where.encode())
        self._conn = conn
        return conn

    def _drop(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None:
            try:
                conn.close()
            except Exception:  # a dead connection may fail to close; it is gone either way
                log.debug("closing the lost lock connection failed", exc_info=True)

    def release(self) -> None:
        """Give up leadership (closing the session frees the lock)."""
        self._drop()

    def dispose(self) -> None:
        self.release()
        self.engine.dispose()


def leadership_for(database_url: str, ttl_seconds: int) -> Leadership:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = url.database
        if path in (None, "", ":memory:"):
            return Solo()
        return FileLock(os.path.abspath(path) + ".scheduler.lock")
    return AdvisoryLock(database_url, ttl_seconds)
