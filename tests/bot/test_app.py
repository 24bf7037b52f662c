from pathlib import Path

import pytest

from bench.server import Gunicorn
from bot.app import create_app
from bot.settings import SettingsError
from commands.links import DEVELOPMENT_KEY
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
    monkeypatch.setenv("SECRET_KEY", "a-key-of-its-own")
    migrate.upgrade(empty_db.engine)
    client = create_app().test_client()
    assert client.get("/readyz").status_code == 200
    assert client.post("/chat/google", json={}).status_code == 401
    assert client.post("/slack/events", data="x").status_code == 401


@pytest.mark.parametrize("key", ["", "   ", DEVELOPMENT_KEY])
def test_the_app_refuses_to_serve_without_a_secret_key_of_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    """An empty SECRET_KEY once fell back to the public development key (GAE_ENV or not):
    anyone could forge calendar and chart links."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("BACKGROUND_JOBS", "false")
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(SettingsError, match=r"SECRET_KEY is (empty|the public development)"):
        create_app()
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        create_app(make_settings(SECRET_KEY=key))
    # make run's local mode: the development key, on this machine only.
    assert create_app(make_settings(SECRET_KEY="", DATABASE_URL="sqlite://"), local=True)
    on_gae = make_settings(SECRET_KEY="", GAE_ENV="standard",
                           DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(SettingsError, match="SECRET_KEY is empty"):
        create_app(on_gae, local=True)
    assert not (tmp_path / "app.db").exists()  # refused before the store is opened


def test_gunicorn_without_a_secret_key_stops_naming_it(tmp_path: Path) -> None:
    server = Gunicorn({"DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
                       "BACKGROUND_JOBS": "false", "SECRET_KEY": ""})
    try:
        with pytest.raises(RuntimeError, match="gunicorn exited") as failure:
            server.start()
    finally:
        server.stop()  # nothing left running, whatever happened
    assert "SECRET_KEY is empty" in str(failure.value)
    assert server.process is not None and server.process.poll() is not None
