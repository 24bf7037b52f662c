"""Revision 0006 on a database with the old call records (the simulator's, from 0003)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from store import migrate
from store.base import UTCDateTime
from tests.conftest import T0, Database


def test_old_records_are_carried_over_and_open_sim_calls_are_ended(empty_db: Database) -> None:
    engine = empty_db.engine
    migrate.upgrade(engine, "0005")
    stamp = UTCDateTime().process_bind_param
    sqlite = engine.dialect.name == "sqlite"

    def at(minutes: int) -> object:
        value = stamp(T0 + timedelta(minutes=minutes), engine.dialect)
        return value.isoformat(sep=" ") if sqlite and value is not None else value

    rows = [
        ("support-000001", "completed", at(0), at(1), at(5), 60.0, 240.0, None, None),
        ("support-000002", "abandoned", at(2), None, at(3), 60.0, None, at(3), None),
        ("support-000003", "ringing", at(4), None, None, None, None, at(6), at(5)),
        ("support-000004", "answered", at(4), at(5), None, 60.0, None, at(9), at(8)),
    ]
    with engine.begin() as conn:
        for row in rows:
            conn.execute(text(
                "INSERT INTO call_record (source, call_id, queue, caller, entered_at, "
                "answered_at, ended_at, extension, outcome, wait_seconds, talk_seconds, "
                "patience_until, talk_until) VALUES ('sim', :id, 'support', '+34600112233', "
                ":entered, :answered, :ended, '211', :outcome, :wait, :talk, :patience, "
                ":talk_until)"),
                {"id": row[0], "outcome": row[1], "entered": row[2], "answered": row[3],
                 "ended": row[4], "wait": row[5], "talk": row[6], "patience": row[7],
                 "talk_until": row[8]})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        found = conn.execute(text(
            "SELECT call_id, outcome, wait_seconds, talk_seconds, ended_at IS NULL "
            "FROM call_record ORDER BY call_id")).all()
    assert [tuple(r) for r in found] == [
        ("support-000001", "answered", 60.0, 240.0, False),
        ("support-000002", "abandoned", 60.0, None, False),
        ("support-000003", "abandoned", 120.0, None, False),  # its caller's patience ran out
        ("support-000004", "answered", 60.0, 180.0, False),  # talked until its planned end
    ]
    migrate.downgrade(engine, "0005")
    with engine.connect() as conn:
        outcomes = conn.execute(text("SELECT outcome FROM call_record ORDER BY call_id"))
        assert [r[0] for r in outcomes] == ["completed", "abandoned", "abandoned", "completed"]
