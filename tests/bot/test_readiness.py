"""/readyz?deep=1 and `switchboard doctor`: every system asked at once, each with its own
deadline, a fix for each failure; /readyz itself still asks only the database."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import readiness
from bot.app import create_app
from bot.cli.main import main
from bot.runtime import build_services
from commands.core import Services
from integrations.pbx.asterisk.events import CONNECTED, AmiEventStream
from store import migrate
from store.db import make_engine
from testing.fake_ami import FakeAmi
from testing.local_server import LocalServer, Request, Response
from tests.conftest import make_settings

TOKEN = "readiness-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def slack_api() -> Iterator[LocalServer]:
    def answer(request: Request) -> Response:
        if request.headers.get("authorization") == "Bearer xoxb-good":
            return Response(200, {"ok": True, "team": "Helpline"})
        return Response(200, {"ok": False, "error": "invalid_auth"})

    with LocalServer(answer) as server:
        yield server


def test_readyz_stays_database_only_and_deep_is_for_operators(demo: Services) -> None:
    client = create_app(demo.settings, demo).test_client()
    assert client.get("/readyz").json["status"] == "ready"
    assert client.get("/readyz?deep=1").status_code == 404  # no METRICS_TOKEN/PORT
    guarded = create_app(demo.settings.replace(metrics_token=TOKEN), demo).test_client()
    assert guarded.get("/readyz?deep=1").status_code == 401
    assert guarded.get("/readyz").status_code == 200


def test_deep_readiness_reports_each_system(demo: Services, slack_api: LocalServer) -> None:
    settings = demo.settings.replace(metrics_token=TOKEN, slack_bot_token="xoxb-good",
                                     slack_api_url=slack_api.url + "/api/")
    demo.settings = settings
    answer = create_app(settings, demo).test_client().get("/readyz?deep=1", headers=AUTH)
    assert answer.status_code == 200, answer.json
    checks = answer.json["checks"]
    assert list(checks) == ["database", "pbx", "pbx_events", "hr", "directory",
                            "google_chat_tokens", "google_chat_api", "slack"]
    assert checks["database"]["status"] == "ok"
    assert checks["pbx"]["status"] == "ok" and checks["pbx"]["detail"] == "sim: 0 members in queue support"
    assert checks["slack"] == {"status": "ok", "detail": "bot token valid for team Helpline",
                               "seconds": checks["slack"]["seconds"]}
    assert {checks[n]["status"] for n in ("pbx_events", "hr", "directory",
                                          "google_chat_tokens", "google_chat_api")} == {"skipped"}
    assert slack_api.requests[-1].path == "/api/auth.test"


def test_a_refused_token_fails_with_its_fix(demo: Services, slack_api: LocalServer) -> None:
    settings = demo.settings.replace(metrics_token=TOKEN, slack_bot_token="xoxb-revoked",
                                     slack_api_url=slack_api.url + "/api/")
    demo.settings = settings
    answer = create_app(settings, demo).test_client().get("/readyz?deep=1", headers=AUTH)
    assert answer.status_code == 503
    slack = answer.json["checks"]["slack"]
    assert slack["status"] == "failed" and "invalid_auth" in slack["detail"]
    assert "SLACK_BOT_TOKEN" in slack["fix"]
    assert "xoxb-revoked" not in answer.text


@pytest.fixture
def silent_pbx() -> Iterator[LocalServer]:
    holder: list[LocalServer] = []
    server = LocalServer(lambda request: holder[0].hang())
    holder.append(server)
    with server:
        yield server


def areavoip_env(db_url: str, url: str, timeout: str) -> dict[str, str]:
    return {"DATABASE_URL": db_url, "PBX_BACKEND": "areavoip", "AREAVOIP_BASE_URL": url,
            "AREAVOIP_API_KEY": "k", "AREAVOIP_TENANT": "t", "PBX_TIMEOUT": timeout,
            "BACKGROUND_JOBS": "false", "SECRET_KEY": "a-key-of-its-own-for-tests"}


def migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ready.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def test_a_silent_pbx_costs_the_deadline_not_its_timeout(
        tmp_path: Path, silent_pbx: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readiness, "DEADLINE", 0.3)
    settings = make_settings(**areavoip_env(migrated(tmp_path), silent_pbx.url + "/api",
                                            "30"), METRICS_TOKEN=TOKEN)
    services = build_services(settings)
    client = create_app(settings, services).test_client()
    started = time.monotonic()
    answer = client.get("/readyz?deep=1", headers=AUTH)
    took = time.monotonic() - started
    assert took < 3.0
    pbx = answer.json["checks"]["pbx"]
    assert answer.status_code == 503 and pbx["status"] == "failed"
    assert pbx["detail"] == "no answer within 0.3 s"
    assert "AREAVOIP_BASE_URL" in pbx["fix"] and "PBX_TIMEOUT=30" in pbx["fix"]
    assert client.get("/readyz").status_code == 200  # the load balancers' answer is unchanged
    services.sessions.kw["bind"].dispose()


def test_doctor_says_how_slow_the_pbx_is_when_it_is_slower_than_its_timeout(
        tmp_path: Path) -> None:
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(0.6)  # a PBX that takes 0.6 s to answer (and refuses)
        return Response(500, "busy")

    with LocalServer(slow) as server:
        out, err = io.StringIO(), io.StringIO()
        status = main(["doctor"], environ=areavoip_env(migrated(tmp_path),
                                                       server.url + "/api", "0.2"),
                      out=out, err=err)
    text = out.getvalue()
    assert status == 1, text + err.getvalue()
    assert "ok    database" in text
    assert "FAIL  pbx" in text and "did not answer within 0.2 s" in text
    assert "fix: PBX_TIMEOUT=0.2 and the PBX answered in 0.6 s" in text
    assert "skip  slack" in text and "1 failed: pbx" in text


def test_doctor_passes_on_the_defaults(tmp_path: Path) -> None:
    out = io.StringIO()
    status = main(["doctor"], environ={"DATABASE_URL": migrated(tmp_path)}, out=out,
                  err=io.StringIO())
    assert status == 0, out.getvalue()
    assert out.getvalue().endswith("all checks passed\n")


def test_odoo_is_asked_each_time_and_a_wrong_password_named(tmp_path: Path) -> None:
    from testing.fake_odoo import DB, LOGIN, PASSWORD, FakeOdoo
    from tests.integrations.odoo_series import series

    with FakeOdoo(series("17.0")) as fake:
        env = {"DATABASE_URL": migrated(tmp_path), "HR_BACKEND": "odoo",
               "DIRECTORY_BACKEND": "odoo", "ODOO_URL": fake.url, "ODOO_DATABASE": DB,
               "ODOO_USER": LOGIN, "ODOO_PASSWORD": PASSWORD}
        out = io.StringIO()
        assert main(["doctor"], environ=env, out=out, err=io.StringIO()) == 0, out.getvalue()
        assert "ok    hr " in out.getvalue() and "logged in as uid 7" in out.getvalue()
        assert "ok    directory " in out.getvalue()
        asked = len(fake.calls)
        out = io.StringIO()
        status = main(["doctor"], environ={**env, "ODOO_PASSWORD": "wrong"}, out=out,
                      err=io.StringIO())
        assert len(fake.calls) > asked  # asked again, not answered from a cache
    text = out.getvalue()
    assert status == 1 and "FAIL  hr" in text and "login refused" in text
    assert "fix: check ODOO_URL" in text and "wrong" not in text.replace("login refused", "")


def test_the_ami_event_session_shows_in_deep_readiness(demo: Services) -> None:
    settings = demo.settings.replace(metrics_token=TOKEN)
    demo.settings = settings
    app = create_app(settings, demo)
    server = FakeAmi().start()
    assert isinstance(server, FakeAmi)
    good = AmiEventStream("127.0.0.1", server.port, server.username, server.secret, 1.0,
                          lambda event: None, backoff=(0.01, 0.05))
    wrong = AmiEventStream("127.0.0.1", server.port, server.username, "wrong", 1.0,
                           lambda event: None, backoff=(5.0, 5.0))
    try:
        good.start()
        assert good.wait_for(CONNECTED, 5.0)
        app.extensions["switchboard"].pbx_events = good
        checks = app.test_client().get("/readyz?deep=1", headers=AUTH).json["checks"]
        assert checks["pbx_events"]["status"] == "ok"
        assert checks["pbx_events"]["detail"].startswith("AMI event session connected")
        wrong.start()
        assert wrong.wait_until(lambda s: "refused" in (s.error or ""), 5.0)
        app.extensions["switchboard"].pbx_events = wrong
        answer = app.test_client().get("/readyz?deep=1", headers=AUTH)
        assert answer.status_code == 503
        failed = answer.json["checks"]["pbx_events"]
        assert failed["status"] == "failed" and "refused the manager login" in failed["detail"]
        assert "AMI_USER and AMI_SECRET" in failed["fix"]
    finally:
        good.stop()
        wrong.stop()
        server.stop()
