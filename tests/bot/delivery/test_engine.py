"""The delivery engine: priorities, limits at the platform's scope, waking on commit, DMs
opened ahead. Against the fake Chat API and fake Slack, on a real database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.delivery.limits import Rate, google_limits, margin, slack_limits
from bot.delivery.senders import ConsoleSender, build_senders
from bot.delivery.worker import OutboxWorker
from bot.settings import Settings
from commands.core import BROADCAST, TEAM, URGENT, Reply, Services
from integrations.clock import FixedClock
from store import i18n
from store.db import make_sessionmaker, reading, transaction
from store.demo.team import load_demo
from store.messaging import chat, outbox
from store.messaging.outbox import PENDING, SENT, OutboxMessage
from store.team import people
from testing.fake_google_chat import FakeGoogleChat
from testing.fake_slack import FakeSlack
from testing.local_server import Response
from tests.conftest import T0, Database, make_services, make_settings

SECOND = timedelta(seconds=1)


@pytest.fixture
def fake() -> Iterator[FakeGoogleChat]:
    with FakeGoogleChat(dms={"users/111": "spaces/DM-ALICE",
                             "users/222": "spaces/DM-BRUNO"}) as server:
        yield server


@pytest.fixture
def gservices(db: Database, fake: FakeGoogleChat, tmp_path: Path, clock: FixedClock) -> Services:
    settings = make_settings(DATABASE_URL=db.url, TEAM_SPACE="google:spaces/TEAM",
                             GOOGLE_CHAT_SERVICE_ACCOUNT_FILE=str(
                                 fake.write_service_account(tmp_path)),
                             GOOGLE_CHAT_API_ENDPOINT=fake.url)
    services = make_services(db, settings, clock)
    with transaction(services.sessions) as session:
        load_demo(session, clock.now())
        for key, user in (("alice", "users/111"), ("bruno", "users/222")):
            person = people.by_key(session, key)
            assert person is not None
            people.link_chat_id(session, person, "google", user)
    return services


def worker_for(services: Services, **kw: object) -> OutboxWorker:
    settings = services.settings
    assert isinstance(settings, Settings)
    return OutboxWorker(services.sessions, services.clock, build_senders(settings,
                                                                         services.clock),
                        max_attempts=8, **kw)  # type: ignore[arg-type]


def send(services: Services, target: str, text: str, key: str, priority: int) -> None:
    with transaction(services.sessions) as session:
        assert services.notifier.send(session, target, Reply(text), key=key, priority=priority)


def status(services: Services, key: str) -> str:
    with reading(services.sessions) as session:
        row = outbox.by_key(session, key)
        assert row is not None
        return row.status


def test_the_screen_pop_goes_before_a_broadcast_queued_earlier(gservices: Services,
                                                               fake: FakeGoogleChat) -> None:
    for i in range(5):
        send(gservices, TEAM, f"notice {i}", f"notice:{i}", BROADCAST)
    send(gservices, "person:alice", "Call from Acme", "ring:1", URGENT)
    # One row a pass: the most urgent is claimed first though it was written last.
    worker = worker_for(gservices, batch=1)
    assert worker.deliver_due().sent == 1
    assert [c.space for c in fake.create_calls] == ["spaces/DM-ALICE"]
    assert status(gservices, "ring:1") == SENT and status(gservices, "notice:0") == PENDING


def test_a_google_429_for_the_project_holds_every_space(gservices: Services,
                                                        fake: FakeGoogleChat) -> None:
    clock = gservices.clock
    assert isinstance(clock, FixedClock)
    fake.script(Response(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                                         "message": "Quota exceeded"}}, {"Retry-After": "5"}))
    with transaction(gservices.sessions) as session:
        for person in ("alice", "bruno"):
            person_row = people.by_key(session, person)
            assert person_row is not None
            chat.remember_space(session, "google", f"spaces/DM-{person.upper()}", "dm", T0,
                                person_id=person_row.id)
    send(gservices, "person:alice", "one", "a", URGENT)
    worker = worker_for(gservices, threads=1)
    assert worker.deliver_due().retrying == 1
    send(gservices, "person:bruno", "two", "b", URGENT)
    stats = worker.deliver_due()  # another space, but the project is held
    assert (stats.claimed, stats.deferred) == (1, 1)
    assert len(fake.create_calls) == 1  # nothing was sent inside the Retry-After
    clock.advance(timedelta(seconds=5))
    assert worker.deliver_due().sent == 1  # the held one; the failed one backs off 10 s
    clock.advance(timedelta(seconds=5))
    assert worker.deliver_due().sent == 1
    assert sorted(fake.texts()) == ["one", "two"]


def test_a_google_429_for_one_space_holds_only_that_space(gservices: Services,
                                                          fake: FakeGoogleChat) -> None:
    fake.script(Response(429, {"error": {
        "code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                     "reason": "RATE_LIMIT_EXCEEDED",
                     "metadata": {"quota_limit": "WritesPerSecondPerSpace"}}]}},
        {"Retry-After": "5"}))
    send(gservices, TEAM, "team one", "t1", BROADCAST)
    worker = worker_for(gservices)
    assert worker.deliver_due().retrying == 1
    send(gservices, "person:alice", "ring", "ring", URGENT)
    send(gservices, TEAM, "team two", "t2", BROADCAST)
    stats = worker.deliver_due()
    assert (stats.sent, stats.deferred) == (1, 1)
    assert fake.texts("spaces/DM-ALICE") == ["ring"]
    assert [c.space for c in fake.create_calls].count("spaces/TEAM") == 1


def test_slack_opening_dms_counts_against_its_tier_and_its_retry_after(
        db: Database, clock: FixedClock) -> None:
    with FakeSlack() as slack:
        settings = make_settings(DATABASE_URL=db.url, SLACK_BOT_TOKEN="xoxb-test",
                                 SLACK_API_URL=slack.api_url)
        services = make_services(db, settings, clock)
        with transaction(services.sessions) as session:
            load_demo(session, clock.now())
            for n, person in enumerate(people.all_people(session)):
                people.link_chat_id(session, person, "slack", f"U{n:04d}")
        keys = [p.key for p in _all(services)]
        slack.script("conversations.open", Response(
            429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "20"}))
        worker = OutboxWorker(services.sessions, clock, build_senders(settings, clock),
                              max_attempts=8, limits={"slack": slack_limits(
                                  tier3=Rate(3, timedelta(minutes=1)))})
        for key in keys:
            send(services, f"person:{key}", "Your turn starts soon", f"n:{key}", BROADCAST)
        stats = worker.deliver_due()
        # Three opens fit the (test-sized) tier; the first answered 429 for 20 s, and the
        # other two, planned with it, wait for the Retry-After instead of going into it.
        assert len(slack.calls("conversations.open")) == 1
        assert stats.deferred == len(keys) - 1 and stats.retrying == 1
        opens = len(slack.calls("conversations.open"))
        clock.advance(timedelta(seconds=10))
        worker.deliver_due()
        assert len(slack.calls("conversations.open")) == opens  # inside the Retry-After
        clock.advance(timedelta(minutes=1))
        worker.deliver_due()
        assert len(slack.calls("conversations.open")) == opens + 3


def _all(services: Services) -> list[people.Person]:
    with reading(services.sessions) as session:
        return people.all_people(session, active_only=True)


def test_dms_opened_ahead_make_the_ring_one_call(gservices: Services,
                                                 fake: FakeGoogleChat) -> None:
    worker = worker_for(gservices)
    opened = worker.open_dms({"alice": "google", "bruno": "google"})
    assert (opened.opened, opened.failed) == (2, [])
    assert sorted(fake.find_dm_calls) == ["users/111", "users/222"]
    assert worker.open_dms({"alice": "google", "bruno": "google"}).opened == 0  # known now
    send(gservices, "person:bruno", "Call from Acme", "ring", URGENT)
    with reading(gservices.sessions) as session:
        row = outbox.by_key(session, "ring")
        assert row is not None and row.space == "spaces/DM-BRUNO"
    assert worker.deliver_due().sent == 1
    assert len(fake.find_dm_calls) == 2  # no lookup at ring time


def test_google_writes_stay_under_the_project_quota(gservices: Services,
                                                   fake: FakeGoogleChat) -> None:
    clock = gservices.clock
    assert isinstance(clock, FixedClock)
    worker = worker_for(gservices, limits={"google": google_limits(
        project_writes=Rate(5, SECOND))}, threads=1)
    with transaction(gservices.sessions) as session:
        for i in range(8):
            outbox.enqueue(session, OutboxMessage(
                key=f"k{i}", target="team", platform="google", space=f"spaces/S{i}",
                body={"text": f"n{i}"}, status=PENDING, attempts=0, priority=BROADCAST,
                next_attempt_at=T0, created_at=T0))
    assert worker.deliver_due().sent == 4  # a broadcast leaves 20 % of the window
    clock.advance(SECOND + margin(SECOND))
    assert worker.deliver_due().sent == 4
    assert len(fake.create_calls) == 8


def test_a_commit_wakes_the_loop(db: Database, clock: FixedClock) -> None:
    """No tick: the loop's safety net is an hour away, so only the commit can wake it."""
    services = make_services(db, make_settings(DATABASE_URL=db.url), clock)
    with transaction(services.sessions) as session:
        load_demo(session, clock.now())
    shown = threading.Event()
    worker = OutboxWorker(services.sessions, clock,
                          {"console": ConsoleSender(lambda target, reply: shown.set())},
                          max_attempts=8)
    worker.start(db.engine, tick=timedelta(hours=1))
    try:
        # A rolled back row wakes nobody, sends nothing.
        with pytest.raises(RuntimeError), transaction(services.sessions) as session:
            services.notifier.send(session, TEAM, Reply("never"), key="rolled-back")
            raise RuntimeError("abort")
        send(services, TEAM, "hello", "k", URGENT)
        assert shown.wait(10), "the commit did not wake the delivery loop"
    finally:
        worker.stop()
    assert status(services, "k") == SENT


