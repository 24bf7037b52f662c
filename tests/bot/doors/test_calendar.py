"""GET /calendar/<token>.ics: a genuine token gives the person's turns; a forged or
revoked one is a 404."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from icalendar import Calendar, Component

from bot.app import create_app
from bot.cli.main import main
from commands.core import Services
from commands.shifts.calendar_feed import feed_url
from integrations.clock import FixedClock
from store.db import reading
from store.team import people
from testing.timetable import TOMATIC_WEEK, import_week
from tests.conftest import MADRID, Database, make_settings


def test_the_feed_and_its_revocation(db: Database, demo: Services) -> None:
    import_week(demo)
    settings = make_settings(DATABASE_URL=db.url, PUBLIC_URL="https://sb.example")
    client = create_app(settings, demo).test_client()
    with reading(demo.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None
        link = feed_url(session, settings, alice)
    assert link.startswith("https://sb.example/calendar/") and link.endswith(".ics")
    path = link.removeprefix("https://sb.example")
    answer = client.get(path)
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    events = [e for e in Calendar.from_ical(answer.data).walk("VEVENT")]
    starts = sorted(e.decoded("dtstart").isoformat() for e in events)
    assert "2026-11-23T09:00:00+01:00" in starts  # Monday turn 1, line T1
    assert "2026-11-24T09:00:00+01:00" in starts  # Tuesday turn 1, line T2
    assert all(e.decoded("dtend") > e.decoded("dtstart") for e in events)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/calendar/{forged}.ics").status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    out = io.StringIO()
    assert main(["calendar", "revoke", "alice"], environ={"DATABASE_URL": db.url},
                out=out, err=io.StringIO()) == 0
    assert "revoked every calendar link of alice" in out.getvalue()
    assert client.get(path).status_code == 404
    with reading(demo.sessions) as session:
        fresh = feed_url(session, settings, alice)
    assert fresh != link and client.get(fresh.removeprefix("https://sb.example")).status_code \
        == 200


def _onsets(zone: Component) -> list[tuple[datetime, timedelta, str]]:
    """(local onset, offset from then on, STANDARD|DAYLIGHT) of a VTIMEZONE, in order:
    each sub-component's DTSTART and RDATEs, read from the component itself."""
    found = []
    for rule in zone.subcomponents:
        offset = rule.decoded("tzoffsetto")
        dates = [rule.decoded("dtstart")]
        rdates = rule.get("rdate", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            dates += [period.dt for period in rdate.dts]
        found += [(d.replace(tzinfo=None), offset, rule.name) for d in dates]
    return sorted(found)


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def test_the_feed_defines_the_time_zone_of_its_times(db: Database, demo: Services,
                                                     clock: FixedClock) -> None:
    """RFC 5545 §3.2.19: a VTIMEZONE for every TZID used, here with the rules of the two
    years the feed covers (turns in winter time in 2026 and in summer time in 2027)."""
    import_week(demo)  # Mon 23 Nov 2026: winter time
    clock.set(datetime(2026, 12, 20, 9, 0, tzinfo=MADRID))
    import_week(demo, TOMATIC_WEEK.replace("week: '2026-11-23'", "week: '2027-03-29'"))
    settings = make_settings(DATABASE_URL=db.url, PUBLIC_URL="https://sb.example")
    with reading(demo.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None
        link = feed_url(session, settings, alice)
    answer = create_app(settings, demo).test_client().get(link.removeprefix(
        "https://sb.example"))
    assert answer.status_code == 200
    feed = Calendar.from_ical(answer.data)
    zones = {str(z["tzid"]): z for z in feed.walk("VTIMEZONE")}
    events = feed.walk("VEVENT")
    assert {e.decoded("dtstart").date().year for e in events} == {2026, 2027}
    for event in events:
        for name in ("dtstart", "dtend"):
            assert event[name].params["TZID"] in zones, (name, event[name].params)
    assert list(zones) == ["Europe/Madrid"]
    onsets = _onsets(zones["Europe/Madrid"])
    for year in (2026, 2027):  # Europe's rule: the last Sundays of March and October
        for month, offset, kind in ((3, 2, "DAYLIGHT"), (10, 1, "STANDARD")):
            assert [at for at, o, k in onsets if at.date() == _last_sunday(year, month)
                    and time(2) <= at.time() <= time(3)
                    and (o, k) == (timedelta(hours=offset), kind)], (year, month, onsets)
    summer = 0
    for event in events:
        local = event.decoded("dtstart").replace(tzinfo=None)
        offset = [o for at, o, _ in onsets if at <= local][-1]
        assert offset == event.decoded("dtstart").utcoffset() == \
            local.replace(tzinfo=MADRID).utcoffset(), local
        summer += offset == timedelta(hours=2)
    assert 0 < summer < len(events)
