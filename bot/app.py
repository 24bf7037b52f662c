"""The Flask application factory: the one composition root."""

from __future__ import annotations

import atexit
import gc
from typing import Any, Protocol

from flask import Flask, current_app, jsonify

from bot.doors import calendar, charts, google_chat, ivr, pbx_events, slack, tasks
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings, SettingsError
from commands.core import Services
from store.migrate import current_revision, pending_reason


class Door(Protocol):
    """A module under bot/doors with ``register(app, runtime)`` adding its routes."""

    def register(self, app: Flask, runtime: Runtime) -> None: ...


# Every way in over HTTP. A capability with a new door adds its module here.
DOORS: tuple[Door, ...] = (google_chat, slack, pbx_events, tasks, calendar, ivr, charts)


def create_app(settings: Settings | None = None, services: Services | None = None, *,
               local: bool = False) -> Flask:
    """The one composition root. Given no services (gunicorn, production) it builds them
    and, when BACKGROUND_JOBS is on, starts the scheduler; callers passing services (the
    CLI, tests) decide themselves whether background work runs.

    It refuses (SettingsError) to serve without a SECRET_KEY of its own, except for
    ``local`` (``make run``: ``switchboard run`` on this machine)."""
    settings = settings or Settings.load()
    if problems := settings.serving_problems(local=local):
        raise SettingsError(problems)
    runtime = build_runtime(settings, services)
    background = None
    if services is None and settings.background_jobs:
        from bot.scheduler import Background

        background = Background(runtime)
        background.start()
        atexit.register(background.shutdown)
    app = Flask(__name__)
    if background is not None:
        app.extensions["switchboard.background"] = background  # the tasks door runs on it
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.extensions["switchboard"] = runtime
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/readyz", "readyz", readyz)
    for door in DOORS:
        door.register(app, runtime)
    if services is None:
        freeze_startup()
    return app


def freeze_startup() -> None:
    """Move what start-up built (the models' metadata, the API discovery documents,
    compiled templates) out of the garbage collector's sight. It lives as long as the
    process anyway, and a full collection that walks it took half a second of a
    1,000-agent /queue; frozen, collections stay short. Serving processes only."""
    gc.collect()
    gc.freeze()


def runtime_of(app: Flask | None = None) -> Runtime:
    runtime = (app or current_app).extensions["switchboard"]
    assert isinstance(runtime, Runtime)
    return runtime


def healthz() -> Any:
    return jsonify(status="ok")


def readyz() -> Any:
    engine = runtime_of().engine
    reason = pending_reason(engine)
    if reason is not None:
        return jsonify(status="unready", reason=reason), 503
    return jsonify(status="ready", revision=current_revision(engine))