def test_postgresql_notify_wakes_a_worker_in_another_process(db: Database,
                                                             clock: FixedClock) -> None:
    if db.backend != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    services = make_services(db, make_settings(DATABASE_URL=db.url), clock)
    with transaction(services.sessions) as session:
        load_demo(session, clock.now())
    shown = threading.Event()
    worker = OutboxWorker(services.sessions, clock,
                          {"console": ConsoleSender(lambda target, reply: shown.set())},
                          max_attempts=8)
    worker.start(db.engine, tick=timedelta(hours=1))
    try:
        # Written through another engine: no in-process signal reaches this worker.
        other = make_sessionmaker(db.new_engine())
        with transaction(other) as session:
            outbox.enqueue(session, OutboxMessage(
                key="k", target="team", platform="console", space="team",
                body=Reply("hi").to_dict(), status=PENDING, attempts=0, next_attempt_at=T0,
                created_at=T0))
        assert shown.wait(10), "the NOTIFY did not wake the delivery loop"
    finally:
        worker.stop()


# --------------------------------------------------------------------------- messages that fit


def long_notice(n: int) -> Reply:
    return Reply("Coming in: " + ", ".join(f"Person {i:04d}" for i in range(n)) + ".")


def test_a_long_broadcast_is_several_rows_written_once(gservices: Services,
                                                      fake: FakeGoogleChat) -> None:
    with transaction(gservices.sessions) as session:
        assert gservices.notifier.send(session, TEAM, long_notice(1000), key="notice",
                                       priority=BROADCAST)
    with transaction(gservices.sessions) as session:  # the same slot again: nothing new
        assert not gservices.notifier.send(session, TEAM, long_notice(1000), key="notice",
                                           priority=BROADCAST)
        keys = [r.key for r in outbox.listing(session, limit=100)]
    assert sorted(keys) == sorted(["notice"] + [f"notice#{n}" for n in range(2, len(keys) + 1)])
    assert len(keys) > 1
    clock = gservices.clock
    assert isinstance(clock, FixedClock)
    worker = worker_for(gservices)
    for _ in keys:
        worker.deliver_due()
        clock.advance(SECOND + margin(SECOND))
    texts = fake.texts("spaces/TEAM")
    assert len(texts) == len(keys)
    shown = [name for text in texts for name in
             text.split(": ", 1)[1].removesuffix(".").split(", ")]
    assert shown == [f"Person {i:04d}" for i in range(1000)]
    assert all("_reply" not in call.body for call in fake.create_calls)


