"""Importing a queue_log: idempotent, bad lines named and skipped, pauses and sessions
landed in the log with source pbx."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from commands.calls import queue_log_import
from commands.calls.queue_log_import import ImportResult, import_lines, numbered
from commands.core import Services
from store.calls import caller_numbers
from store.calls.records import CallRecord
from store.db import transaction
from store.queue.activity import PAUSE, SESSION, Activity
from store.stats.rollups import CallStatsHour
from tests.conftest import T0

E = int(T0.timestamp())

LOG = f"""\
{E}|1700.1|support|NONE|ENTERQUEUE||600111222|1
{E + 2}|1700.1|support|PJSIP/211|RINGNOANSWER|2000
{E + 9}|1700.1|support|PJSIP/211|CONNECT|9|1700.2|3
{E + 99}|1700.1|support|PJSIP/211|COMPLETEAGENT|9|90|1
{E + 100}|NONE|NONE|PJSIP/211|WRAPUPSTART|20
{E + 100}|1700.3|support|NONE|ENTERQUEUE||+34 600 333 444|1
this line is not a queue_log line
{E + 140}|1700.3|support|NONE|ABANDON|1|1|40
{E + 150}|1700.4|support|NONE|ENTERQUEUE||600555666|1
{E + 155}|1700.4|support|PJSIP/212|CONNECT|five|1700.5|3
{E + 160}|MANAGER|support|PJSIP/213|ADDMEMBER|
{E + 170}|NONE|support|PJSIP/212|PAUSE|lunch
{E + 171}|NONE|NONE|PJSIP/212|PAUSEALL|lunch
{E + 900}|NONE|support|PJSIP/212|UNPAUSE|
{E + 950}|NONE|support|PJSIP/777|PAUSE|
{E + 960}|1700.4|support|NONE|EXITWITHTIMEOUT|1|1|810
"""


def calls(services: Services) -> dict[str, tuple[object, ...]]:
    with transaction(services.sessions) as session:
        return {r.call_id: (r.outcome, r.caller, r.extension, r.wait_seconds, r.talk_seconds,
                            r.wrapup_seconds, r.person_id is not None)
                for r in session.scalars(select(CallRecord).where(CallRecord.source == "asterisk"))}


def activities(services: Services) -> list[tuple[object, ...]]:
    with transaction(services.sessions) as session:
        return [(a.kind, a.reason, a.started_at, a.ended_at, a.source)
                for a in session.scalars(select(Activity).order_by(Activity.id))]


def rollup_rows(services: Services) -> int:
    with transaction(services.sessions) as session:
        return session.scalar(select(func.count()).select_from(CallStatsHour)) or 0


def test_a_log_with_corrupt_lines_imports_the_rest(demo: Services) -> None:
    result = import_lines(demo, numbered(LOG))
    assert result.problems == [
        (7, "1 fields; expected time|callid|queue|agent|event|data…"),
        (10, "CONNECT data1 'five' is not a number of seconds"),
    ]
    assert calls(demo) == {
        "1700.1": ("answered", "+34600111222", "211", 9.0, 90.0, 20.0, True),
        "1700.3": ("abandoned", "+34600333444", None, 40.0, None, None, False),
        "1700.4": ("timeout", "+34600555666", None, 810.0, None, None, False),
    }
    at = T0.astimezone(T0.tzinfo)
    assert activities(demo) == [
        (SESSION, None, at + timedelta(seconds=160), None, "pbx"),  # chen added to the queue
        (PAUSE, "lunch", at + timedelta(seconds=170), at + timedelta(seconds=900), "pbx"),
    ]
    assert result.agents.unknown_agents == {"PJSIP/777"}
    assert (result.calls.created, result.agents.opened, result.agents.closed) == (3, 2, 1)


def test_importing_the_same_log_twice_changes_nothing(demo: Services) -> None:
    import_lines(demo, numbered(LOG))
    before = (calls(demo), activities(demo), rollup_rows(demo))
    again = import_lines(demo, numbered(LOG))
    assert (again.calls.created, again.calls.updated, again.agents.opened,
            again.agents.closed) == (0, 0, 0, 0)
    assert again.calls.unchanged == 3 and len(again.problems) == 2
    assert (calls(demo), activities(demo), rollup_rows(demo)) == before


def test_a_growing_log_read_in_pieces_ends_the_same(demo: Services, services: Services) -> None:
    lines = list(numbered(LOG))
    result = ImportResult()
    for start in range(0, len(lines), 3):  # three lines at a time, as --follow would
        import_lines(demo, lines[start:start + 3], result=result)
    assert calls(demo)["1700.1"] == ("answered", "+34600111222", "211", 9.0, 90.0, 20.0, True)
    assert calls(demo)["1700.4"][0] == "timeout"
    assert [a[:2] for a in activities(demo)] == [(SESSION, None), (PAUSE, "lunch")]


def test_a_pause_the_reconciliation_saw_late_is_moved_back(demo: Services) -> None:
    """The board's reconciliation logged Bruno's pause a minute after the PBX did; the
    queue_log line moves its start back instead of opening a second pause."""
    with transaction(demo.sessions) as session:
        from store.queue import activity
        from store.team import people

        bruno = people.by_key(session, "bruno")
        assert bruno is not None
        activity.start(session, bruno.id, PAUSE, T0 + timedelta(seconds=230), reason="other",
                       source="pbx")
    import_lines(demo, numbered(f"{E + 170}|NONE|support|PJSIP/212|PAUSE|lunch\n"))
    assert [(a[0], a[2]) for a in activities(demo)] == [(PAUSE, T0 + timedelta(seconds=170))]


def test_wrapup_read_later_lands_on_the_call_already_stored(demo: Services) -> None:
    first = (f"{E}|9.1|support|NONE|ENTERQUEUE||600111222|1\n"
             f"{E + 5}|9.1|support|PJSIP/211|CONNECT|5|9.2|1\n"
             f"{E + 65}|9.1|support|PJSIP/211|COMPLETECALLER|5|60|1\n")
    import_lines(demo, numbered(first))
    later = import_lines(demo, numbered(f"{E + 66}|NONE|NONE|PJSIP/211|WRAPUPSTART|25\n"))
    assert (later.calls.created, later.calls.updated) == (0, 1)
    assert calls(demo)["9.1"][5] == 25.0


def test_callers_worked_out_by_the_number_worker_are_the_ones_stored(
        demo: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every batch's new callers go to the forked worker (the parent never works one
    out), and what is stored is what phonenumbers makes of each."""
    raws = [f"6{n:08d}" if n % 3 else f"+34 91 {n:07d}" for n in range(1, 120)]
    raws += ["anonymous", "1003"]
    log = "".join(f"{E + n}|w.{n}|support|NONE|ENTERQUEUE||{raw}|1\n"
                  f"{E + n + 30}|w.{n}|support|NONE|ABANDON|1|1|30\n"
                  for n, raw in enumerate(raws))
    parent, real = os.getpid(), caller_numbers.e164_of_caller

    def elsewhere(raw: str | None, region: str) -> str | None:
        assert os.getpid() != parent, "worked out in the parent"
        return real(raw, region)

    caller_numbers._known.clear()
    monkeypatch.setattr(caller_numbers, "MIN_NEW", 10)
    monkeypatch.setattr(caller_numbers, "e164_of_caller", elsewhere)
    monkeypatch.setattr(queue_log_import, "BATCH", 100)  # three batches, a trip each
    result = import_lines(demo, numbered(log))
    assert result.calls.created == len(raws)
    stored = {call_id: row[1] for call_id, row in calls(demo).items()}
    assert stored == {f"w.{n}": real(raw, "ES") for n, raw in enumerate(raws)}
    assert sum(value is None for value in stored.values()) == 2


