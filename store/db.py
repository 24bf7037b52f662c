"""Engines and sessions. SQLite gets WAL and foreign keys; PostgreSQL goes through psycopg 3.

Two kinds of unit of work:

- ``transaction(sessions)`` may write. On SQLite it opens with ``BEGIN IMMEDIATE``, taking
  the write lock up front so two writers queue instead of one failing half-way with
  "database is locked" (SQLite's answer to ``SELECT … FOR UPDATE``).
- ``reading(sessions)`` only reads. On SQLite it opens with a plain (deferred) ``BEGIN``:
  under WAL a reader never waits for a writer nor holds one up. A flush inside it raises,
  so a write cannot slip into a read-only unit of work.

PostgreSQL connections are checked with a round trip only after they sat idle in the pool
(``IDLE_PING_SECONDS``), not on every checkout; a connection that fails that check is
replaced before anyone uses it.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, Select, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

READ_ONLY = "switchboard_read_only"
IDLE_PING_SECONDS = 30.0  # a pooled PostgreSQL connection idle longer is pinged first
POOL_RECYCLE_SECONDS = 1800  # and none is reused after half an hour (server/proxy timeouts)
# An IN list longer than this costs more to send (the driver rewrites a statement of a
# thousand parameters every time it runs) than reading what the rest of the WHERE clause
# picks and dropping the other rows in Python: ``among`` leaves such a list out.
IN_LIST_MAX = 200
_Query = TypeVar("_Query", bound="Select[Any]")


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        options: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if memory:
            options["poolclass"] = StaticPool
        options.update(kwargs)
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    options = {"pool_recycle": POOL_RECYCLE_SECONDS, **kwargs}
    engine = create_engine(url, **options)
    event.listen(engine, "checkin", _mark_idle)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would defer BEGIN; we issue it ourselves (below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Under WAL, NORMAL is durable against application crashes and never corrupts; only a
    # power loss may take back the last transactions. FULL would fsync every commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _mark_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    try:
        _ping(dbapi_connection)
    except Exception as exc:  # the pool replaces the connection and tries again
        log.info("a pooled database connection was dropped (%s); reconnecting", exc)
        raise DisconnectionError(str(exc)) from exc


def _ping(dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SELECT 1")
    cursor.close()
    dbapi_connection.rollback()


def among(query: _Query, column: ColumnElement[Any] | QueryableAttribute[Any],
          values: set[Any]) -> _Query:
    """``query`` narrowed to ``column IN values`` when the list is short; unchanged when it
    is longer than IN_LIST_MAX, and the caller keeps only the rows whose ``column`` is in
    ``values`` (it does either way)."""
    if len(values) > IN_LIST_MAX:
        return query
    return query.where(column.in_(sorted(values)))


def one_at_a_time(session: Session, key: int) -> None:
    """Until the transaction ends, no other transaction that names ``key`` gets past this
    call: a PostgreSQL advisory lock, which waits. (SQLite's ``BEGIN IMMEDIATE`` already
    lets one writer in at a time.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: objects read in a transaction stay readable after it,
    # e.g. the asker's Person carried in the command Context.
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work that may write: commit on success, roll back on any exception.

    On SQLite the threads of one process take turns through a lock of their own before
    ``BEGIN IMMEDIATE``: waiting on SQLite's busy handler instead means sleeping in growing
    steps (up to 100 ms) while the lock is free, which made the tail latency of concurrent
    writes ten times their cost. Other processes still meet at SQLite's own lock."""
    bind = sessions.kw.get("bind")
    lock = _writer_lock(bind) if isinstance(bind, Engine) else None
    if lock is None:
        with sessions() as session, session.begin():
            yield session
        return
    with lock, sessions() as session, session.begin():
        yield session


_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_WRITER_LOCKS_GUARD = threading.Lock()


def _writer_lock(engine: Engine) -> threading.RLock | None:
    if engine.dialect.name != "sqlite":
        return None
    with _WRITER_LOCKS_GUARD:
        lock = _WRITER_LOCKS.get(engine)
        if lock is None:
            lock = _WRITER_LOCKS[engine] = threading.RLock()
        return lock


@contextmanager
def reading(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work that only reads: no write lock on SQLite; a flush raises."""
    with sessions() as session, session.begin():
        session.info[READ_ONLY] = True
        session.connection(execution_options={READ_ONLY: True})
        yield session


@event.listens_for(Session, "before_flush")
def _refuse_writes_when_reading(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise RuntimeError("a write inside store.db.reading(); use store.db.transaction()")


def optimize(engine: Engine) -> None:
    """Keep the query planner's statistics fresh: ``PRAGMA optimize`` on SQLite (cheap; it
    analyses only tables whose statistics went stale), ``ANALYZE`` is autovacuum's job on
    PostgreSQL. Run at start-up and daily."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.execute(text("PRAGMA optimize=0x10002"))
        conn.commit()
