import pytest

from bot.app import create_app
from integrations.clock import FixedClock
from store import migrate
from tests.conftest import T0, Database, make_services, make_settings


def test_health_and_readiness_follow_the_migrations(empty_db: Database) -> None:
    settings = make_settings(DATABASE_URL=empty_db.url)
    services = make_services(empty_db, settings, FixedClock(T0))
    client = create_app(settings, services).test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    unready = client.get("/readyz")
    assert unready.status_code == 503
    assert "not migrated" in unready.json["reason"]
    migrate.upgrade(empty_db.engine)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["status"] == "ready"


def test_readiness_reports_an_unreachable_database() -> None:
    settings = make_settings(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    client = create_app(settings).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["reason"].startswith("database unreachable")


def test_the_gunicorn_entrypoint_builds_everything_from_the_environment(
        empty_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """app.yaml runs `gunicorn 'bot.app:create_app()'`: no arguments, settings from env."""
    monkeypatch.setenv("DATABASE_URL", empty_db.url)
    monkeypatch.setenv("BACKGROUND_JOBS", "false")
    migrate.upgrade(empty_db.engine)
    client = create_app().test_client()
    assert client.get("/readyz").status_code == 200
    assert client.post("/chat/google", json={}).status_code == 401
    assert client.post("/slack/events", data="x").status_code == 401
