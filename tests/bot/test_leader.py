"""One scheduler leader at a time: PostgreSQL advisory locks, SQLite file locks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.leader import AdvisoryLock, FileLock, Solo, leadership_for
from tests.conftest import Database


def test_one_leader_on_postgresql_and_a_dead_one_is_replaced(db: Database) -> None:
    if db.backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    a, b = AdvisoryLock(db.url, 30), AdvisoryLock(db.url, 30)
    try:
        assert a.is_leader() and not b.is_leader()
        assert a.is_leader() and not b.is_leader()  # re-checked, still the same
        # The leader's session is killed from outside (a crash, a network cut the server
        # noticed): it finds out before its next run, and the follower takes over.
        assert a._conn is not None
        pid = a._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as admin:  # waits (up to 10 s) until that session is gone
            assert admin.execute(text("SELECT pg_terminate_backend(:pid, 10000)"),
                                 {"pid": pid}).scalar()
        assert b.is_leader()
        assert not a.is_leader()
        b.release()  # a clean shutdown hands over at once
        assert a.is_leader()
    finally:
        a.dispose()
        b.dispose()


def test_two_schemas_do_not_block_each_other(db: Database) -> None:
    if db.backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    other = db.url.rsplit("search_path%3D", 1)[0] + "search_path%3Dpublic"
    a, b = AdvisoryLock(db.url, 30), AdvisoryLock(other, 30)
    try:
        assert a.is_leader() and b.is_leader()
    finally:
        a.dispose()
        b.dispose()


def test_one_process_per_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    a, b = leadership_for(url, 30), leadership_for(url, 30)
    assert isinstance(a, FileLock) and isinstance(b, FileLock)
    assert a.is_leader() and not b.is_leader()
    a.release()
    assert b.is_leader() and not a.is_leader()
    b.release()
    assert isinstance(leadership_for("sqlite://", 30), Solo)
    assert Solo().is_leader()
