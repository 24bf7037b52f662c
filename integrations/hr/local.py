"""The ``local`` HR backend: absences kept in the store, holidays from the ``holidays``
library plus the company's no-service days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.orm import Session, sessionmaker

from integrations.hr.base import Leave, PublicHoliday
from store.db import reading
from store.shifts import absences
from store.shifts.absences import LOCAL
from store.shifts.calendar_days import public_holidays
from store.team import people


class LocalHr:
    name = "local"

    def __init__(self, sessions: sessionmaker[Session], tz: tzinfo, country: str = "",
                 subdiv: str = "") -> None:
        self.sessions = sessions
        self.tz = tz
        self.country = country
        self.subdiv = subdiv

    def leaves(self, start: date, end: date) -> list[Leave]:
        begin = datetime.combine(start, time(), self.tz)
        finish = datetime.combine(end + timedelta(days=1), time(), self.tz)
        with reading(self.sessions) as session:
            rows = [r for r in absences.overlapping(session, begin, finish)
                    if r.source == LOCAL]
            emails = {p.id: p.email for p in people.all_people(session)}
        return [Leave(email=(emails.get(r.person_id) or "").lower(), starts=r.starts,
                      ends=r.ends, kind=r.kind, external_id=f"local:{r.id}")
                for r in rows if emails.get(r.person_id)]

    def public_holidays(self, start: date, end: date) -> list[PublicHoliday]:
        found = {d: n for d, n in public_holidays(self.country, self.subdiv, start, end)}
        with reading(self.sessions) as session:
            for row in absences.no_service_days(session, start, end):
                found.setdefault(row.day, row.name)
        return [PublicHoliday(d, found[d]) for d in sorted(found)]
