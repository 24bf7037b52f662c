"""Wazo/XiVO's statistics acceptance scenarios, reproduced by our own figures.

The scenarios are third-party test data, read through ``testing/shared_data.py``
(folder ``wazo-statcenter/scenarios``) and never copied into the repository. Each is a
realtime queue_log export and the per-hour table Wazo's stats generator produced from it.
The queue_log is imported exactly as ``switchboard stats --queue-log`` does (a throwaway
database, people created for the agents) and every cell is compared, where the
definitions coincide (the notes that come with the data; the definitions are compared in
docs/protocols/call-centre-metrics.md): Received = every stint bucketed by its first
line; Answered (transfers included); Abandoned; Closed; Blocking = JOINEMPTY (our
exit_empty); Saturated = FULL and diversions (our full); AWT = mean wait, truncated to
seconds; Answered rate = answered / (received − closed) (our answered / offered with no
short-abandon threshold); QoS = answered within 10 s / answered (our service level over
answered, at 10 s); per agent: answered, conversation (talk), login, pause and wrap-up
time, open sessions and pauses running to the end of the window.

Left out, because the definitions do not coincide: ``agent_07`` (its times are "mm:ss"
relative to the moment the test ran; we check that those lines are reported instead).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import build_services
from commands.calls.queue_log_import import ImportResult, import_lines, numbered
from commands.core import Services
from commands.stats.card import report_for
from commands.stats.period import Period
from integrations.clock import FixedClock
from store import migrate
from store.db import make_engine, make_sessionmaker
from testing.shared_data import data_root, shared_data
from tests.conftest import MADRID, make_settings

FOLDER = ("wazo-statcenter", "scenarios")
NOT_COMPARABLE = {"agent_07"}


def scenarios_folder() -> Path:
    """The scenarios; the test skips (fails under CI=true) when they are absent."""
    return shared_data(*FOLDER)


def scenarios() -> list[str]:
    """The scenario names, for parametrizing; one placeholder when the data is absent, so
    the absence shows as a skip with its reason (a failure under CI=true)."""
    folder = data_root().joinpath(*FOLDER)
    names = sorted(p.name.removesuffix(".expected.json")
                   for p in folder.glob("*.expected.json"))
    return [n for n in names if n[:8] not in NOT_COMPARABLE] or ["absent"]


def scratch(short: str = "0", level: str = "10") -> Services:
    """What ``switchboard stats --queue-log`` builds: an in-memory database with the schema."""
    settings = make_settings(DATABASE_URL="sqlite://", SHORT_ABANDON_SECONDS=short,
                             SERVICE_LEVEL_SECONDS=level, AMI_INTERFACE="Agent/{extension}")
    engine = make_engine("sqlite://")
    migrate.upgrade(engine)
    clock = FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=MADRID))
    return build_services(settings, sessions=make_sessionmaker(engine), clock=clock)


def hms(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def pct(value: float | None) -> str:
    return "" if value is None else f"{round(value)} %"


def windows(step: str, day: date, rows: list[dict[str, str]]) -> Iterator[tuple[str, Period]]:
    for row in rows:
        if row["period"] == "Total":
            continue
        first, last = (int(h) for h in re.fullmatch(r"(\d+)h-(\d+)h", row["period"]).groups())
        yield row["period"], period(day, first, last)


def period(day: date, first: int, last: int) -> Period:
    begin = datetime.combine(day, time(first), tzinfo=MADRID)
    return Period(begin, begin + timedelta(hours=last - first), f"{first}h-{last}h", day, day)


def queue_cells(services: Services, queue: str, window: Period) -> dict[str, str]:
    f = report_for(services, window, queue, agents=False).figures
    return {"Received": str(f.received), "Answered": str(f.answered),
            "Abandoned": str(f.abandoned), "Closed": str(f.closed),
            "Blocking": str(f.exit_empty), "Saturated": str(f.full),
            "AWT": "" if f.mean_wait_seconds is None else hms(f.mean_wait_seconds),
            "Answered rate": pct(f.answered_rate_pct),
            "QoS": pct(f.service_level_pct)}


def agent_cells(services: Services, agent: str, window: Period) -> dict[str, str]:
    rows = [r for r in report_for(services, window, None).agents if r.extension == agent]
    answered = sum(r.figures.answered for r in rows)
    return {"Answered": str(answered),
            "Conversation": hms(sum(r.figures.talk_seconds for r in rows)),
            "Wrapup": hms(sum(r.figures.wrapup_seconds for r in rows)),
            "Login": hms(sum(r.time.logged_in for r in rows)),
            "Pause": hms(sum(r.time.paused for r in rows))}


def load(name: str) -> tuple[dict[str, Any], Services, ImportResult]:
    folder = scenarios_folder()
    expected = json.loads((folder / f"{name}.expected.json").read_text())
    services = scratch(level=str(expected["queue_qos_threshold_seconds"] or 10))
    text = (folder / f"{name}.queue_log.psv").read_text()
    result = import_lines(services, numbered(text), create_people=True)
    return expected, services, result


@pytest.mark.parametrize("name", scenarios())
def test_wazo_scenario(name: str) -> None:
    expected, services, result = load(name)
    assert result.problems == []
    (config_from, config_to), = {re.search(r'from "(\d+):00" to "(\d+):00"', step).groups()
                                 for step in expected["config_steps"]}
    for table in expected["expected"]:
        step = table["step"]
        subject = re.search(r'on (agent )?"([^"]+)" on "(\d{4}-\d{2}-\d{2})"', step)
        assert subject is not None, step
        is_agent, who, day = bool(subject.group(1)), subject.group(2), date.fromisoformat(
            subject.group(3))
        cells = agent_cells if is_agent else queue_cells
        by_period = {row["period"]: row for row in table["rows"]}
        checked = [(label, w) for label, w in windows(step, day, table["rows"])]
        checked.append(("Total", period(day, int(config_from), int(config_to))))
        for label, window in checked:
            ours = cells(services, who, window)
            wanted = {column: by_period[label][column] for column in table["columns"]}
            assert {c: ours[c] for c in wanted} == wanted, f"{name} {who} {label}"


def test_relative_times_are_reported_as_bad_lines() -> None:
    (name,) = [p.name.removesuffix(".queue_log.psv")
               for p in scenarios_folder().glob("agent_07*.psv")]
    _, _, result = load(name)
    assert [line for line, _ in result.problems] == [2, 3, 4]
    assert all("neither epoch seconds nor YYYY-MM-DD" in why for _, why in result.problems)


def test_the_scenarios_are_all_here() -> None:
    scenarios_folder()
    assert len(scenarios()) == 19  # 9 queue and 10 agent scenarios are compared

