"""GET /calendar/<token>.ics: a genuine token gives the person's turns; a forged or
revoked one is a 404."""

from __future__ import annotations

import io

from icalendar import Calendar

from bot.app import create_app
from bot.cli.main import main
from commands.core import Services
from commands.shifts.calendar_feed import feed_url
from store.db import reading
from store.team import people
from testing.timetable import import_week
from tests.conftest import Database, make_settings


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
