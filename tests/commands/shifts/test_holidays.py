"""A public holiday that the timetable plans people on is served as planned; the
coordinators are asked once to keep it or close it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, select

from bot.render.text import render_text
from commands.core import COORDINATORS, Reply, Services
from commands.shifts.change import boundaries, notice, set_queue
from commands.shifts.day_plan import service_windows
from commands.shifts.holidays import warn_week
from integrations.clock import FixedClock
from integrations.pbx.sim.backend import SimPbx
from store.db import reading, transaction
from store.messaging.outbox import OutboxMessage
from store.shifts.absences import HR, add_no_service_day
from testing.timetable import import_week
from tests.conftest import MADRID, Chat

MONDAY = date(2019, 10, 28)
ALL_SAINTS = date(2019, 11, 1)  # a Friday; a public holiday in Spain (HOLIDAYS_COUNTRY=ES)

# A week as Tomàtic writes it, with people on All Saints' Day (Friday) and a festiu
# Thursday.
WEEK = """\
week: '2019-10-28'
days: [dl, dm, dx, dj, dv]
hours: ['09:00', '10:15', '11:30', '12:45', '14:00']
turns: [T1, T2]
timetable:
  dl:
  - [alice, bruno]
  - [chen, diego]
  - [elena, ningu]
  - [farah, gael]
  dm:
  - [hana, alice]
  - [bruno, chen]
  - [ningu, ningu]
  - [diego, elena]
  dx:
  - [alice, chen]
  - [bruno, diego]
  - [elena, farah]
  - [gael, hana]
  dj:
  - [festiu, festiu]
  - [festiu, festiu]
  - [festiu, festiu]
  - [festiu, festiu]
  dv:
  - [alice, bruno]
  - [chen, diego]
  - [elena, ningu]
  - [farah, alice]
