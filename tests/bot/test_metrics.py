"""GET /metrics: who may read it, what it counts, and every gunicorn worker counted."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bench import chat as bench_chat
from bench.server import Gunicorn
from bot import metrics
from bot.app import create_app, runtime_of
from bot.gunicorn_conf import metrics_bind
from bot.runtime import build_services
from bot.scheduler import Background, ClockJob, Job
from commands.core import Reply, Services, Where
from commands.dispatch import Incoming
from commands.shifts.planning.drafts import make_draft
from commands.shifts.planning.inputs import Options
from integrations.clock import FixedClock
from integrations.pbx import PbxError, PbxUnreachable
from integrations.pbx.asterisk.ami import AmiClient
from store.db import make_engine, transaction
from testing.fake_ami import FakeAmi
from tests.conftest import T0, Database, make_services, make_settings

TOKEN = "metrics-token-for-tests"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def console(dispatcher: Any, key: str, text_: str) -> None:
    dispatcher.handle(Incoming(platform="console", user_id=key, text=text_,
                               where=Where(platform="console", space="console")))


# ----------------------------------------------------------------------- who may read it


def test_metrics_are_not_served_unless_configured(demo: Services) -> None:
    client = create_app(demo.settings, demo).test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 404


def test_a_token_is_asked_for_and_checked(demo: Services) -> None:
    settings = demo.settings.replace(metrics_token=TOKEN)
    client = create_app(settings, demo).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert ok.mimetype == "text/plain"
    assert "switchboard_outbox_pending" in ok.text


def test_the_metrics_port_alone_serves_them(demo: Services) -> None:
    settings = demo.settings.replace(metrics_port=9464)
    client = create_app(settings, demo).test_client()
    assert client.get("/metrics", environ_overrides={"SERVER_PORT": "8080"}).status_code == 404
    answer = client.get("/metrics", environ_overrides={"SERVER_PORT": "9464"})
    assert answer.status_code == 200 and "switchboard_commands_total" in answer.text
    both = create_app(settings.replace(metrics_token=TOKEN), demo).test_client()
    assert both.get("/metrics", environ_overrides={"SERVER_PORT": "9464"}).status_code == 401


def test_gunicorn_listens_on_the_metrics_port_beside_the_first_address() -> None:
    assert metrics_bind([":8080"], 9464) == ":9464"
    assert metrics_bind(["10.0.0.5:8080", ":9000"], 9464) == "10.0.0.5:9464"
    assert metrics_bind(["fd://5"], 9464) == "127.0.0.1:9464"
    assert metrics_bind(["unix:/run/sb.sock"], 9464) == "127.0.0.1:9464"


# ----------------------------------------------------------------------- what it counts


def test_commands_are_counted_by_name_and_outcome(demo: Services) -> None:
    app = create_app(demo.settings, demo)
    dispatcher = runtime_of(app).dispatcher
    before = (value("switchboard_commands_total", command="whoami", outcome="ok"),
              value("switchboard_commands_total", command="none", outcome="unknown_person"),
              value("switchboard_commands_total", command="none", outcome="unknown_command"))
    console(dispatcher, "alice", "/whoami")
    console(dispatcher, "alice", "/whoami")
    console(dispatcher, "stranger-with-a-long-name", "/whoami")
    console(dispatcher, "alice", "/nonsense 600 11 22 33")
    after = (value("switchboard_commands_total", command="whoami", outcome="ok"),
             value("switchboard_commands_total", command="none", outcome="unknown_person"),
             value("switchboard_commands_total", command="none", outcome="unknown_command"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1]
    labels = {tuple(sorted(s.labels)) for m in REGISTRY.collect()
              if m.name == "switchboard_commands" for s in m.samples}
    assert labels == {("command", "outcome")}


def test_door_latency_is_observed_per_door(demo: Services) -> None:
    client = create_app(demo.settings, demo).test_client()
    before = value("switchboard_door_request_seconds_count", door="slack")
    health = value("switchboard_door_request_seconds_count", door="healthz")
    assert client.post("/slack/events", data="x").status_code == 401
    assert client.get("/healthz").status_code == 200
    assert value("switchboard_door_request_seconds_count", door="slack") == before + 1
    assert value("switchboard_door_request_seconds_count", door="healthz") == health == 0


def test_the_outbox_backlog_is_read_when_scraped(demo: Services, clock: FixedClock) -> None:
    client = create_app(demo.settings.replace(metrics_token=TOKEN), demo).test_client()
    with transaction(demo.sessions) as session:
        demo.notifier.send(session, "team", Reply("first"), key="t:1")
    clock.advance(timedelta(seconds=90))
    with transaction(demo.sessions) as session:
        demo.notifier.send(session, "team", Reply("second"), key="t:2")
    clock.advance(timedelta(seconds=30))
    found = scrape(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text)
    assert found[("switchboard_outbox_pending", (("platform", "console"),))] == 2
    assert found[("switchboard_outbox_oldest_pending_age_seconds",
                  (("platform", "console"),))] == 120
    assert found[("switchboard_outbox_pending", (("platform", "slack"),))] == 0
    sent = value("switchboard_outbox_sent_total", platform="console")
    Background(runtime_of(client.application)).run_job("outbox-delivery")
    found = scrape(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text)
    assert found[("switchboard_outbox_pending", (("platform", "console"),))] == 0
    assert found[("switchboard_outbox_oldest_pending_age_seconds",
                  (("platform", "console"),))] == 0
    assert value("switchboard_outbox_sent_total", platform="console") == sent + 2


class BrokenPbx:
    name, queue = "broken", "support"

    def __init__(self) -> None:
        self.calls = 0

    def queue_status(self) -> list[Any]:
        self.calls += 1
        raise PbxUnreachable("no answer within 3 s")

    def pause(self, extension: str, reason: str | None = None) -> None:
        raise PbxError("no such member", "not_member")

    def resume(self, extension: str) -> None:
        pass


def test_pbx_operations_are_timed_and_their_failures_counted() -> None:
    pbx = metrics.MeteredPbx(BrokenPbx())  # type: ignore[arg-type]
    labels = {"backend": "broken", "operation": "queue_status"}
    before = value("switchboard_pbx_request_seconds_count", **labels)
    with pytest.raises(PbxUnreachable):
        pbx.queue_status()
    with pytest.raises(PbxError):
        pbx.pause("211")
    pbx.resume("211")
    assert value("switchboard_pbx_request_seconds_count", **labels) == before + 1
    assert value("switchboard_pbx_errors_total", kind="unreachable", **labels) >= 1
    assert value("switchboard_pbx_errors_total", backend="broken", operation="pause",
                 kind="refused") >= 1
    assert value("switchboard_pbx_errors_total", backend="broken", operation="resume",
                 kind="refused") == 0
    assert value("switchboard_pbx_request_seconds_count", backend="broken",
                 operation="resume") >= 1


def test_the_production_services_meter_the_pbx(db: Database) -> None:
    services = build_services(make_settings(DATABASE_URL=db.url))
    try:
        assert isinstance(services.pbx, metrics.MeteredPbx)
        before = value("switchboard_pbx_request_seconds_count", backend="sim",
                       operation="queue_status")
        services.pbx.queue_status()
        assert value("switchboard_pbx_request_seconds_count", backend="sim",
                     operation="queue_status") == before + 1
    finally:
        services.sessions.kw["bind"].dispose()


def test_scheduled_jobs_count_runs_failures_and_the_last_success(
        demo: Services, clock: FixedClock) -> None:
    def fail(bg: Background) -> object:
        raise RuntimeError("boom")

    def fail_slot(bg: Background, slot: Any) -> object:
        raise RuntimeError("boom")

    schedule = (Job("metrics-good", timedelta(minutes=1), lambda bg: "fine"),
                Job("metrics-bad", timedelta(minutes=1), fail),
                ClockJob("metrics-clock", lambda bg, day: [T0], fail_slot))
    bg = Background(runtime_of(create_app(demo.settings, demo)), schedule=schedule)
    runs = value("switchboard_job_runs_total", job="metrics-good")
    bg.run_job("metrics-good")
    with pytest.raises(RuntimeError):
        bg.run_job("metrics-bad")
    bg.run_job("metrics-clock")  # its slot fails inside; the pass itself returns
    assert value("switchboard_job_runs_total", job="metrics-good") == runs + 1
    assert value("switchboard_job_last_success_timestamp_seconds",
                 job="metrics-good") == T0.timestamp()
    assert value("switchboard_job_failures_total", job="metrics-good") == 0
    assert value("switchboard_job_failures_total", job="metrics-bad") >= 1
    assert value("switchboard_job_failures_total", job="metrics-clock") >= 1
    assert value("switchboard_job_last_success_timestamp_seconds", job="metrics-bad") == 0


def test_the_production_services_count_every_planner_solve(db: Database) -> None:
    services = build_services(make_settings(DATABASE_URL=db.url))
    try:
        assert services.on_solve == metrics.planner_solved
    finally:
        services.sessions.kw["bind"].dispose()


def test_a_plan_is_counted_by_its_status_with_its_seconds(demo: Services) -> None:
    counted = replace(demo, on_solve=metrics.planner_solved)
    labels = {"status": "optimal"}
    before = value("switchboard_planner_solve_seconds_count", **labels)
    seconds = value("switchboard_planner_solve_seconds_sum", **labels)
    summary = make_draft(counted, date(2026, 11, 30), Options(time_limit=10))
    assert summary["status"] == "optimal"
    assert value("switchboard_planner_solve_seconds_count", **labels) == before + 1
    assert value("switchboard_planner_solve_seconds_sum", **labels) == pytest.approx(
        seconds + summary["seconds"], abs=0.001)
    # Services without the observer (a test's, a tool's) count nothing.
    make_draft(demo, date(2026, 11, 30), Options(time_limit=10))
    assert value("switchboard_planner_solve_seconds_count", **labels) == before + 1


def test_planner_statuses_stay_a_closed_set() -> None:
    before = value("switchboard_planner_solve_seconds_count", status="unknown")
    metrics.planner_solved("MODEL_INVALID: 42 people", 0.5)
    assert value("switchboard_planner_solve_seconds_count", status="unknown") == before + 1
    assert value("switchboard_planner_solve_seconds_count",
                 status="MODEL_INVALID: 42 people") == 0


def test_the_ami_connection_state_follows_the_connection() -> None:
    fake = FakeAmi()
    fake.start()
    try:
        client = AmiClient("127.0.0.1", fake.port, fake.username, fake.secret, timeout=0.5,
                           on_state=metrics.ami_state)
        metrics.ami_state(False)
        client.ping()
        assert value("switchboard_ami_connected") == 1
        client.close()
        assert value("switchboard_ami_connected") == 0
    finally:
        fake.stop()


def test_the_pool_gauge_follows_checked_out_connections(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    metrics.watch_pool(engine)
    metrics.watch_pool(engine)  # once per engine
    before = value("switchboard_db_pool_in_use")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        assert value("switchboard_db_pool_in_use") == before + 1
    assert value("switchboard_db_pool_in_use") == before
    engine.dispose()


def test_every_series_is_named_in_the_list_the_alert_rules_are_checked_against() -> None:
    exposed = {m.name for m in REGISTRY.collect() if m.name.startswith("switchboard_")}
    suffixed = {name.removesuffix("_total") for name in metrics.SERIES}
    assert exposed <= suffixed | set(metrics.SERIES), exposed - suffixed


# ----------------------------------------------------------------------- every worker


def test_under_gunicorn_every_worker_counts(db: Database, tmp_path: Path) -> None:
    """Four workers, commands answered by whichever worker; one scrape sums them all."""
    services = make_services(db, make_settings(DATABASE_URL=db.url), FixedClock(T0))
    bench_chat.prepare_team(services)
    with transaction(services.sessions) as session:
        services.notifier.send(session, "team", Reply("hello team"), key="metrics:1")
    commands = 12
    with bench_chat.SlackSink() as sink:
        env = {"DATABASE_URL": db.url, "BACKGROUND_JOBS": "false", "PBX_BACKEND": "sim",
               "TEAM_SPACE": "", "COORDINATORS_SPACE": "", "METRICS_TOKEN": TOKEN,
               "TASKS_TOKEN": "tasks-token", "PROMETHEUS_MULTIPROC_DIR": "",
               **bench_chat.chat_env("http://127.0.0.1:1/certs", sink.api_url)}
        with Gunicorn(env, workers=4, threads=2) as server:
            bodies = bench_chat.slack_bodies("whoami", sink.response_url)

            def send(number: int) -> None:
                body = bodies(number)
                answer = httpx.post(server.url + "/slack/events", content=body,
                                    headers=bench_chat.slack_headers(body), timeout=30)
                assert answer.status_code == 200, answer.text

            threads = [threading.Thread(target=send, args=(n,)) for n in range(commands)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            delivered = httpx.post(server.url + "/tasks/outbox-delivery", timeout=30,
                                   headers={"Authorization": "Bearer tasks-token"})
            assert delivered.status_code == 200, delivered.text
            assert httpx.get(server.url + "/metrics", timeout=30).status_code == 401
            scrapes = [scrape(httpx.get(server.url + "/metrics", timeout=30,
                                        headers={"Authorization": f"Bearer {TOKEN}"}).text)
                       for _ in range(4)]
            log = server.log_path.read_text()
    assert log.count("Booting worker") == 4
    for found in scrapes:
        assert found[("switchboard_commands_total",
                      (("command", "whoami"), ("outcome", "ok")))] == commands
        assert found[("switchboard_door_request_seconds_count",
                      (("door", "slack"),))] == commands
        assert found[("switchboard_outbox_sent_total", (("platform", "console"),))] == 1
        assert found[("switchboard_outbox_pending", (("platform", "console"),))] == 0
        assert found[("switchboard_job_runs_total", (("job", "outbox-delivery"),))] == 1


def test_ivr_bookings_and_refusals_are_counted_by_reason(demo: Services) -> None:
    from testing.ivr import load_capacity, open_ivr

    load_capacity(demo)
    ivr = open_ivr(demo)
    booking = {"phone": "612 34 56 78", "when": "2026-11-24T10:00:00+01:00",
               "queue": "soporte"}
    booked = value("switchboard_ivr_bookings_total")
    invalid = value("switchboard_ivr_refusals_total", reason="invalid")
    assert ivr.post("/callbacks", booking).status_code == 201
    assert ivr.post("/callbacks", booking).status_code == 200  # the same one again
    assert ivr.post("/callbacks", {**booking, "when": "soon"}).status_code == 422
    assert ivr.post("/callbacks", {**booking, "queue": "nowhere"}).status_code == 422
    assert value("switchboard_ivr_bookings_total") == booked + 1
    assert value("switchboard_ivr_refusals_total", reason="invalid") == invalid + 2
