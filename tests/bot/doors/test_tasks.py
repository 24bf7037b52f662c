"""POST /tasks/<job>: only a caller with the token (or App Engine cron, when trusted)
runs anything, and a job run twice does its work once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.scheduler import Background
from commands.core import Services
from integrations.clock import FixedClock
from store.db import reading
from store.messaging.clockwork import ClockRun
from store.messaging.outbox import OutboxMessage
from store.team.audit import AuditEntry
from testing.timetable import import_week
from tests.conftest import T0, make_settings

TOKEN = "tasks-token-0123456789"


def client_for(services: Services, **env: str) -> FlaskClient:
    settings = make_settings(DATABASE_URL="sqlite://", TASKS_TOKEN=TOKEN, **env)
    return create_app(settings, services).test_client()


def counts(services: Services) -> tuple[int, int]:
    with reading(services.sessions) as session:
        return (session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
                session.scalar(select(func.count()).select_from(ClockRun)) or 0)


def test_without_the_token_nothing_runs(demo: Services, clock: FixedClock) -> None:
    import_week(demo)
    clock.set(T0 + timedelta(minutes=70))  # 10:10: the notice of the 10:15 change is due
    client = client_for(demo)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}, {"X-Appengine-Cron": "true"}):
        answer = client.post("/tasks/shift-notice", headers=headers)
        assert answer.status_code == 401 and answer.data == b""
    assert client.post("/tasks/nothing-here").status_code == 401  # no hint that it's unknown
    assert counts(demo) == (0, 0)
    answer = client.post("/tasks/shift-notice", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.json == {"job": "shift-notice", "slots": [
        {"slot": "2026-11-23T08:55:00+01:00", "outcome": "skipped"},  # long missed
        {"slot": "2026-11-23T10:10:00+01:00", "outcome": "done"}]}
    sent = counts(demo)[0]
    assert sent == 3  # the team, and a DM to each of the two coming in
    again = client.post("/tasks/shift-notice", headers={"Authorization": f"Bearer {TOKEN}"})
    assert again.json == {"job": "shift-notice", "slots": []} and counts(demo)[0] == sent
    unknown = client.post("/tasks/nothing-here", headers={"Authorization": f"Bearer {TOKEN}"})
    assert unknown.status_code == 404 and unknown.json["field"] == "job"


def test_app_engine_cron_only_when_trusted(demo: Services) -> None:
    trusted = client_for(demo, TRUST_APPENGINE_HEADERS="true")
    answer = trusted.post("/tasks/housekeeping", headers={"X-Appengine-Cron": "true"})
    assert answer.status_code == 200 and answer.json["job"] == "housekeeping"
    assert "'inbound events': 0" in answer.json["result"]
    assert trusted.post("/tasks/housekeeping",
                        headers={"X-Appengine-Cron": "false"}).status_code == 401
    no_token = create_app(make_settings(DATABASE_URL="sqlite://"), demo).test_client()
    assert no_token.post("/tasks/housekeeping",
                         headers={"Authorization": "Bearer "}).status_code == 401
    # The one verified request left its audit row; the refused ones none.
    with reading(demo.sessions) as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.platform == "tasks")).all()
        assert [(r.user_ref, r.command, r.outcome) for r in rows] == [
            ("appengine-cron", "housekeeping", "ok")]


def test_every_cron_entry_names_a_scheduled_job() -> None:
    from pathlib import Path

    import yaml

    from bot.scheduler import SCHEDULE

    cron = yaml.safe_load((Path(__file__).resolve().parents[3] / "cron.yaml").read_text())
    named = {entry["url"].removeprefix("/tasks/") for entry in cron["cron"]}
    jobs = {job.name for job in SCHEDULE}
    assert named <= jobs, named - jobs
    assert jobs - named == {"sim-traffic"}  # the simulator never runs on App Engine


def test_a_failing_job_answers_a_json_500_and_is_audited(demo: Services,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    def broken(_bg: object) -> object:
        raise RuntimeError("disk full")

    client = client_for(demo)
    monkeypatch.setattr(Background, "run_job", lambda self, name: broken(self))
    answer = client.post("/tasks/housekeeping", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 500
    assert answer.json == {"job": "housekeeping", "error": "the job failed; see the logs"}
    assert "disk full" not in answer.get_data(as_text=True)
    with reading(demo.sessions) as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.platform == "tasks")).all()
        assert [(r.command, r.outcome, r.detail) for r in rows] == [
            ("housekeeping", "error", "RuntimeError")]
