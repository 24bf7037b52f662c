"""A planning week from the store: which turns are blocked or negotiable, and each
person's prorated load and bound."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from commands.core import Services
from commands.shifts.planning.inputs import Options, build
from store.db import reading, transaction
from store.shifts.absences import Absence, add_no_service_day
from store.shifts.planning import AvailabilityRule
from store.shifts.timetable import replace_turn_definitions
from store.team.people import Person
from tests.conftest import MADRID, T0

MONDAY = date(2030, 1, 7)
HOURS = (time(9), time(10, 15), time(11, 30), time(12, 45), time(14))


def setup(services: Services) -> None:
    with transaction(services.sessions) as session:
        replace_turn_definitions(session, [
            {"weekday": d, "start": HOURS[t], "end": HOURS[t + 1], "lines": 2}
            for d in range(5) for t in range(4)])
        for key, load in (("anna", 5), ("pau", 5), ("joan", 5), ("marta", 3), ("nil", None)):
            session.add(Person(key=key, name=key.title(), ideal_load=load, created_at=T0))
        session.flush()
        ids = {p.key: p.id for p in session.query(Person)}
        session.add_all([
            # Weekly, hard, Mondays' first two turns: limits Anna, does not shrink her load.
            AvailabilityRule(person_id=ids["anna"], weekday=0, bits="1100", hard=True,
                             reason="school run", created_at=T0),
            # Dated, hard, all day: Pau has one working day less.
            AvailabilityRule(person_id=ids["pau"], day=MONDAY + timedelta(days=1), hard=True,
                             reason="medical", created_at=T0),
            # Dated, negotiable, all day: Pau's Wednesday is negotiable, his load stays.
            AvailabilityRule(person_id=ids["pau"], day=MONDAY + timedelta(days=2), hard=False,
                             reason="would rather not", created_at=T0),
        ])
        # Joan is away Thursday all day and Friday morning only.
        session.add(Absence(person_id=ids["joan"], kind="vacation", source="local",
                            starts=datetime.combine(MONDAY + timedelta(days=3), time(), MADRID),
                            ends=datetime.combine(MONDAY + timedelta(days=4), time(), MADRID)))
        session.add(Absence(person_id=ids["joan"], kind="leave", source="local", note="bank",
                            starts=datetime.combine(MONDAY + timedelta(days=4), time(9), MADRID),
                            ends=datetime.combine(MONDAY + timedelta(days=4), time(11), MADRID)))


def test_loads_are_prorated_by_whole_day_absences_only(services: Services) -> None:
    setup(services)
    with reading(services.sessions) as session:
        plan = build(session, services.settings, MONDAY, Options(max_overload=1))
    by_key = {w.key: w for w in plan.week.workers}
    assert sorted(by_key) == ["anna", "joan", "marta", "pau"]  # nil has no load
    anna, pau, joan, marta = (by_key[k] for k in ("anna", "pau", "joan", "marta"))
    assert (anna.prorated, anna.bound) == (5, 6)  # 5 + overload 1
    assert sorted(anna.blocked.values()) == ["hard-busy, 'school run'"] * 2
    assert (pau.working_days, pau.prorated, pau.bound) == (4, 4, 5)  # 5 × 4/5
    assert sorted(set(pau.reluctant.values())) == ["would rather not"]
    assert len(pau.reluctant) == 4  # Wednesday's four turns
    assert (joan.working_days, joan.prorated) == (4, 4)
    blocked = {plan.week.slots[s].label: why for s, why in joan.blocked.items()}
    assert blocked["Fri 09:00"] == "absent, leave ('bank')"
    assert blocked["Fri 10:15"] == "absent, leave ('bank')"
    assert "Fri 11:30" not in blocked and blocked["Thu 12:45"] == "absent, vacation"
    assert (marta.prorated, marta.bound) == (3, 4)


def test_a_closed_day_is_not_a_service_day_and_the_bound_keeps_to_availability(
        services: Services) -> None:
    setup(services)
    with transaction(services.sessions) as session:
        add_no_service_day(session, MONDAY + timedelta(days=4), "Festa major")
        marta = session.query(Person).filter_by(key="marta").one()
        marta.ideal_load = 20
        marta.max_per_day = 1
    with reading(services.sessions) as session:
        plan = build(session, services.settings, MONDAY, Options(lines=3))
    assert [c.why for c in plan.closed] == ["Festa major"]
    assert {s.day for s in plan.week.slots} == {MONDAY + timedelta(days=n) for n in range(4)}
    assert all(s.lines == 3 for s in plan.week.slots)
    by_key = {w.key: w for w in plan.week.workers}
    # 4 service days, one turn a day at most: the bound is 4 whatever the load.
    assert (by_key["marta"].prorated, by_key["marta"].bound) == (20, 4)
    # Joan's Thursday is a whole-day absence: 3 working days of 4.
    assert (by_key["joan"].working_days, by_key["joan"].prorated) == (3, 4)  # 3.75 → 4
