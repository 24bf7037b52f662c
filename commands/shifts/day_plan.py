"""The plan of a day: its turns, who sits on each line, and whether there is service.

A day's turns are those of its timetable cells when it has any, else its weekday's turn
definitions. A day is closed (no service) on a company or HR no-service day, when every
cell of its timetable says ``festiu``, or on a public holiday (``HOLIDAYS_COUNTRY``) that
has no timetable. A timetable is the more specific fact: a public holiday whose timetable
has cells is served as they plan it (the coordinators are asked to keep or close it:
commands/shifts/holidays.py).

Other capabilities ask through the small functions at the end:

- ``no_service_reason(session, config, day)`` / ``is_service_day(...)``: is this a day
  without service (and why)?
- ``last_boundary(session, config, day)``: when the last turn of a service day ends;
- ``outside_turns(session, config, when)``: was this moment outside every turn (or on
  a day without service)?
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from commands.core import Config
from store.i18n import N_, _
from store.shifts import timetable
from store.shifts.calendar_days import closed_days, closed_reason
from store.shifts.timetable import HOLIDAY, TimetableCell
from store.team import people
from store.team.people import Person

HOLIDAY_IN_TIMETABLE = N_("a holiday in the timetable (festiu)")


# How store/shifts/calendar_days.py names a public holiday's reason: "{name} (public holiday)".
_PUBLIC_HOLIDAY = " (public holiday)"


def closed_text(reason: str) -> str:
    """Why a day has no service, as the reader reads it: ours translated; a holiday's or a
    company day's name as its source wrote it ("Tots Sants (festiu)")."""
    if reason == HOLIDAY_IN_TIMETABLE:
        return _(reason)
    if reason.endswith(_PUBLIC_HOLIDAY):
        return _("{name} (public holiday)").format(name=reason.removesuffix(_PUBLIC_HOLIDAY))
    return reason


@dataclass(frozen=True)
class Turn:
    day: date
    number: int  # 1-based, in the day's order
    start: datetime
    end: datetime
    lines: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def contains(self, when: datetime) -> bool:
        return self.start <= when < self.end


@dataclass(frozen=True)
class Seat:
    turn: Turn
    line: str
    status: str  # person | nobody | holiday
    person: Person | None


@dataclass(frozen=True)
class DayPlan:
    day: date
    turns: tuple[Turn, ...]
    seats: tuple[Seat, ...]
    closed: str | None  # why there is no service, or None
    has_timetable: bool

    @property
    def open(self) -> bool:
        return self.closed is None and bool(self.turns)

    def turn_at(self, when: datetime) -> Turn | None:
        return next((t for t in self.turns if t.contains(when)), None)

    def seats_of(self, turn: Turn) -> list[Seat]:
        return [s for s in self.seats if s.turn == turn]

    def people_of(self, turn: Turn | None) -> list[Person]:
        """The people on the turn's lines, in line order, each once."""
        if turn is None or self.closed:
            return []
        found: dict[int, Person] = {}
        for seat in self.seats_of(turn):
            if seat.person is not None:
                found.setdefault(seat.person.id, seat.person)
        return list(found.values())

    def boundaries(self) -> list[datetime]:
        """Every moment a turn starts or ends, in order."""
        return sorted({t.start for t in self.turns} | {t.end for t in self.turns})

    def after(self, when: datetime) -> Turn | None:
        return next((t for t in self.turns if t.start > when), None)


def local(day: date, at: time, config: Config) -> datetime:
    return datetime.combine(day, at, config.timezone)


def day_plan(session: Session, config: Config, day: date) -> DayPlan:
    cells = timetable.cells_of_day(session, day)
    if cells:
        turns = _turns_from_cells(cells, day, config)
    else:
        turns = tuple(
            Turn(day, n, local(day, d.start, config), local(day, d.end, config),
                 tuple(f"T{i}" for i in range(1, d.lines + 1)))
            for n, d in enumerate(timetable.turn_definitions(session, day.weekday()), start=1))
    by_start = {t.start.time(): t for t in turns}
    persons = people.by_ids(session, [c.person_id for c in cells if c.person_id is not None])
    seats = tuple(
        Seat(by_start[c.start], c.line, c.status,
             persons.get(c.person_id) if c.person_id is not None else None)
        for c in cells if c.start in by_start)
    closed = closed_reason(session, config.holidays_country, config.holidays_subdiv, day,
                           planned=bool(cells))
    if closed is None and cells and all(c.status == HOLIDAY for c in cells):
        closed = HOLIDAY_IN_TIMETABLE
    return DayPlan(day, turns, seats, closed, bool(cells))