names: {alice: Alícia}
"""
WARNING = ("Fri 1 Nov is a public holiday (All Saints' Day) and the timetable has 6 people "
           "on it. It will be served as planned unless you close it.")


def warnings(services: Services) -> list[tuple[str, str, str]]:
    with reading(services.sessions) as session:
        rows = session.scalars(select(OutboxMessage).where(
            OutboxMessage.key.like("planned-holiday:%")).order_by(OutboxMessage.id))
        return [(r.key, r.target, render_text(Reply.from_dict(r.body))) for r in rows]


def test_a_public_holiday_with_people_in_the_timetable_is_served(
        chat: Chat, demo: Services, clock: FixedClock) -> None:
    assert demo.settings.holidays_country == "ES"
    import_week(demo, WEEK)
    reply = chat.say("alice", "/onshift 2019-11-01 09:07")
    assert reply.startswith("On shift: Fri 01 Nov, turn 1 (09:00–10:15): Alice Agent, "
                            "Bruno Agent."), reply
    day = chat.say("alice", "/onshift 2019-11-01")
    assert day.startswith("Shifts on Fri 01 Nov 2019: 4 turns"), day
    assert "Farah Agent (T1)" in chat.say("alice", "/onshift 2019-11-01 13:00")
    # The festiu Thursday stays closed; a public holiday without a timetable too.
    assert "has no service: a holiday in the timetable (festiu)" in chat.say(
        "alice", "/onshift 2019-10-31 09:07")
    assert chat.say("alice", "/onshift 2019-12-06 10:00") == (
        "Fri 06 Dec has no service: Constitution Day (public holiday). Nobody is on shift.")
    with reading(demo.sessions) as session:
        windows = service_windows(session, demo.settings, ALL_SAINTS, ALL_SAINTS)
    assert windows == [(datetime(2019, 11, 1, 9, 0, tzinfo=MADRID),
                        datetime(2019, 11, 1, 14, 0, tzinfo=MADRID))]


def test_the_shift_change_serves_a_planned_public_holiday(demo: Services,
                                                          clock: FixedClock) -> None:
    import_week(demo, WEEK)
    first = datetime(2019, 11, 1, 9, 0, tzinfo=MADRID)
    assert boundaries(demo, ALL_SAINTS)[0] == first
    clock.set(first - timedelta(minutes=5))
    report = notice(demo, first)
    assert report.skipped is None and report.incoming == ["alice", "bruno"]
    clock.set(first)
    assert set_queue(demo, first).queue == ["211", "212"]
    assert isinstance(demo.pbx, SimPbx)
    assert sorted(m.extension for m in demo.pbx.queue_status()) == ["211", "212"]


def test_a_company_or_hr_no_service_day_still_closes_a_planned_day(chat: Chat,
                                                                  demo: Services) -> None:
    import_week(demo, WEEK)
    with transaction(demo.sessions) as session:
        add_no_service_day(session, ALL_SAINTS, "Tots Sants", HR)
    assert chat.say("alice", "/onshift 2019-11-01 09:07") == (
        "Fri 01 Nov has no service: All Saints' Day (public holiday). Nobody is on shift.")
    assert set_queue(demo, datetime(2019, 11, 1, 9, 0, tzinfo=MADRID)).skipped == (
        "All Saints' Day (public holiday)")
    with transaction(demo.sessions) as session:
        add_no_service_day(session, date(2019, 10, 30), "Company party")
    assert chat.say("alice", "/onshift 2019-10-30 09:07") == (
        "Wed 30 Oct has no service: Company party. Nobody is on shift.")


def test_coordinators_are_asked_once_to_keep_or_close_it(chat: Chat, demo: Services,
                                                         clock: FixedClock) -> None:
    clock.set(datetime(2019, 10, 20, 10, 0, tzinfo=MADRID))
    import_week(demo, WEEK)
    for _ in range(2):  # imported twice: one warning
        with transaction(demo.sessions) as session:
            assert [h.day for h in warn_week(session, demo, MONDAY)] == [ALL_SAINTS]
    [(key, target, text)] = warnings(demo)
    assert (key, target) == ("planned-holiday:2019-11-01", COORDINATORS)
    assert text.startswith(WARNING)
    assert "[Keep the plan: /holiday keep 2019-11-01]" in text
    assert "[Close the day: /holiday close 2019-11-01]" in text
    # Closing makes it a company no-service day; keeping reopens it and ends the asking.
    assert chat.say("alice", "/holiday close 2019-11-01").startswith(
        "Sorry, /holiday is for coordinators and above")
    assert chat.say("carla", "/holiday close 2019-11-01") == (
        "Fri 01 Nov 2019 (All Saints' Day) is closed: no service, no shift notices, the "
        "queue is not set. /holiday keep reopens it.")
    assert "has no service: All Saints' Day" in chat.say("alice", "/onshift 2019-11-01 09:07")
    assert chat.say("carla", "/holiday keep 2019-11-01") == (
        "Fri 01 Nov 2019 (All Saints' Day) reopened and kept: it is served as the timetable "
        "plans it. I won't ask about it again.")
    assert "Alice Agent, Bruno Agent" in chat.say("alice", "/onshift 2019-11-01 09:07")
    with transaction(demo.sessions) as session:  # the warning is long gone (pruned) …
        session.execute(delete(OutboxMessage))
    chat.say("carla", "/assign 2019-11-01 3 T2 @hana")  # … and an edit does not ask again
    with transaction(demo.sessions) as session:
        assert warn_week(session, demo, MONDAY) == []
    assert warnings(demo) == []
    assert "is not a public holiday in ES" in chat.say("carla", "/holiday keep 2019-10-29")
    assert "Usage: /holiday" in chat.say("carla", "/holiday open 2019-11-01")
    assert "is not a date" in chat.say("carla", "/holiday keep 2019-02-30")


def test_an_edit_that_puts_people_on_a_public_holiday_asks(chat: Chat,
                                                          demo: Services) -> None:
    # Tue 8 Dec 2026 has no timetable: its turn definitions give it turns.
    assert chat.say("carla", "/assign 2026-12-08 1 T1 @gael") == (
        "Tue 08 Dec, turn 1 (09:00–10:15), line T1: nobody → Gael Agent (that day had no "
        "service: Immaculate Conception (public holiday); now it has).")
    assert "Gael Agent" in chat.say("alice", "/onshift 2026-12-08 09:30")
    [(key, _, text)] = warnings(demo)
    assert key == "planned-holiday:2026-12-08"
    assert text.startswith("Tue 8 Dec is a public holiday (Immaculate Conception) and the "
                           "timetable has 1 person on it.")
    chat.say("carla", "/swap @gael @hana 2026-12-08 1")
    assert len(warnings(demo)) == 1


def test_past_holidays_are_not_asked_about(demo: Services) -> None:
    import_week(demo, WEEK)  # the clock is in 2026
    with transaction(demo.sessions) as session:
        assert warn_week(session, demo, MONDAY) == []
    assert warnings(demo) == []
