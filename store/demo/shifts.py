"""The demo timetable: turns 09:00, 10:15, 11:30, 12:45, 14:00 on weekdays with three
lines, and the demo agents rotating over them in the current and the next week."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from store.shifts import timetable
from store.shifts.timetable_io import DAY_CODES, Week, import_weeks
from store.team import people
from store.team.people import Role

HOURS = (time(9, 0), time(10, 15), time(11, 30), time(12, 45), time(14, 0))
LINES = ("T1", "T2", "T3")


def load_demo_timetable(session: Session, now: datetime) -> None:
    agents = [p.key for p in people.with_role(session, Role.AGENT)]
    if not agents:
        return
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    weeks = []
    for offset in (0, 7):
        week = Week(monday + timedelta(days=offset), list(DAY_CODES[:5]), list(HOURS),
                    list(LINES))
        for d, code in enumerate(week.days):
            for t in range(len(HOURS) - 1):
                for n in range(len(LINES)):
                    week.cells[(code, t, n)] = agents[(d * 2 + t * len(LINES) + n) % len(agents)]
        weeks.append(week)
    import_weeks(session, weeks, now, label="demo")
    if not timetable.turn_definitions(session):
        timetable.replace_turn_definitions(session, [
            {"weekday": day, "start": HOURS[t], "end": HOURS[t + 1], "lines": len(LINES)}
            for day in range(5) for t in range(len(HOURS) - 1)])
