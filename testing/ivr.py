"""IVR API test set-up: a capacity plan, a client key, and requests signed with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from bot.app import create_app
from commands.core import Services
from store.callbacks import ivr_keys
from store.callbacks.capacity_io import import_capacity
from store.db import transaction
from testing.database import Database, make_services, make_settings

# T0 is Monday 2026-11-23 09:00 in Madrid: Tuesday 10:00 is well inside the horizon.
CAPACITY = """\
templates:
  standard: {"09:00": 5, "09:30": 5, "10:00": 5, "10:30": 2, "11:00": 0}
  short: {"10:00": 1}
weekly:
  normal: {mon: standard, tue: standard, wed: standard, thu: standard, fri: standard}
queues:
  soporte: {schedule: normal}
  ventas: {schedule: normal}
campaigns:
  renewals: {schedule: normal}
overrides:
  - {date: 2026-11-26, queue: soporte, closed: true}
  - {date: 2026-11-27, queue: soporte, template: short}
"""


def load_capacity(services: Services, text: str = CAPACITY) -> None:
    with transaction(services.sessions) as session:
        import_capacity(session, text)


def new_key(services: Services, name: str = "ivr-test") -> str:
    with transaction(services.sessions) as session:
        return ivr_keys.create(session, name, services.clock.now())


@dataclass
class Ivr:
    app: Flask
    client: FlaskClient
    key: str
    engine: Engine | None = None  # of its own (another_instance): close() disposes it

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        return self.client.get("/ivr/v1" + path, headers=headers, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> Any:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        return self.client.post("/ivr/v1" + path, json=body, headers=headers, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        return self.client.delete("/ivr/v1" + path, headers=headers, **kwargs)


def open_ivr(services: Services, **env: str) -> Ivr:
    settings = make_settings(DATABASE_URL="sqlite://", **env)
    services.settings = settings
    app = create_app(settings, services)
    return Ivr(app, app.test_client(), new_key(services))


def another_instance(db: Database, services: Services, key: str, **env: str) -> Ivr:
    """The same API in another process or replica: its own app, engine and caches, on the
    same database and clock, with the same client key."""
    settings = make_settings(DATABASE_URL="sqlite://", **env)
    engine = db.new_engine()
    other = make_services(Database(db.backend, db.url, engine), settings,
                          services.clock)  # type: ignore[arg-type]
    app = create_app(settings, other)
    return Ivr(app, app.test_client(), key, engine)