def test_a_message_slack_refuses_as_too_long_is_split_and_sent_again(
        db: Database, clock: FixedClock) -> None:
    with FakeSlack() as slack:
        settings = make_settings(DATABASE_URL=db.url, TEAM_SPACE="slack:C0TEAM",
                                 SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.api_url)
        services = make_services(db, settings, clock)
        slack.script("chat.postMessage", Response(
            200, {"ok": False, "error": "msg_blocks_too_long"}))
        with transaction(services.sessions) as session:
            services.notifier.send(session, TEAM, long_notice(300), key="notice")
        from bot.delivery.worker import build_worker

        worker = build_worker(settings, services.sessions, clock)
        try:
            for _ in range(5):
                worker.deliver_due()
                clock.advance(SECOND + margin(SECOND))
        finally:
            worker.stop()
        posts = slack.calls("chat.postMessage")
        assert len(posts) >= 3  # refused once, then in pieces half its size
        shown = [name for call in posts[1:] for name in
                 str(call.params["text"]).split(": ", 1)[1].removesuffix(".").split(", ")]
        assert shown == [f"Person {i:04d}" for i in range(300)]
        with reading(services.sessions) as session:
            rows = {r.key: r.status for r in outbox.listing(session)}
        assert rows == {"notice": SENT, **{f"notice~{n}": SENT for n in range(1, len(posts))}}


