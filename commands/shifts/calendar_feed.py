"""A person's turns as an iCalendar feed, behind a signed, revocable link.

The link is ``{PUBLIC_URL}/calendar/<token>.ics``; the token (commands/links.py, purpose
``calendar``) carries the person's key and their feed version. ``switchboard calendar
revoke KEY`` bumps the version, so every link handed out before stops working; a forged
or revoked token finds nothing (the door answers 404).

Every time is local (``TZID`` = the team's zone), and the feed carries that zone's
``VTIMEZONE`` (RFC 5545 §3.2.19 asks for one per TZID used), built by the icalendar
library from the zone's own rules for the whole years the feed covers. The calendar's
name and the events' summaries are in the feed owner's language.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy.orm import Session

import commands.links as links
from commands.core import Config
from commands.shifts.day_plan import local
from store.i18n import _, speaking
from store.messaging import clockwork
from store.shifts.timetable import cells_of_person
from store.team import people
from store.team.people import Person

PURPOSE = "calendar"
PAST_DAYS, FUTURE_DAYS = 31, 120


def feed_url(session: Session, config: Config, person: Person) -> str:
    version = clockwork.feed_version(session, person.id)
    return links.url(config, PURPOSE, [person.key, version], suffix=".ics")


def person_of_token(session: Session, config: Config, token: str,
                    now: datetime) -> Person | None:
    """The person a genuine, unrevoked token names; None for anything else."""
    payload = links.read(config, PURPOSE, token, now)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], str)
            and isinstance(payload[1], int)):
        return None
    person = people.by_key(session, payload[0])
    if person is None or not person.active:
        return None
    if clockwork.feed_version(session, person.id) != payload[1]:
        return None
    return person


def build_feed(session: Session, config: Config, person: Person, now: datetime) -> bytes:
    today = now.astimezone(config.timezone).date()
    first, last = today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)
    cal = Calendar()
    cal.add("prodid", "-//Switchboard//shifts//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    with speaking(people.language_of(person)):
        name = _("Shifts: {name}").format(name=person.name)
        summary = _("Phone turn (line {line})")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", str(config.timezone))
    for cell in cells_of_person(session, person.id, first, last):
        event = Event()
        event.add("uid", f"{cell.day:%Y%m%d}-{cell.start:%H%M}-{cell.line}-{person.key}"
                         "@switchboard")
        event.add("dtstamp", now)
        event.add("dtstart", local(cell.day, cell.start, config))
        event.add("dtend", local(cell.day, cell.end, config))
        event.add("summary", summary.format(line=cell.line))
        cal.add_component(event)
    # The VTIMEZONE of each TZID the events use, from 1 January of the first year covered
    # to 1 January after the last; placed before the events.
    cal.add_missing_timezones(first_date=date(first.year, 1, 1),
                              last_date=date(last.year + 1, 1, 1))
    return bytes(cal.to_ical())
