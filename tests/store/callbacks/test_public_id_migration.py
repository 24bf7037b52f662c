"""Revision 0012 on a database holding callbacks and their events: each callback gets an
opaque public id of its own, and nothing else changes (its events stay); undone, the
callbacks and events are still there."""

from __future__ import annotations

from sqlalchemy import text

from store import migrate
from store.callbacks.bookings import PUBLIC_ID
from tests.conftest import Database

AT = "2026-11-30 12:00:00"


def test_existing_callbacks_get_a_public_id_and_keep_their_events(empty_db: Database) -> None:
    engine = empty_db.engine
    migrate.upgrade(engine, "0010")
    with engine.begin() as conn:
        for n in range(1, 4):
            conn.execute(text(
                "INSERT INTO callback (phone, queue, pool, slot_start, requested_for, due_at, "
                "status, attempts, data, source, created_by, created_at) VALUES (:phone, "
                "'support', 'queue:support', :at, :at, :at, 'scheduled', 0, '{}', 'ivr', "
                "'ivr:dialer', :at)"), {"phone": f"+3461200000{n}", "at": AT})
            conn.execute(text("INSERT INTO callback_event (callback_id, at, kind, actor) "
                              "VALUES (:n, :at, 'requested', 'ivr:dialer')"), {"n": n, "at": AT})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        ids = [row[0] for row in conn.execute(text("SELECT public_id FROM callback"))]
        events = conn.execute(text("SELECT count(*) FROM callback_event")).scalar()
    assert len(ids) == len(set(ids)) == 3 and all(PUBLIC_ID.fullmatch(i) for i in ids)
    assert events == 3
    migrate.downgrade(engine, "0010")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM callback")).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM callback_event")).scalar() == 3
