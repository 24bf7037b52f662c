"""Units of work: reads take no write lock, writes inside a read are refused, and a pooled
PostgreSQL connection that died while idle is replaced before anyone uses it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from store import db as store_db
from store.db import make_sessionmaker, reading, transaction
from store.team.people import Person
from tests.conftest import T0, Database


def test_a_read_does_not_wait_for_a_writer(db: Database) -> None:
    sessions = make_sessionmaker(db.engine)
    with transaction(sessions) as writer:  # holds SQLite's write lock (BEGIN IMMEDIATE)
        writer.add(Person(key="zoe", name="Zoe", created_at=T0))
        writer.flush()
        with reading(make_sessionmaker(db.new_engine())) as reader:
            assert reader.scalar(select(func.count()).select_from(Person)) == 0


def test_a_write_inside_a_read_is_refused(db: Database) -> None:
    sessions = make_sessionmaker(db.engine)
    with pytest.raises(RuntimeError, match="write inside"), reading(sessions) as session:
        session.add(Person(key="zoe", name="Zoe", created_at=T0))
        session.flush()
    with reading(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0


def test_sqlite_runs_wal_with_normal_sync(db: Database) -> None:
    if db.backend != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_a_connection_dropped_while_idle_is_replaced(db: Database,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if db.backend != "postgresql":
        pytest.skip("PostgreSQL connection pool")
    engine = db.new_engine()
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with db.engine.connect() as admin:  # the server (or a proxy) drops the idle connection
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.commit()
    monkeypatch.setattr(store_db, "IDLE_PING_SECONDS", 0.0)  # it has been idle "long enough"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    engine.dispose()


def test_a_connection_back_from_a_request_is_not_pinged(db: Database,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if db.backend != "postgresql":
        pytest.skip("PostgreSQL connection pool")
    pings: list[object] = []
    monkeypatch.setattr(store_db, "_ping", pings.append)
    engine = db.new_engine()
    for _ in range(3):
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    assert pings == [] and not engine.pool._pre_ping  # no round trip per checkout
    monkeypatch.setattr(store_db, "IDLE_PING_SECONDS", 0.0)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert len(pings) == 1  # only a connection that sat idle is checked
    engine.dispose()


def test_sqlite_writers_of_one_process_take_turns_without_the_busy_handler(
        db: Database) -> None:
    """With SQLite's busy handler switched off, concurrent writers from threads of one
    process would fail at once with "database is locked"; they queue on the process's own
    lock instead (and so never sleep in the busy handler's growing steps)."""
    if db.backend != "sqlite":
        pytest.skip("SQLite's writer lock")
    import threading

    from sqlalchemy import event

    engine = db.new_engine()
    event.listen(engine, "connect",
                 lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=0"))
    sessions = make_sessionmaker(engine)
    failures: list[Exception] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        for i in range(25):
            try:
                with transaction(sessions) as session:
                    session.add(Person(key=f"w{n}-{i}", name="W", created_at=T0))
            except Exception as exc:  # "database is locked" without the process lock
                failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with reading(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 200
    engine.dispose()
