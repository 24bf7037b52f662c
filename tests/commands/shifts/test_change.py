"""The boundary's queue change: pauses of people who stay are kept, absent people are not
added, and a PBX that refuses is reported to the coordinators once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from commands.core import Services
from commands.shifts.change import notice, set_queue
from integrations.clock import FixedClock
from integrations.pbx import MemberStatus, PbxError
from integrations.pbx.sim.backend import SimPbx
from store.db import reading, transaction
from store.messaging.outbox import OutboxMessage
from store.shifts.absences import Absence
from store.team import people
from testing.timetable import import_week
from tests.conftest import T0

TUESDAY_9 = T0 + timedelta(days=1)  # turn 1: hana (T1), alice (T2); turn 2: bruno, chen


def texts(services: Services) -> list[tuple[str, str]]:
    with reading(services.sessions) as session:
        return [(m.target, m.body["text"]) for m in session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id))]


def test_who_stays_keeps_the_pause_and_the_absent_are_left_out(demo: Services,
                                                               clock: FixedClock) -> None:
    import_week(demo)
    pbx = demo.pbx
    assert isinstance(pbx, SimPbx)
    pbx.set_members(["211", "212"])  # alice and bruno (Monday's first turn)
    pbx.pause("211", "lunch")
    with transaction(demo.sessions) as session:
        hana = people.by_key(session, "hana")
        assert hana is not None
        session.add(Absence(person_id=hana.id, starts=TUESDAY_9, kind="sick", source="local",
                            ends=TUESDAY_9 + timedelta(days=1)))
    clock.set(TUESDAY_9)
    report = set_queue(demo, TUESDAY_9)
    assert report.queue == ["211"]  # hana is absent
    [alice] = pbx.queue_status()
    assert (alice.extension, alice.paused, alice.pause_reason) == ("211", True, "lunch")
    assert texts(demo) == [("coordinators", "Queue set for turn 1 (09:00–10:15).\n"
                                             "Removed: Bruno Agent.")]
    assert set_queue(demo, TUESDAY_9).queue == ["211"]
    assert len(texts(demo)) == 1  # the same slot again: nothing new to say
    assert notice(demo, TUESDAY_9).absent == ["hana"]


def test_a_refusing_pbx_is_reported_once(demo: Services) -> None:
    import_week(demo)

    def refuse(extensions: object) -> None:
        raise PbxError("extension 218 does not exist", "unknown_extension")

    def members() -> list[MemberStatus]:
        return []

    demo.pbx.set_members = refuse  # type: ignore[method-assign,assignment]
    demo.pbx.queue_status = members  # type: ignore[method-assign]
    for _ in range(2):
        assert set_queue(demo, T0).error == "extension 218 does not exist"
    assert texts(demo) == [("coordinators", "I could NOT set the queue for turn 1 "
                            "(09:00–10:15): the PBX said: extension 218 does not exist. "
                            "Please set it by hand (/add, /remove).")]
