"""Free callback capacity: which 30-minute intervals of a pool can still take a callback.

A day's capacity comes from, in order: the pool's date override (closed, or another
template); the calendar (public holidays and company no-service days, as the shifts
capability knows them); the pool's weekly schedule. Global rules then keep only
what can be booked now: not before ``now + CALLBACK_MIN_LEAD_MINUTES``, not after the
last day of the horizon (today + ``CALLBACK_HORIZON_DAYS``, in the team's time zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.orm import Session

from store.callbacks import capacity as cap
from store.callbacks.capacity import CapacityPool
from store.shifts.calendar_days import closed_days

STEP = timedelta(minutes=cap.INTERVAL_MINUTES)


@dataclass(frozen=True)
class Interval:
    start: datetime  # in the team's time zone
    capacity: int
    booked: int

    @property
    def end(self) -> datetime:
        return self.start + STEP

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


@dataclass(frozen=True)
class Rules:
    tz: tzinfo
    horizon_days: int
    lead_minutes: int
    # Public holidays close a day (HOLIDAYS_COUNTRY / HOLIDAYS_SUBDIV), as do company
    # no-service days; an empty country means no public holidays.
    holidays_country: str = ""
    holidays_subdiv: str = ""

    def earliest(self, now: datetime) -> datetime:
        return now + timedelta(minutes=self.lead_minutes)

    def last_day(self, now: datetime) -> date:
        return now.astimezone(self.tz).date() + timedelta(days=self.horizon_days)


def local_start(day: date, hhmm: str, tz: tzinfo) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def interval_start(when: datetime, tz: tzinfo) -> datetime:
    """The start of the 30-minute interval holding ``when``, in local time."""
    local = when.astimezone(tz)
    minute = local.minute - local.minute % cap.INTERVAL_MINUTES
    return datetime.combine(local.date(), time(local.hour, minute), tzinfo=tz)


class PoolCalendar:
    """One pool's capacity and bookings over [first, last], read in five queries (four
    with ``bookings=False``: capacity only, what a booking needs)."""

    def __init__(self, session: Session, pool: CapacityPool, first: date, last: date,
                 rules: Rules, *, bookings: bool = True) -> None:
        self.session = session
        self.pool = pool
        self.tz = tz = rules.tz
        # Days without service beyond the pool's own overrides: public holidays and company
        # no-service days (the shifts calendar), read once for the whole range.
        self.calendar_closed = closed_days(session, rules.holidays_country,
                                           rules.holidays_subdiv, first, last)
        self.week = cap.week_days(session, pool.week_id)
        self.templates = cap.templates(session)
        self.overrides = cap.overrides(session, pool.id, first, last)
        start = datetime.combine(first, time(0), tzinfo=tz)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
        self.booked = cap.booked_between(session, pool.key, start, end) if bookings else {}

    def template(self, day: date) -> dict[str, int] | None:
        """The day's capacity per interval start; None when the day is closed or has none."""
        override = self.overrides.get(day)
        if override is not None:
            if override.closed or override.template_id is None:
                return None
            return self.templates[override.template_id].slots
        if day in self.calendar_closed:
            return None
        template_id = self.week.get(day.weekday())
        return None if template_id is None else self.templates[template_id].slots

    def day(self, day: date) -> list[Interval]:
        """Every interval of the day with capacity, booked or not, past or not."""
        slots = self.template(day) or {}
        found = []
        for hhmm, capacity in sorted(slots.items()):
            if capacity <= 0:
                continue
            start = local_start(day, hhmm, self.tz)
            found.append(Interval(start, capacity, self.booked.get(start, 0)))
        return found

    def closed(self, day: date) -> bool:
        override = self.overrides.get(day)
        return bool(override is not None and override.closed) or (
            override is None and day in self.calendar_closed)


def bookable(calendar: PoolCalendar, day: date, now: datetime, rules: Rules
             ) -> list[Interval]:
    """The day's intervals that can be booked now (free or full), by start."""
    if day > rules.last_day(now):
        return []
    earliest = rules.earliest(now)
    return [i for i in calendar.day(day) if i.start >= earliest]


def days_ahead(now: datetime, rules: Rules) -> list[date]:
    today = now.astimezone(rules.tz).date()
    return [today + timedelta(days=n) for n in range(rules.horizon_days + 1)]


def calendar_for(session: Session, pool: CapacityPool, now: datetime, rules: Rules
                 ) -> PoolCalendar:
    days = days_ahead(now, rules)
    return PoolCalendar(session, pool, days[0], days[-1], rules)


def next_days_with_room(session: Session, pool: CapacityPool, now: datetime, rules: Rules,
                        count: int = 3) -> list[tuple[date, list[Interval]]]:
    """The first ``count`` days of the horizon with any free place, with their intervals."""
    calendar = calendar_for(session, pool, now, rules)
    found = []
    for day in days_ahead(now, rules):
        intervals = bookable(calendar, day, now, rules)
        if any(i.free for i in intervals):
            found.append((day, intervals))
            if len(found) == count:
                break
    return found


def free_after(session: Session, pool: CapacityPool, when: datetime, now: datetime,
               rules: Rules, count: int = 3) -> list[Interval]:
    """The next ``count`` free intervals starting after ``when``."""
    calendar = calendar_for(session, pool, now, rules)
    found = []
    for day in days_ahead(now, rules):
        for interval in bookable(calendar, day, now, rules):
            if interval.start > when and interval.free:
                found.append(interval)
                if len(found) == count:
                    return found
    return found


def nearest_free(session: Session, pool: CapacityPool, when: datetime, now: datetime,
                 rules: Rules, count: int = 3) -> list[Interval]:
    """The ``count`` free intervals closest to ``when`` (before or after), by start."""
    calendar = calendar_for(session, pool, now, rules)
    free = [i for day in days_ahead(now, rules) for i in bookable(calendar, day, now, rules)
            if i.free]
    closest = sorted(free, key=lambda i: abs((i.start - when).total_seconds()))[:count]
    return sorted(closest, key=lambda i: i.start)