# Asterisk restarted (QUEUESTART) with a caller waiting, a call in progress, a pause and a
# queue session open: the restart ends all four.
RESTART = f"""\
{E}|r.1|support|NONE|ENTERQUEUE||600111222|1
{E + 5}|r.2|support|NONE|ENTERQUEUE||600333444|1
{E + 10}|r.2|support|PJSIP/211|CONNECT|5|r.3|2
{E + 20}|MANAGER|support|PJSIP/213|ADDMEMBER|
{E + 30}|NONE|support|PJSIP/212|PAUSE|lunch
{E + 100}|NONE|NONE|NONE|QUEUESTART|
{E + 130}|r.4|support|NONE|ENTERQUEUE||600555666|1
"""


@pytest.mark.parametrize("pieces", [1, 2], ids=["one import", "restart read later"])
def test_a_restart_ends_the_calls_pauses_and_sessions_it_ended(demo: Services,
                                                               pieces: int) -> None:
    lines = list(numbered(RESTART))
    cut = 5 if pieces == 2 else len(lines)  # the restart in a second import: from the store
    import_lines(demo, lines[:cut])
    import_lines(demo, lines[cut:])
    found = calls(demo)
    assert found["r.1"][:5] == ("exit_empty", "+34600111222", None, 100.0, None)
    assert found["r.2"][:5] == ("answered", "+34600333444", "211", 5.0, 90.0)
    assert found["r.4"][0] == "waiting"  # entered after the restart: still waiting
    restart = T0 + timedelta(seconds=100)
    assert [(a[0], a[2], a[3]) for a in activities(demo)] == [
        (SESSION, T0 + timedelta(seconds=20), restart),
        (PAUSE, T0 + timedelta(seconds=30), restart),
    ]
    with transaction(demo.sessions) as session:
        ended = session.scalars(select(CallRecord.ended_at).where(
            CallRecord.call_id.in_(("r.1", "r.2")))).all()
    assert ended == [restart, restart]
    # Read again, nothing changes.
    again = import_lines(demo, lines)
    assert (again.calls.created, again.calls.updated, again.agents.opened,
            again.agents.closed) == (0, 0, 0, 0)


# An Asterisk with log_membername_as_agent = yes: agents are member names, not interfaces.
MEMBER_NAMES = f"""\
{E}|m.1|support|NONE|ENTERQUEUE||600111222|1
{E + 8}|m.1|support|Farah Agent|CONNECT|8|m.2|2
{E + 68}|m.1|support|Farah Agent|COMPLETECALLER|8|60|1
{E + 70}|NONE|support|Bruno (tarde)|PAUSE|lunch
{E + 80}|NONE|support|Nobody Known|PAUSE|lunch
{E + 90}|m.3|support|NONE|ENTERQUEUE||600333444|1
{E + 95}|m.3|support|Stranger|CONNECT|5|m.4|2
"""


def test_agents_logged_by_member_name_are_people(demo: Services) -> None:
    """Farah by her name (no pbx_name), Bruno by his pbx_name; the others are named."""
    with transaction(demo.sessions) as session:
        from store.team import people

        people.set_pbx_name(session, "bruno", "Bruno (tarde)")
    result = import_lines(demo, numbered(MEMBER_NAMES))
    found = calls(demo)
    assert found["m.1"][2:] == ("216", 8.0, 60.0, None, True)  # Farah's extension
    assert found["m.3"][2] is None
    assert [(a[0], a[2]) for a in activities(demo)] == [(PAUSE, T0 + timedelta(seconds=70))]
    assert result.agents.unknown_agents == {"Nobody Known", "Stranger"}
    assert "2 agent(s) not mapped to a person" in result.summary()
    assert "Nobody Known, Stranger" in result.summary()
