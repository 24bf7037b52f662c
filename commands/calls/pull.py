"""Pulling a day's call records from the PBX backend into ``call_record``.

The PBX is asked first, with no transaction open; the records are written after, in one
transaction, as an upsert (pulling the same day twice changes nothing). The sim backend
is skipped: its calls are in the table already, written by the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from commands.core import Services
from commands.stats.period import midnight
from store.calls.ingest import save_calls
from store.calls.records import SaveReport
from store.db import transaction

# How far back the scheduled pull reaches after midnight: calls of the evening before
# that the PBX reports late.
LATE_HOURS = 2


@dataclass(frozen=True)
class PullResult:
    day: date
    source: str
    fetched: int
    saved: SaveReport


def pull_day(services: Services, day: date) -> PullResult | None:
    """The day's calls from the PBX, saved; None for the sim backend (nothing to pull)."""
    pbx = services.pbx
    if pbx.name == "sim":
        return None
    tz = services.settings.timezone
    records = pbx.call_records(midnight(day, tz), midnight(day + timedelta(days=1), tz))
    with transaction(services.sessions) as session:
        saved = save_calls(session, pbx.name, records, region=services.settings.default_region)
    return PullResult(day, pbx.name, len(records), saved)


def pull_recent(services: Services) -> list[PullResult]:
    """The job: today's calls, and yesterday's too in the first hours after midnight."""
    local = services.clock.now().astimezone(services.settings.timezone)
    days = [local.date()]
    if local.hour < LATE_HOURS:
        days.insert(0, local.date() - timedelta(days=1))
    return [r for r in (pull_day(services, d) for d in days) if r is not None]
