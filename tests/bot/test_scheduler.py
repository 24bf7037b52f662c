"""The schedule table run by hand with a fixed clock: the same jobs the scheduler runs."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from bot.runtime import build_runtime
from bot.scheduler import Background, Job, deliver_outbox
from commands.core import Reply, Where
from commands.dispatch import Incoming
from integrations.clock import FixedClock
from store.calls.records import CallRecord
from store.db import transaction
from store.demo.team import load_demo
from tests.conftest import Database, make_services, make_settings


def test_proactive_messages_reach_the_console_through_the_outbox(db: Database,
                                                                 clock: FixedClock) -> None:
    settings = make_settings(DATABASE_URL=db.url)
    runtime = build_runtime(settings, make_services(db, settings, clock))
    with transaction(runtime.services.sessions) as session:
        load_demo(session, clock.now())
    printed: list[tuple[str, Reply]] = []
    background = Background(runtime, console_sink=lambda target, reply: printed.append(
        (target, reply)))
    assert "sim-traffic" not in background.job_names  # SIM_TRAFFIC is off by default
    result = runtime.dispatcher.handle(Incoming(platform="console", user_id="carla",
                                                text="/announce Fire drill at 11",
                                                where=Where(platform="console")))
    assert result.ok
    assert printed == []  # written first, delivered after
    background.run_job("outbox-delivery")
    assert len(printed) == 1
    assert printed[0][0] == "team" and "Fire drill at 11" in printed[0][1].text
    background.run_job("outbox-delivery")
    assert len(printed) == 1  # delivered once


def test_simulated_callers_arrive_when_the_clock_moves(db: Database, clock: FixedClock) -> None:
    settings = make_settings(DATABASE_URL=db.url, SIM_TRAFFIC="true", SIM_CALLS_PER_HOUR="120")
    runtime = build_runtime(settings, make_services(db, settings, clock))
    with transaction(runtime.services.sessions) as session:
        load_demo(session, clock.now())
    runtime.services.pbx.set_members(["211", "212"])
    background = Background(runtime)
    assert background.job_names[:4] == ["outbox-delivery", "sim-traffic", "pause-overdue",
                                        "housekeeping"]
    clock.advance(timedelta(hours=1))
    background.run_job("sim-traffic")
    with transaction(runtime.services.sessions) as session:
        calls = session.scalar(select(func.count()).select_from(CallRecord))
    assert calls is not None and calls > 0


def test_the_scheduler_thread_delivers_the_outbox(db: Database, clock: FixedClock) -> None:
    settings = make_settings(DATABASE_URL=db.url)
    runtime = build_runtime(settings, make_services(db, settings, clock))
    with transaction(runtime.services.sessions) as session:
        load_demo(session, clock.now())
    arrived = threading.Event()
    seen: list[tuple[str, str]] = []

    def show(target: str, reply: Reply) -> None:
        seen.append((target, reply.text))
        arrived.set()

    fast = (Job("outbox-delivery", timedelta(milliseconds=50), deliver_outbox),)
    background = Background(runtime, console_sink=show, schedule=fast)
    background.start()
    try:
        with transaction(runtime.services.sessions) as session:
            runtime.services.notifier.send(session, "team", Reply("Queue is busy"), key="busy:1")
        assert arrived.wait(10)
    finally:
        background.shutdown()
    assert seen == [("team", "Queue is busy")]


def test_console_messages_are_not_paced(db: Database, clock: FixedClock) -> None:
    settings = make_settings(DATABASE_URL=db.url)
    runtime = build_runtime(settings, make_services(db, settings, clock))
    printed: list[str] = []
    background = Background(runtime, console_sink=lambda target, reply: printed.append(
        reply.text))
    with transaction(runtime.services.sessions) as session:
        for n in range(3):
            runtime.services.notifier.send(session, "team", Reply(f"burst {n}"), key=f"b{n}")
    background.run_job("outbox-delivery")
    assert printed == ["burst 0", "burst 1", "burst 2"]


def test_housekeeping_prunes_what_outlived_its_retention(db: Database, clock: FixedClock) -> None:
    from store.messaging import chat, outbox
    from store.messaging.chat import InboundEvent
    from store.messaging.outbox import OutboxMessage
    from store.team import audit, desk_sessions
    from store.team.audit import AuditEntry
    from store.team.people import Person

    settings = make_settings(DATABASE_URL=db.url, AUDIT_RETENTION_DAYS="30",
                             OUTBOX_RETENTION_DAYS="7", INBOUND_RETENTION_HOURS="24")
    runtime = build_runtime(settings, make_services(db, settings, clock))
    background = Background(runtime, console_sink=lambda target, reply: None)
    old, recent = clock.now() - timedelta(days=40), clock.now() - timedelta(hours=1)
    with transaction(runtime.services.sessions) as session:
        for n, at in enumerate((old, recent)):
            audit.record(session, AuditEntry(at=at, platform="console", user_ref="x", text="t",
                                             outcome="ok", duration_ms=1))
            chat.claim_event(session, "slack", f"Ev{n}", at)
            runtime.services.notifier.send(session, "team", Reply(f"m{n}"), key=f"k{n}")
        runtime.services.notifier.send(session, "team", Reply("failed"), key="dead")
        person = session.scalars(select(Person)).first()
        if person is None:
            person = Person(key="pat", name="Pat", role="agent", created_at=old)
            session.add(person)
            session.flush()
        desk_sessions.open_session(session, person.id, "link", old, old + timedelta(hours=12))
        desk_sessions.open_session(session, person.id, "link", recent, recent + timedelta(hours=12))
    with transaction(runtime.services.sessions) as session:
        for row in session.scalars(select(OutboxMessage)):
            row.status = outbox.DEAD if row.key == "dead" else outbox.SENT
            row.sent_at = old if row.key in ("k0", "dead") else recent
    assert background.run_job("housekeeping") == {
        "inbound events": 1, "outbox messages": 1, "audit rows": 1, "IVR rate windows": 0,
        "IVR idempotent answers": 0, "expired desk sign-ins": 1}
    with transaction(runtime.services.sessions) as session:
        assert [e.event_key for e in session.scalars(select(InboundEvent))] == ["Ev1"]
        assert len(desk_sessions.live_sessions(session, recent)) == 1
        assert sorted(m.key for m in session.scalars(select(OutboxMessage))) == ["dead", "k1"]
        assert [a.at for a in session.scalars(select(AuditEntry))] == [recent]


def test_the_daily_stats_job_sends_once(db: Database, clock: FixedClock) -> None:
    from store.calls.ingest import save_calls
    from store.calls.records import CallInfo
    from store.messaging.outbox import OutboxMessage

    settings = make_settings(DATABASE_URL=db.url, DAILY_REPORT_TIME="17:00")
    runtime = build_runtime(settings, make_services(db, settings, clock))
    with transaction(runtime.services.sessions) as session:
        load_demo(session, clock.now())
        save_calls(session, "sim", [CallInfo("a", "support", clock.now(), "abandoned",
                                             wait_seconds=30)], region="ES")
    printed: list[Reply] = []
    background = Background(runtime, console_sink=lambda target, reply: printed.append(reply))
    assert "calls-pull" not in background.job_names  # the sim writes its own records
    clock.set(clock.now().replace(hour=17, minute=1))
    assert background.run_job("daily-stats") == "daily-stats:2026-11-23"
    assert background.run_job("daily-stats") is None
    background.run_job("outbox-delivery")
    assert [r.text for r in printed] == [
        "Calls today (Mon 23 Nov): 1 offered, 0 answered (0.0 %), 1 abandoned."]
    with transaction(runtime.services.sessions) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_pulling_call_records_is_scheduled_where_there_are_some() -> None:
    from bot.scheduler import _pulls_calls

    assert _pulls_calls(make_settings(PBX_BACKEND="areavoip", AREAVOIP_BASE_URL="http://x",
                                      AREAVOIP_API_KEY="k", AREAVOIP_TENANT="t"))
    irontec = {"PBX_BACKEND": "irontec", "IRONTEC_BASE_URL": "http://x", "IRONTEC_USER": "u",
               "IRONTEC_PASSWORD": "p"}
    assert not _pulls_calls(make_settings(**irontec))
    assert _pulls_calls(make_settings(**irontec, IRONTEC_STATS_URL="http://es:9200"))
    asterisk = {"PBX_BACKEND": "asterisk", "AMI_HOST": "pbx", "AMI_USER": "u", "AMI_SECRET": "s"}
    assert not _pulls_calls(make_settings(**asterisk))
    assert _pulls_calls(make_settings(**asterisk, ASTERISK_QUEUE_LOG="/var/log/asterisk/queue_log"))


def test_housekeeping_runs_soon_after_start_not_a_day_later(db: Database,
                                                            clock: FixedClock) -> None:
    # A process restarted daily would push a first run "a day after start" forever.
    settings = make_settings(DATABASE_URL=db.url)
    background = Background(build_runtime(settings, make_services(db, settings, clock)))
    background.scheduler.start(paused=True)  # computes the run times, runs nothing
    try:
        first = background.scheduler.get_job("housekeeping").next_run_time
        daily = background.scheduler.get_job("outbox-delivery").next_run_time
    finally:
        background.scheduler.shutdown(wait=False)
    assert first == clock.now() + timedelta(minutes=10)
    assert daily != clock.now() + timedelta(minutes=10)  # other jobs keep their interval


def test_the_weekly_pbx_sync_runs_once_at_its_time(db: Database, clock: FixedClock) -> None:
    unset = Background(build_runtime(make_settings(DATABASE_URL=db.url),
                                     make_services(db, make_settings(), clock)))
    clock.set(clock.now().replace(hour=15, minute=1))
    assert unset.run_job("pbx-sync").slots == []  # PBX_SYNC_AT unset: never due
    clock.set(clock.now().replace(hour=9, minute=0))
    settings = make_settings(DATABASE_URL=db.url, PBX_SYNC_AT="mon 15:00")
    runtime = build_runtime(settings, make_services(db, settings, clock))
    with transaction(runtime.services.sessions) as session:
        load_demo(session, clock.now())
    background = Background(runtime)
    assert background.run_job("pbx-sync").slots == []  # Monday, before 15:00
    clock.set(clock.now().replace(hour=15, minute=1))
    ran = background.run_job("pbx-sync")
    assert len(ran.slots) == 1 and ran.ran[0].outcome == "done"
    assert str(ran.ran[0].result).startswith("PBX sync (sim): 11 change(s) made.")
    assert background.run_job("pbx-sync").slots == []  # once per slot