# ----------------------------------------------------------------------- languages


def rows_of(services: Services, key: str) -> list[OutboxMessage]:
    with reading(services.sessions) as session:
        return sorted((r for r in outbox.listing(session, limit=100)
                       if r.key.split("#")[0] == key), key=lambda r: r.id)


def test_a_long_dm_is_continued_in_its_readers_language_and_the_team_in_the_teams(
        gservices: Services, fake: FakeGoogleChat) -> None:
    with transaction(gservices.sessions) as session:
        alice = people.by_key(session, "alice")
        assert alice is not None
        alice.language = "ca"
    with transaction(gservices.sessions) as session:
        assert gservices.notifier.send(session, "person:alice", long_notice(1000), key="dm")
        assert gservices.notifier.send(session, TEAM, long_notice(1000), key="team")
    dm, team = rows_of(gservices, "dm"), rows_of(gservices, "team")
    assert len(dm) > 1 and len(team) > 1
    assert all(r.body["text"].startswith("Coming in (continuació): ") for r in dm[1:])
    assert all(r.body["text"].startswith("Coming in (continued): ") for r in team[1:])
    assert {r.body["_language"] for r in dm} == {"ca"}
    assert {r.body["_language"] for r in team} == {"en"}
    worker = worker_for(gservices)
    clock = gservices.clock
    assert isinstance(clock, FixedClock)
    for _ in range(len(dm) + len(team)):
        worker.deliver_due()
        clock.advance(SECOND + margin(SECOND))
    assert fake.create_calls and all("_language" not in call.body
                                     for call in fake.create_calls)


def test_a_refused_piece_is_cut_again_in_the_language_it_was_written_in() -> None:
    from bot.delivery.notifier import halves
    from bot.render import slack as render_slack

    with i18n.speaking("es"):
        body = {**render_slack.render_message(long_notice(300)), "_language": "es",
                "_reply": long_notice(300).to_dict()}
    pieces = halves(make_settings())("slack", body)
    assert len(pieces) > 1
    assert all(p["text"].startswith("Coming in (continuación): ") for p in pieces[1:])
    assert {p["_language"] for p in pieces} == {"es"}
