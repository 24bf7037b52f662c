"""Queue control from chat: /pause, /resume, /queue, /login, /logout, /add, /remove."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from commands.core import Services, Where
from commands.dispatch import Dispatcher, Incoming
from commands.queue.activity_sync import log_start, reconcile, sync_with_pbx
from commands.registry import COMMANDS
from integrations.clock import FixedClock
from integrations.pbx import CallInfo, MemberState, MemberStatus, PbxError, PbxUnreachable
from integrations.pbx.sim.backend import SimPbx
from store.db import transaction
from store.demo.team import load_demo
from store.queue.activity import PAUSE, SESSION, Activity
from store.team import people
from store.team.audit import AuditEntry
from tests.conftest import T0, Chat, Database, make_services, make_settings


def log(services: Services, kind: str = PAUSE) -> list[Activity]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(Activity).where(Activity.kind == kind)
                                    .order_by(Activity.id)))


def person_id(services: Services, key: str) -> int:
    with transaction(services.sessions) as session:
        person = people.by_key(session, key)
        assert person is not None
        return person.id


def member(services: Services, extension: str) -> MemberStatus | None:
    return next((m for m in services.pbx.queue_status() if m.extension == extension), None)


@pytest.fixture
def queued(demo: Services) -> Services:
    """The morning agents in the queue, as the PBX has them (no sessions logged yet)."""
    demo.pbx.set_members(["211", "212", "213"])
    return demo


# --------------------------------------------------------------------------- pause / resume


def test_pause_board_resume_transcript(chat: Chat, queued: Services, clock: FixedClock) -> None:
    assert chat.say("alice", "/pause lunch") == (
        "Paused: lunch (max 60 min).\n\n  [Resume: /resume]")
    status = member(queued, "211")
    assert status is not None and status.paused and status.pause_reason == "lunch"

    clock.advance(timedelta(minutes=25))
    board = chat.say("carla", "/queue")
    assert "Alice Agent (211)  available · paused: lunch for 25 min" in board
    assert "Bruno Agent (212)  available · 0 calls" in board
    assert "[Pause: break: /pause break]  [Pause: lunch: /pause lunch]  [Resume: /resume]" in board

    clock.advance(timedelta(minutes=7))
    assert chat.say("alice", "/resume") == "Resumed after 32 min (lunch): taking calls again."
    status = member(queued, "211")
    assert status is not None and not status.paused
    (row,) = log(queued)
    alice = person_id(queued, "alice")
    assert (row.person_id, row.reason, row.source) == (alice, "lunch", "chat")
    assert (row.started_at, row.ended_at) == (T0, T0 + timedelta(minutes=32))
    assert (row.started_by_id, row.ended_by_id) == (alice, alice)


@pytest.mark.parametrize(("text", "reason"), [
    ("pause me", "break"), ("I'm on a break", "break"), ("i am on a break", "break"),
    ("break time", "break"), ("pausa", "break"), ("pause me lunch", "lunch"),
    ("/pause COMIDA", "lunch"), ("pause me for lunch", "lunch"), ("/pause training", "training"),
])
def test_phrases_and_reason_words(chat: Chat, queued: Services, text: str, reason: str) -> None:
    reply = chat.say("bruno", text)
    assert chat.last is not None and chat.last.ok, reply
    assert reply.startswith(f"Paused: {reason}")
    status = member(queued, "212")
    assert status is not None and status.paused and status.pause_reason == reason
    assert [r.reason for r in log(queued)] == [reason]


@pytest.mark.parametrize("text", ["i'm back", "back", "reanudar", "/resume"])
def test_resume_phrases(chat: Chat, queued: Services, text: str) -> None:
    chat.say("bruno", "pause me")
    assert chat.say("bruno", text).startswith("Resumed after 0 min (break)")
    assert log(queued)[0].ended_at is not None


def test_an_unknown_reason_lists_the_reasons_and_pauses_nobody(chat: Chat,
                                                                 queued: Services) -> None:
    reply = chat.say("alice", "/pause siesta")
    assert chat.last is not None and chat.last.outcome == "usage"
    assert reply == ("I don't know the pause reason 'siesta'. Reasons: break (max 15 min), "
                     "lunch (max 60 min), training, meeting, other.\n"
                     "Usage: /pause [@person] [reason]")
    status = member(queued, "211")
    assert status is not None and not status.paused
    assert log(queued) == []


def test_resume_refuses_words_that_are_not_a_person(chat: Chat, queued: Services) -> None:
    chat.say("alice", "pause me")
    chat.say("alice", "back in 5 minutes")
    assert chat.last is not None and chat.last.outcome == "usage"
    status = member(queued, "211")
    assert status is not None and status.paused


def test_an_agent_cannot_pause_someone_else_and_it_is_audited(chat: Chat,
                                                               queued: Services) -> None:
    reply = chat.say("alice", "/pause @bruno lunch")
    assert chat.last is not None and chat.last.outcome == "denied"
    assert "Only coordinators can pause someone else" in reply
    status = member(queued, "212")
    assert status is not None and not status.paused
    assert log(queued) == []
    with transaction(queued.sessions) as session:
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert audit is not None
    assert (audit.command, audit.outcome, audit.person_id) == (
        "pause", "denied", person_id(queued, "alice"))
    chat.say("alice", "/resume @bruno")
    assert chat.last is not None and chat.last.outcome == "denied"


def test_a_coordinator_pauses_and_resumes_someone_else(chat: Chat, queued: Services,
                                                       clock: FixedClock) -> None:
    assert chat.say("carla", "/pause @bruno lunch") == (
        "Bruno paused: lunch (max 60 min).\n\n  [Resume: /resume @bruno]")
    clock.advance(timedelta(minutes=3))
    assert chat.say("dani", "/resume @bruno").startswith("Bruno resumed after 3 min (lunch)")
    (row,) = log(queued)
    assert row.person_id == person_id(queued, "bruno")
    assert row.started_by_id == person_id(queued, "carla")
    assert row.ended_by_id == person_id(queued, "dani")


# --------------------------------------------------------------------------- PBX refusals


class RefusingPbx:
    """The sim PBX, except that the listed operations fail with the given error."""

    def __init__(self, inner: SimPbx, **errors: Exception) -> None:
        self.inner = inner
        self.errors = errors
        self.name, self.queue = "refusing", inner.queue

    def _check(self, operation: str) -> None:
        if operation in self.errors:
            raise self.errors[operation]

    def queue_status(self) -> list[MemberStatus]:
        self._check("queue_status")
        return self.inner.queue_status()

    def pause(self, extension: str, reason: str | None = None) -> None:
        self._check("pause")
        self.inner.pause(extension, reason)

    def resume(self, extension: str) -> None:
        self._check("resume")
        self.inner.resume(extension)

    def add_member(self, extension: str) -> None:
        self._check("add_member")
        self.inner.add_member(extension)

    def remove_member(self, extension: str) -> None:
        self._check("remove_member")
        self.inner.remove_member(extension)

    def set_members(self, extensions: Sequence[str]) -> None:
        self.inner.set_members(extensions)

    def call_records(self, start: datetime, end: datetime) -> list[CallInfo]:
        return []

    def waiting_calls(self) -> None:
        return None


def chat_with(services: Services, **errors: Exception) -> Chat:
    assert isinstance(services.pbx, SimPbx)
    pbx = RefusingPbx(services.pbx, **errors)
    return Chat(Dispatcher(COMMANDS, dataclasses.replace(services, pbx=pbx)))


def test_a_pbx_failure_records_no_pause(queued: Services) -> None:
    chat = chat_with(queued, pause=PbxUnreachable("no answer within 3 s"))
    reply = chat.say("alice", "/pause lunch")
    assert chat.last is not None and chat.last.outcome == "failed"
    assert reply == "/pause did NOT happen: the PBX said: no answer within 3 s"
    assert log(queued) == []
    status = member(queued, "211")
    assert status is not None and not status.paused


def test_a_failed_resume_leaves_the_pause_open(chat: Chat, queued: Services) -> None:
    chat.say("alice", "/pause lunch")
    failing = chat_with(queued, resume=PbxUnreachable("connection refused"))
    assert failing.say("alice", "/resume").startswith("/resume did NOT happen")
    (row,) = log(queued)
    assert row.ended_at is None


def test_pbx_refusals_become_specific_messages(chat: Chat, queued: Services,
                                               clock: FixedClock) -> None:
    clock.advance(timedelta(minutes=62))  # 10:02
    chat.say("alice", "/pause lunch")
    clock.advance(timedelta(minutes=5))
    assert chat.say("alice", "/pause break").startswith(
        "You are already paused (lunch since 10:02).")
    assert chat.last is not None and chat.last.outcome == "failed"
    assert chat.say("carla", "/pause @diego").startswith(
        "Diego is not in the queue — /add @diego first.")
    assert chat.say("diego", "pause me").startswith("You are not in the queue — /login first.")
    assert chat.say("bruno", "/resume").startswith("You are not paused.")
    assert chat.say("carla", "/add @bruno").startswith("Bruno is already in the queue.")
    assert chat.say("carla", "/remove @diego").startswith("Diego is not in the queue")
    assert len(log(queued)) == 1


def test_an_extension_the_pbx_does_not_know(queued: Services) -> None:
    with transaction(queued.sessions) as session:
        bruno = people.by_key(session, "bruno")
        assert bruno is not None
        bruno.extension = "299"
    chat = chat_with(queued, pause=PbxError("extension 299 does not exist", "unknown_extension"))
    assert chat.say("carla", "/pause @bruno").startswith(
        "Extension 299 does not exist on the PBX.")
    assert log(queued) == []


def test_a_person_without_an_extension_is_told_who_can_set_it(chat: Chat,
                                                              queued: Services) -> None:
    with transaction(queued.sessions) as session:
        bruno = people.by_key(session, "bruno")
        assert bruno is not None
        bruno.extension = None
    assert chat.say("bruno", "/pause").startswith(
        "You have no extension in Switchboard, so I can't ask the PBX to pause you. "
        "Ask an admin (Ada Admin) to set it.")
    assert chat.say("carla", "/pause @bruno").startswith("Bruno has no extension in Switchboard")
    assert chat.say("bruno", "/login").startswith(
        "You have no extension in Switchboard, so I can't ask the PBX to add you.")
    assert log(queued) == []


# --------------------------------------------------------------------------- the board


def test_the_board_shows_states_calls_and_who_is_missing(chat: Chat, queued: Services,
                                                        clock: FixedClock) -> None:
    assert isinstance(queued.pbx, SimPbx)
    queued.pbx.set_state("213", MemberState.DISCONNECTED)
    # The demo timetable's second turn (10:15–11:30) is Diego, Elena and Farah.
    clock.advance(timedelta(minutes=90))
    board = chat.say("alice", "who is on the queue")  # agents may view it too
    assert chat.last is not None and chat.last.ok
    assert board.startswith("Queue support: 3 members — 2 available, 1 disconnected. "
                            "3 expected but not in the queue.")
    disconnected = board.split("== Disconnected ==")[1].split("==")[0]
    assert "Chen Agent (213): disconnected · 0 calls, 0 min in calls" in disconnected
    missing = board.split("== Expected but not in the queue ==")[1].split("==")[0]
    assert "Diego Agent (214)" in missing and "/add @diego" in missing
    assert "Alice" not in missing and "Carla" not in missing  # coordinators aren't expected


def test_the_board_reconciles_the_log_with_the_pbx(chat: Chat, queued: Services,
                                                   clock: FixedClock) -> None:
    chat.say("alice", "/pause lunch")
    queued.pbx.pause("212", "comida")  # Bruno pauses on his phone
    queued.pbx.pause("213")  # Chen too, with no reason
    queued.pbx.resume("211")  # Alice resumes on her phone
    clock.advance(timedelta(minutes=4))
    board = chat.say("carla", "board")
    assert "Bruno Agent (212)  available · paused: lunch for 4 min" in board
    assert "Chen Agent (213)   available · paused: other for 4 min" in board
    rows = {(r.person_id, r.reason): r for r in log(queued)}
    alice, bruno, chen = (person_id(queued, k) for k in ("alice", "bruno", "chen"))
    closed = rows[(alice, "lunch")]
    assert (closed.ended_at, closed.ended_by_id, closed.source) == (
        T0 + timedelta(minutes=4), None, "chat")
    for key in ((bruno, "lunch"), (chen, "other")):
        opened = rows[key]
        assert (opened.source, opened.started_at, opened.ended_at, opened.started_by_id) == (
            "pbx", T0, None, None)
    assert {r.person_id for r in log(queued, SESSION) if r.ended_at is None} == {
        alice, bruno, chen}
    chat.say("carla", "/queue")  # a second look changes nothing
    assert len(log(queued)) == 3
    assert chat.say("bruno", "/resume").startswith("Resumed after 4 min (lunch)")


# --------------------------------------------------------------------------- membership


def test_login_and_logout_open_and_close_a_session(chat: Chat, demo: Services,
                                                   clock: FixedClock) -> None:
    assert chat.say("elena", "log me in") == (
        "You are in the queue (extension 215): calls can ring now.")
    assert member(demo, "215") is not None
    chat.say("elena", "/pause lunch")
    clock.advance(timedelta(hours=1, minutes=5))
    assert chat.say("elena", "/logout") == (
        "You are out of the queue after 1 h 05 min; the lunch pause was ended too.")
    assert member(demo, "215") is None
    (stint,) = log(demo, SESSION)
    (pause,) = log(demo)
    elena = person_id(demo, "elena")
    for row in (stint, pause):
        assert (row.started_at, row.ended_at) == (T0, T0 + timedelta(hours=1, minutes=5))
        assert (row.started_by_id, row.ended_by_id, row.end_note) == (elena, elena, None)


def test_logout_with_a_reason_required(db: Database, clock: FixedClock) -> None:
    settings = make_settings(DATABASE_URL=db.url, LOGOUT_REASON_REQUIRED="true")
    services = make_services(db, settings, clock)
    with transaction(services.sessions) as session:
        load_demo(session, clock.now())
    chat = Chat(Dispatcher(COMMANDS, services))
    chat.say("elena", "/login")
    reply = chat.say("elena", "/logout")
    assert chat.last is not None and chat.last.outcome == "usage"
    assert reply.startswith("A reason is required to log out")
    assert member(services, "215") is not None
    assert chat.say("elena", "/logout doctor's appointment") == (
        "You are out of the queue after 0 min. Reason: doctor's appointment.")
    (stint,) = log(services, SESSION)
    assert stint.end_note == "doctor's appointment" and stint.ended_at is not None


def test_logout_needs_no_reason_by_default(chat: Chat, demo: Services) -> None:
    chat.say("elena", "/login")
    assert chat.say("elena", "/logout").startswith("You are out of the queue")
    assert member(demo, "215") is None


def test_add_and_remove_are_for_coordinators_and_log_sessions(chat: Chat, demo: Services,
                                                              clock: FixedClock) -> None:
    chat.say("alice", "/add @bruno")
    assert chat.last is not None and chat.last.outcome == "denied"
    assert chat.say("carla", "/add @bruno") == "Bruno is in the queue now (extension 212)."
    chat.say("carla", "/pause @bruno break")
    clock.advance(timedelta(minutes=10))
    assert chat.say("carla", "/remove bruno@switchboard.example") == (
        "Bruno is out of the queue after 10 min; the break pause was ended too.")
    assert member(demo, "212") is None
    carla = person_id(demo, "carla")
    (stint,) = log(demo, SESSION)
    (pause,) = log(demo)
    assert (stint.started_by_id, stint.ended_by_id, stint.end_note) == (
        carla, carla, "removed by carla")
    assert pause.ended_at == T0 + timedelta(minutes=10)
    assert chat.say("carla", "/add").startswith("Name one person")


# --------------------------------------------------------------------------- log vs PBX races


def test_a_command_adopts_what_a_racing_reconciliation_logged(queued: Services,
                                                              clock: FixedClock) -> None:
    alice = person_id(queued, "alice")
    queued.pbx.pause("211", "lunch")  # the command's PBX call went through…
    _, report = sync_with_pbx(queued)  # …and the board reconciled before it could log
    assert report.pauses_opened == ["alice"]
    with transaction(queued.sessions) as session:
        log_start(session, alice, PAUSE, clock.now(), since=T0, by_id=alice, reason="lunch")
    (row,) = log(queued)
    assert (row.source, row.started_by_id, row.ended_at) == ("chat", alice, None)

    # Resumed on the phone unnoticed, then paused again from chat: the old row is stale.
    clock.advance(timedelta(minutes=30))
    with transaction(queued.sessions) as session:
        log_start(session, alice, PAUSE, clock.now(), since=clock.now(), by_id=alice,
                  reason="break")
    old, new = log(queued)
    assert (old.ended_at, old.ended_by_id) == (T0 + timedelta(minutes=30), None)
    assert (new.reason, new.started_at, new.ended_at) == ("break", T0 + timedelta(minutes=30),
                                                          None)


def test_reconciling_never_closes_what_was_logged_after_the_snapshot(queued: Services) -> None:
    alice, bruno = person_id(queued, "alice"), person_id(queued, "bruno")
    with transaction(queued.sessions) as session:
        log_start(session, alice, PAUSE, T0 - timedelta(minutes=1), since=T0, by_id=alice)
        log_start(session, bruno, PAUSE, T0, since=T0, by_id=bruno)
    with transaction(queued.sessions) as session:
        report = reconcile(session, [], T0)  # a snapshot asked for at T0: nobody paused
    assert report.pauses_closed == ["alice"]
    assert [(r.person_id, r.ended_at) for r in log(queued)] == [(alice, T0), (bruno, None)]


def test_members_nobody_has_are_shown_and_left_out_of_the_log(chat: Chat, queued: Services) -> None:
    with transaction(queued.sessions) as session:
        bruno = people.by_key(session, "bruno")
        assert bruno is not None
        bruno.extension = None  # 212 stays in the queue, but is nobody's now
    board = chat.say("carla", "/queue")
    assert "ext 212 (nobody in Switchboard)  available" in board
    assert {r.person_id for r in log(queued, SESSION)} == {
        person_id(queued, "alice"), person_id(queued, "chen")}


def test_concurrent_pauses_of_one_agent_get_one_paused_reply(queued: Services) -> None:
    """Many /pause of one agent at the same moment (double clicks, two devices): the PBX
    applies one, refuses the others, and the log holds exactly one pause."""
    dispatcher = Dispatcher(COMMANDS, queued)
    barrier = threading.Barrier(6)
    replies: list[str] = []

    def pause() -> None:
        barrier.wait()
        result = dispatcher.handle(Incoming(platform="console", user_id="alice",
                                            text="/pause lunch",
                                            where=Where(platform="console")))
        replies.append(result.reply.text)

    workers = [threading.Thread(target=pause) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(replies) == ["Paused: lunch (max 60 min)."] + [
        "You are already paused (lunch since 09:00)."] * 5
    assert [(row.reason, row.ended_at) for row in log(queued)] == [("lunch", None)]
