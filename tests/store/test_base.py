from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from store.db import make_sessionmaker, transaction
from store.team.audit import AuditEntry
from tests.conftest import Database


def test_times_go_in_aware_and_come_back_aware_in_utc(db: Database) -> None:
    sessions = make_sessionmaker(db.engine)
    local = datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    with transaction(sessions) as session:
        session.add(AuditEntry(at=local, platform="console", user_ref="x", text="t",
                               outcome="ok", duration_ms=1))
    with transaction(sessions) as session:
        stored = session.scalar(select(AuditEntry.at))
    assert stored == local and stored is not None and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def test_naive_times_are_refused(db: Database) -> None:
    sessions = make_sessionmaker(db.engine)
    with pytest.raises(Exception, match="naive datetime"), transaction(sessions) as session:
        session.add(AuditEntry(at=datetime(2026, 1, 1), platform="console",  # noqa: DTZ001
                               user_ref="x", text="t", outcome="ok", duration_ms=1))
        session.flush()