def _turns_from_cells(cells: Sequence[timetable.CellRow], day: date,
                      config: Config) -> tuple[Turn, ...]:
    # Lines in order of position, each once (a dict keeps the order and finds in O(1)).
    spans: dict[tuple[time, time], dict[str, None]] = {}
    for c in cells:  # ordered by start and line position
        spans.setdefault((c.start, c.end), {})[c.line] = None
    return tuple(Turn(day, n, local(day, s, config), local(day, e, config), tuple(lines))
                 for n, ((s, e), lines) in enumerate(sorted(spans.items()), start=1))


def next_turn(session: Session, config: Config, when: datetime,
              days: int = 14) -> tuple[DayPlan, Turn] | None:
    """The first turn starting after ``when`` on a day with service (within ``days``)."""
    day = when.astimezone(config.timezone).date()
    for offset in range(days + 1):
        plan = day_plan(session, config, day + timedelta(days=offset))
        if not plan.open:
            continue
        turn = plan.after(when)
        if turn is not None:
            return plan, turn
    return None


# --------------------------------------------------------------------------- for others


def no_service_reason(session: Session, config: Config, day: date) -> str | None:
    """Why ``day`` (a local date) has no service — a company or HR no-service day, a
    timetable of ``festiu``, or a public holiday without a timetable — or None when it
    has service."""
    return day_plan(session, config, day).closed


def is_service_day(session: Session, config: Config, day: date) -> bool:
    """True when ``day`` has turns and is not a day without service."""
    return day_plan(session, config, day).open


def last_boundary(session: Session, config: Config, day: date) -> datetime | None:
    """When the last turn of ``day`` ends (aware, team time zone); None on a day without
    service or without turns."""
    plan = day_plan(session, config, day)
    return max(t.end for t in plan.turns) if plan.open else None


def turn_now(session: Session, config: Config, now: datetime) -> tuple[DayPlan, Turn | None]:
    """The plan of ``now``'s day and the turn running at ``now`` (None on a closed day or
    between turns): what the monitors of the turn look at."""
    plan = day_plan(session, config, now.astimezone(config.timezone).date())
    return plan, plan.turn_at(now) if plan.open else None


def on_turn_ids(session: Session, config: Config, when: datetime) -> set[int] | None:
    """The ids of the people on the turn at ``when``; None when the day has no timetable
    (then nobody's presence is planned, and callers treat everyone as on turn)."""
    plan = day_plan(session, config, when.astimezone(config.timezone).date())
    if not plan.has_timetable:
        return None
    return {p.id for p in plan.people_of(plan.turn_at(when))}


def service_windows(session: Session, config: Config, first: date,
                    last: date) -> list[tuple[datetime, datetime]]:
    """The moments of first..last (local days) inside a turn, as merged [start, end)
    windows in order: turns from the timetable where a day has one, else from the turn
    definitions; days without service have none. Three queries whatever the range."""
    cells: dict[date, list[TimetableCell]] = {}
    for c in timetable.cells_between(session, first, last):
        cells.setdefault(c.day, []).append(c)
    closed = closed_days(session, config.holidays_country, config.holidays_subdiv, first, last,
                         planned=cells.keys())
    definitions = timetable.turn_definitions(session)
    windows: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        found = cells.get(day, [])
        if day not in closed and not (found and all(c.status == HOLIDAY for c in found)):
            spans = ({(c.start, c.end) for c in found} if found else
                     {(d.start, d.end) for d in definitions if d.weekday == day.weekday()})
            for start, end in sorted(spans):
                begin, stop = local(day, start, config), local(day, end, config)
                if windows and begin <= windows[-1][1]:
                    windows[-1] = (windows[-1][0], max(windows[-1][1], stop))
                else:
                    windows.append((begin, stop))
        day += timedelta(days=1)
    return windows


def outside_turns(session: Session, config: Config, when: datetime) -> bool:
    """True when ``when`` falls outside every turn of its day, or on a day without
    service (e.g. for "calls outside the turns")."""
    plan = day_plan(session, config, when.astimezone(config.timezone).date())
    return not plan.open or plan.turn_at(when) is None
