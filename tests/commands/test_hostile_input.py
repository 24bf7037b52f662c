"""Hostile or odd text: a clear reply, never a crash, never a command without its audit row.

The property test at the end is the suite's bounded fuzz run of the dispatcher; set
FUZZ_EXAMPLES to run it long (the closing note's 10,000-input run uses that).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from commands.core import Command, Context, Reply, Services
from commands.dispatch import Dispatcher
from commands.registry import COMMANDS
from store.db import reading
from store.messaging.outbox import OutboxMessage
from store.team import audit
from store.team.audit import AuditEntry
from tests.conftest import Chat

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "120"))


def rows(services: Services) -> list[AuditEntry]:
    with reading(services.sessions) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def outbox_count(services: Services) -> int:
    with reading(services.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def test_an_announcement_with_a_lone_surrogate_is_sent_and_audited(chat: Chat,
                                                                    demo: Services) -> None:
    result = chat.send("carla", "/announce hello \ud800 team\x00!")
    assert result.ok
    assert outbox_count(demo) == 1
    (row,) = rows(demo)
    assert (row.text, row.outcome, row.command) == ("/announce hello  team!", "ok", "announce")


@pytest.mark.parametrize("text", ["/audit ²", "/audit ①", "/audit " + "9" * 3900,
                                  "/pause @alice\x00", "/add \ud800", "/pause @\ud800x"])
def test_odd_but_valid_text_gets_a_clear_answer(chat: Chat, demo: Services, text: str) -> None:
    who = "ada" if text.startswith("/audit") else "carla"
    result = chat.send(who, text)
    assert "Something went wrong" not in result.reply.text
    assert result.outcome in ("ok", "usage", "failed", "denied")
    assert rows(demo)[-1].outcome == result.outcome


def test_a_message_past_the_limit_is_refused_as_too_long(chat: Chat, demo: Services) -> None:
    result = chat.send("carla", "/announce " + "x" * 5000)
    assert result.outcome == "too_long" and "too long" in result.reply.text
    assert outbox_count(demo) == 0
    (row,) = rows(demo)
    assert row.outcome == "too_long" and len(row.text) == 4000


def test_no_audit_row_means_the_command_does_not_run(chat: Chat, demo: Services,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "start", broken)
    result = chat.send("carla", "/announce Fire drill")
    assert result.outcome == "failed" and "did not run it" in result.reply.text
    assert outbox_count(demo) == 0


def test_the_audit_row_is_written_before_the_command_runs(demo: Services) -> None:
    seen: list[str] = []

    def spy(ctx: Context, services: Services) -> Reply:
        seen.extend(r.outcome for r in rows(demo))
        return Reply("done")

    chat = Chat(Dispatcher((*COMMANDS, Command("spy", spy, "Spy", "/spy")), demo))
    chat.send("alice", "/spy")
    assert seen == [audit.RUNNING]
    assert rows(demo)[-1].outcome == "ok"


# Words that have broken commands before: dates at the ends of the calendar, digits that
# str.isdigit accepts and int() does not, huge ids, ranges, people and sub-commands.
AWKWARD = st.sampled_from([
    "9999-12-31", "0001-01-01", "2026-01-01..9999-12-31", "²", "²:00", "١٢", "#99999999999",
    "9" * 30, "-1", "@carla", "@nobody", "nobody", "log", "close", "open", "set", "take",
    "done", "1", "2", "T1", "10:00", "week", "month", "today", "by", "category", "mine",
    "李", "李 王", "account=²", "account=99999999999999999999999", "nif", "crm", "name"])
ARGS = st.text(max_size=80) | st.lists(AWKWARD, max_size=5).map(" ".join)
TEXT = st.text(alphabet=st.characters(codec=None), max_size=300) | st.sampled_from(
    sorted(f"/{command.name}" for command in COMMANDS)).flatmap(
    lambda cmd: ARGS.map(lambda rest: f"{cmd} {rest}"))


@settings(max_examples=FUZZ_EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(who=st.sampled_from(["alice", "carla", "ada", "mallory"]), text=TEXT)
def test_any_text_gets_a_reply_and_exactly_one_audit_row(chat: Chat, demo: Services,
                                                         who: str, text: str) -> None:
    before = len(rows(demo))
    result = chat.send(who, text)
    assert "Something went wrong" not in result.reply.text, (text, result.reply.text)
    after = rows(demo)
    assert len(after) == before + 1
    assert after[-1].outcome == result.outcome != audit.RUNNING


# Inputs that once reached an unexpected error (found by review; the fuzz above samples
# them too, but too rarely to be sure of meeting each one).
ONCE_BROKEN = [
    "/lookup 李", "/lookup 李 王", "/lookup " + " ".join(f"w{n}" for n in range(600)),
    "/lookup crm ²", "/operation open-account account=²",
    "/operation open-account account=99999999999999999999999",
    "/calls 9999-12-31", "/slots 9999-12-31", "/slots support 9999-12-31",
    "/callbacks report 2026-01-01..9999-12-31", "/callback take #99999999999",
    "/callback take " + "9" * 5000, "/assign 2026-11-24 ² T1 @gael",
    "/assign 2026-11-24 1 ² @gael", "/timetable log ²", "/onshift ²:00",
    "/onshift 2026-11-24 ²:00", "/swap @hana @bruno 2026-11-24 ²", "/shifts 9999-12-31",
    "/stats 2026-01-01..9999-12-31", "/breaks 9999-12-31",
]


@pytest.mark.parametrize("text", ONCE_BROKEN, ids=range(len(ONCE_BROKEN)))
def test_inputs_that_once_broke_a_command_get_a_clear_answer(chat: Chat, demo: Services,
                                                            text: str) -> None:
    before = len(rows(demo))
    result = chat.send("carla", text)
    assert "Something went wrong" not in result.reply.text, result.reply.text
    assert len(rows(demo)) == before + 1
