"""A planning week from the store: its turns, its people and what limits them.

- **Turns**: each weekday's turn definitions (``hours`` of a Tomàtic config replace their
  times; a weekday without definitions has no turns), lines from ``--lines``, the config's
  ``nTelefons``, or the definitions. A day without service (a company day, a public
  holiday not kept, an HR holiday) is closed: it gets ``festiu`` cells and no turns.
- **People**: the active people with a load (``ideal_load``). A turn is *blocked* for a
  person when an absence covers any part of it or a hard rule marks it, *negotiable*
  when only a negotiable rule does.
- **Loads**: ``prorated = round(load × working days / service days)``; a working day is a
  service day without a whole-day absence (from HR, the week's vacation file, or a dated
  hard all-day rule). Weekly rules do not shrink the load. ``bound = round(prorated +
  max_overload)``, never more than the turns the person's availability leaves (and their
  day maximum allows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from commands.core import Config
from commands.shifts.planning.model import Slot, Week, Weights, Worker
from commands.shifts.planning.said import Said, english, say
from store.i18n import N_
from store.shifts import absences, planning
from store.shifts.availability_io import TomaticConfig
from store.shifts.calendar_days import closed_days
from store.shifts.planning import FixedTurn
from store.shifts.timetable import turn_definitions
from store.team import people

DEFAULT_MAX_PER_DAY = 2


@dataclass
class Options:
    lines: int | None = None
    time_limit: float = 30.0
    forced: list[FixedTurn] | None = None  # None: the stored fixed turns
    config: TomaticConfig | None = None
    max_per_day: int = DEFAULT_MAX_PER_DAY
    max_overload: int = 0
    max_per_table: int = 2
    group_max: dict[str, int] = field(default_factory=dict)
    weights: Weights = field(default_factory=Weights)


@dataclass
class Closed:
    day: date
    why: str
    turns: list[tuple[time, time]]


@dataclass
class Planning:
    monday: date
    week: Week
    closed: list[Closed]


def half_up(value: float) -> int:
    return math.floor(value + 0.5)


def _turns(session: Session, weekday: int, options: Options) -> list[tuple[time, time, int]]:
    defs = turn_definitions(session, weekday)
    config = options.config
    if config is not None and config.hours:
        any_defs = bool(turn_definitions(session))
        if not defs and (any_defs or weekday >= 5):
            return []
        default = defs[0].lines if defs else 1
        pairs = list(zip(config.hours, config.hours[1:], strict=False))
        return [(a, b, defs[n].lines if n < len(defs) else default)
                for n, (a, b) in enumerate(pairs)]
    return [(d.start, d.end, d.lines) for d in defs]


def _block(worker: Worker, slot: int, why: Said) -> None:
    """The first reason a turn is blocked for ``worker`` wins."""
    if slot not in worker.blocked:
        worker.blocked[slot] = english(why)
        worker.blocked_said[slot] = why


def build(session: Session, settings: Config, monday: date, options: Options) -> Planning:
    tz = settings.timezone
    sunday = monday + timedelta(days=6)
    kept = absences.kept_holidays(session, monday, sunday)
    closed_map = closed_days(session, settings.holidays_country, settings.holidays_subdiv,
                             monday, sunday, kept)
    config = options.config
    lines_override = options.lines or (config.lines if config else None)
    slots: list[Slot] = []
    closed: list[Closed] = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        turns = _turns(session, day.weekday(), options)
        if not turns:
            continue
        if day in closed_map:
            closed.append(Closed(day, closed_map[day], [(a, b) for a, b, _ in turns]))
            continue
        for n, (start, end, lines) in enumerate(turns):
            slots.append(Slot(day, n, start, end, lines_override or lines))
    team = [p for p in people.all_people(session, active_only=True) if p.ideal_load is not None]
    ids = [p.id for p in team]
    first = datetime.combine(monday, time(), tz)
    leave = absences.overlapping(session, first.astimezone(UTC),
                                 (first + timedelta(days=7)).astimezone(UTC), ids)
    rules = planning.rules_for(session, monday, sunday, ids)
    service_days = sorted({s.day for s in slots})
    default_max = config.max_per_day if config and config.max_per_day else options.max_per_day
    overload = config.max_overload if config and config.max_overload is not None \
        else options.max_overload
    workers: list[Worker] = []
    for person in team:
        max_day = person.max_per_day
        if max_day is None and config is not None:
            max_day = config.person_max_per_day.get(person.key)
        worker = Worker(key=person.key, name=person.name, ideal=person.ideal_load or 0,
                        prorated=0, bound=0,
                        max_per_day=default_max if max_day is None else max_day,
                        table=person.desk, groups=tuple(person.groups or ()))
        mine_leave = [a for a in leave if a.person_id == person.id]
        mine_rules = [r for r in rules if r.person_id == person.id]
        off_days: set[date] = set()
        for day in service_days:
            day_slots = [(i, s) for i, s in enumerate(slots) if s.day == day]
            span = (datetime.combine(day, day_slots[0][1].start, tz),
                    datetime.combine(day, day_slots[-1][1].end, tz))
            for a in mine_leave:
                if a.starts <= span[0] and a.ends >= span[1]:
                    off_days.add(day)
            for r in mine_rules:
                if r.day == day and r.hard and r.whole_day:
                    off_days.add(day)
            for i, slot in day_slots:
                begins, ends = (datetime.combine(day, slot.start, tz),
                                datetime.combine(day, slot.end, tz))
                for a in mine_leave:
                    if a.starts < ends and a.ends > begins:
                        _block(worker, i, say(N_("absent, {kind} ('{note}')"), kind=a.kind,
                                              note=a.note) if a.note
                               else say(N_("absent, {kind}"), kind=a.kind))
                for r in mine_rules:
                    applies = (r.day == day if r.day is not None
                               else r.weekday == day.weekday() if r.weekday is not None
                               else True)
                    if not applies or not r.busy_in(slot.turn):
                        continue
                    if r.hard:
                        _block(worker, i, say(N_("hard-busy, '{reason}'"), reason=r.reason))
                    elif i not in worker.blocked:
                        worker.reluctant.setdefault(i, r.reason)
        for i in list(worker.reluctant):
            if i in worker.blocked:
                del worker.reluctant[i]
        worker.service_days = len(service_days)
        worker.working_days = len(service_days) - len(off_days)
        if service_days:
            worker.prorated = half_up(worker.ideal * worker.working_days / len(service_days))
        room = sum(min(worker.max_per_day,
                       sum(1 for i, s in enumerate(slots) if s.day == day
                           and i not in worker.blocked))
                   for day in service_days)
        worker.bound = max(0, min(half_up(worker.prorated + overload), room))
        workers.append(worker)
    lines = max((s.lines for s in slots), default=0)
    week = Week(slots, workers, weights=options.weights, max_per_table=options.max_per_table,
                group_max=dict(options.group_max),
                line_names=[f"T{n + 1}" for n in range(lines)])
    keys = {p.id: p.key for p in team}
    forced = options.forced if options.forced is not None else planning.fixed_turns(session)
    for row in forced:
        key = keys.get(row.person_id)
        if key is None:
            continue
        for i, slot in enumerate(slots):
            if slot.day.weekday() == row.weekday and slot.turn == row.turn \
                    and row.line < slot.lines:
                week.fixed[i, row.line] = key
    return Planning(monday, week, closed)
