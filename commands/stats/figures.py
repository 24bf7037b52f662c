"""Gathering a period's figures: headline, per agent, per hour — all from SQL aggregates.

Calls come from the hourly rollups (and the record table for the part of the period that
is not whole hours), pauses and sessions from the landed log, summed in SQL. Nothing here
loops over calls.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from commands.core import Config, Services
from commands.shifts.day_plan import service_windows
from commands.stats.metrics import Figures
from commands.stats.period import Period
from store.db import reading, transaction
from store.i18n import _
from store.shifts import timetable
from store.stats import rollups
from store.stats import sums as callstats_query
from store.stats.agent_time import AgentTime, agent_times
from store.stats.rollups import Basis, Sums
from store.team import people


@dataclass(frozen=True)
class AgentRow:
    key: str  # the person's key, or "ext:NNN" for an extension nobody has
    name: str
    extension: str | None
    person_id: int | None
    figures: Figures
    time: AgentTime


@dataclass(frozen=True)
class StatsReport:
    period: Period
    queue: str | None
    basis: Basis
    figures: Figures
    agents: tuple[AgentRow, ...] = ()
    hourly: tuple[tuple[datetime, Figures], ...] = ()  # local hour start → figures
    queues: tuple[str, ...] = ()  # the queues with calls in the period
    outside_turns: Figures | None = None


def settings_basis(config: Config) -> Basis:
    return Basis(config.short_abandon_seconds, config.service_level_seconds)


def ensure_basis(services: Services) -> Basis:
    """The thresholds in the settings; the rollups are rebuilt first if they were built
    with others (a changed SHORT_ABANDON_SECONDS or SERVICE_LEVEL_SECONDS)."""
    wanted = settings_basis(services.settings)
    with reading(services.sessions) as session:
        stored = rollups.stored_basis(session)
    if stored != wanted:
        with transaction(services.sessions) as session:
            if rollups.stored_basis(session) != wanted:
                rollups.rebuild(session, wanted)
    return wanted


def outside_turns(session: Session, config: Config, period: Period,
                  queue: str | None) -> Sums | None:
    """Calls that entered outside every turn (before, between or after the turns, and on
    days without service); None when no turn is defined at all (nothing to be outside
    of). Summed over the gaps between the period's service windows (shift_plan)."""
    windows = service_windows(session, config, period.first_day, period.last_day)
    if not windows and not timetable.turn_definitions(session):
        return None
    gaps, cursor = [], period.begin
    for start, end in windows:
        if start > cursor:
            gaps.append((cursor, min(start, period.end)))
        cursor = max(cursor, end)
    if cursor < period.end:
        gaps.append((cursor, period.end))
    total = Sums()
    for start, end in gaps:
        if start < end:
            total = total + callstats_query.period_sums(session, start, end, queue=queue).get(
                None, Sums())
    return total


def collect(session: Session, period: Period, *, basis: Basis, config: Config, now: datetime,
            queue: str | None = None, agents: bool = True, hourly: bool = False
            ) -> StatsReport:
    tz = config.timezone
    begin, end = period.begin, period.end
    by_queue = callstats_query.period_sums(session, begin, end, by="queue")
    total = (by_queue.get(queue, Sums()) if queue is not None
             else sum(by_queue.values(), Sums()))
    rows: tuple[AgentRow, ...] = ()
    if agents:
        rows = _agent_rows(session, period, basis, queue, now)
    hours: tuple[tuple[datetime, Figures], ...] = ()
    if hourly:
        per_hour: dict[datetime, Sums] = defaultdict(Sums)
        for hour, sums in callstats_query.period_sums(session, begin, end, queue=queue,
                                                by="hour").items():
            local = hour.astimezone(tz).replace(minute=0, second=0, microsecond=0)
            per_hour[local] = per_hour[local] + sums
        hours = tuple((hour, Figures.of(sums, basis)) for hour, sums in sorted(per_hour.items()))
    outside = outside_turns(session, config, period, queue)
    return StatsReport(period=period, queue=queue, basis=basis, figures=Figures.of(total, basis),
                       agents=rows, hourly=hours, queues=tuple(sorted(k for k in by_queue if k)),
                       outside_turns=None if outside is None else Figures.of(outside, basis))


def _agent_rows(session: Session, period: Period, basis: Basis, queue: str | None,
                now: datetime) -> tuple[AgentRow, ...]:
    calls = callstats_query.period_sums(session, period.begin, period.end, queue=queue, by="agent")
    times = agent_times(session, period.begin, min(period.end, now))
    everyone = {p.id: p for p in people.all_people(session)}
    by_extension = {p.extension: p for p in everyone.values() if p.extension}
    # One row per person (who may have answered on two extensions), or per extension
    # nobody in the store has.
    sums_of: dict[str, Sums] = {}
    who: dict[str, tuple[str, str | None, int | None]] = {}
    for extension, sums in calls.items():
        if not extension:
            continue
        person = everyone.get(sums.person_id or -1) or by_extension.get(extension)
        key = person.key if person else f"ext:{extension}"
        sums_of[key] = sums_of[key] + sums if key in sums_of else sums
        who[key] = ((person.name, person.extension or extension, person.id) if person
                    else (_("ext {extension}").format(extension=extension), extension, None))
    for person_id in times:
        person = everyone.get(person_id)
        if person is not None and person.key not in who:
            sums_of[person.key] = Sums()
            who[person.key] = (person.name, person.extension, person.id)
    rows = [AgentRow(key, name, extension, pid, Figures.of(sums_of[key], basis),
                     times.get(pid, AgentTime()) if pid is not None else AgentTime())
            for key, (name, extension, pid) in who.items()]
    return tuple(sorted(rows, key=lambda r: (r.name.casefold(), r.key)))
