"""Importing Asterisk's queue_log: calls into ``call_record``, pauses and sessions into the
landed log — idempotently, in batches, a bad line reported and skipped.

The lines are read in batches of ``BATCH`` events; each batch is one transaction that
loads what is known of the calls it touches, folds the batch's events onto them
(``integrations.pbx.asterisk.queue_log_calls``), saves the calls (source ``asterisk``, the same
source the Asterisk backend's call records use) and lands the agents' pauses and
sessions. So importing the same file twice, or a growing file piece by piece
(``--follow``), ends with the same records.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from commands.calls.pbx_activity import AgentReport, apply_agent_changes
from commands.core import Config, Services
from integrations.pbx.asterisk.queue_log import BadLine, QueueLogEvent, parse_line
from integrations.pbx.asterisk.queue_log_calls import callers_of, fold, keys_of
from store.calls import records
from store.calls.caller_numbers import NumberWorker
from store.calls.ingest import as_info, save_calls, stored_rows
from store.calls.records import CallInfo, SaveReport
from store.collector import collector_paused
from store.db import transaction
from store.team import people

SOURCE = "asterisk"
BATCH = 50_000  # events per transaction


def pbx_zone(config: Config) -> tzinfo:
    """The zone of the PBX's local times: PBX_TIMEZONE, else the team's TIMEZONE."""
    return ZoneInfo(config.pbx_timezone_name) if config.pbx_timezone_name else config.timezone


@dataclass
class ImportResult:
    lines: int = 0
    events: int = 0
    ignored: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)
    calls: SaveReport = field(default_factory=SaveReport)
    agents: AgentReport = field(default_factory=AgentReport)

    def summary(self) -> str:
        parts = [f"{self.lines} lines", f"calls: {self.calls.summary()}",
                 f"pauses and sessions: {self.agents.opened} opened, "
                 f"{self.agents.closed} closed"]
        if unknown := self.agents.unknown_agents:
            parts.append(f"{len(unknown)} agent(s) not mapped to a person (by extension, "
                         "PBX member name or name): " + ", ".join(sorted(unknown)[:20])
                         + (", …" if len(unknown) > 20 else ""))
        if self.problems:
            parts.append(f"{len(self.problems)} line(s) skipped")
        return "; ".join(parts)


def numbered(text: str, first: int = 1) -> Iterator[tuple[int, str]]:
    yield from enumerate(text.splitlines(), start=first)


def import_lines(services: Services, lines: Iterable[tuple[int, str]], *,
                 create_people: bool = False, result: ImportResult | None = None
                 ) -> ImportResult:
    """Import numbered lines; every unreadable one goes to ``result.problems``."""
    result = result or ImportResult()
    zone = pbx_zone(services.settings)
    return import_events(services, _parsed(lines, zone, result), create_people=create_people,
                         result=result)


def import_events(services: Services, events: Iterable[QueueLogEvent], *,
                  create_people: bool = False, callers: bool = True,
                  result: ImportResult | None = None) -> ImportResult:
    """Import events read already (``import_lines``, or a file's window of them:
    ``queue_log_file.window_events``). ``callers=False`` leaves the callers' numbers
    out (figures from a file in a throwaway database do not need them, and putting
    them in E.164 is a good part of an import's work).

    ``BATCH`` events at a time, each batch read and imported with the cyclic garbage
    collector paused (``store.collector``)."""
    result = result or ImportResult()
    stream = iter(events)
    more = True
    with NumberWorker(services.settings.default_region) as numbers:
        while more:
            with collector_paused():
                batch = list(itertools.islice(stream, BATCH))
                more = len(batch) == BATCH
                if batch:
                    _import_batch(services, batch, result, numbers if callers else None,
                                  create_people)
    return result


def _parsed(lines: Iterable[tuple[int, str]], zone: tzinfo,
            result: ImportResult) -> Iterator[QueueLogEvent]:
    """The lines' events; the unreadable lines go to ``result.problems``."""
    problems = result.problems
    for number, text in lines:
        result.lines += 1
        try:
            event = parse_line(text, number, zone)
        except BadLine as exc:
            problems.append((number, str(exc)))
            continue
        if event is not None:
            yield event


def _import_batch(services: Services, events: list[QueueLogEvent], result: ImportResult,
                  numbers: NumberWorker | None, create_people: bool) -> None:
    settings = services.settings
    template = settings.ami_interface_template
    if numbers is not None:  # worked out while the batch is folded and looked up
        numbers.start(callers_of(events))
    with transaction(services.sessions) as session:
        rows = stored_rows(session, SOURCE, keys_of(events))
        known = {key: as_info(row) for key, row in rows.items()}

        def last_call_of(extension: str, at: datetime) -> CallInfo | None:
            return records.last_answered_by(session, SOURCE, extension, at)

        def open_calls(at: datetime) -> list[CallInfo]:
            return records.open_calls(session, SOURCE, at)

        named = people.by_member_name(session)  # a small table, read once per batch
        members = {key: p.extension for key, p in named.items() if p.extension}
        folded = fold(events, known, template=template, members=members,
                      last_call_of=last_call_of, open_calls=open_calls)
        # Wrap-up lines touch an earlier call of the agent's: look its row up too.
        others = [key for key in folded.calls if key not in rows]
        if others:
            rows.update(stored_rows(session, SOURCE, others))
        changed = [c for key, c in folded.calls.items() if known.get(key) != c]
        if numbers is not None:
            numbers.finish()
        else:
            changed = [c._replace(caller=None) for c in changed]
        result.calls.add(save_calls(session, SOURCE, changed, region=settings.default_region,
                                    existing=rows))
        result.calls.unchanged += len(folded.calls) - len(changed)
        result.agents.add(apply_agent_changes(session, folded.agents,
                                              create_people=create_people, named=named))
        result.agents.unknown_agents |= folded.unmapped
    result.events += len(events)
    result.ignored += folded.ignored
