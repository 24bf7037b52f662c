"""The Flask application factory: the one composition root."""

from __future__ import annotations

import atexit
import contextlib
import gc
import time
from typing import Any, Protocol

from flask import Flask, Response, current_app, g, jsonify, request

from bot import logs, metrics
from bot.desk import door as desk
from bot.doors import calendar, charts, google_chat, ivr, pbx_events, slack, tasks
from bot.doors.http import json_response
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings, SettingsError
from commands.core import Services
from integrations import tracing
from store.collector import RELAXED_THRESHOLDS
from store.migrate import current_revision, pending_reason


class Door(Protocol):
    """A module under bot/doors with ``register(app, runtime)`` adding its routes."""

    __name__: str

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
    if services is None:  # a server process (gunicorn): nobody configured logging yet
        logs.configure(settings)
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
    metrics.register(app, token=settings.metrics_token, port=settings.metrics_port,
                     sessions=runtime.services.sessions, clock=runtime.services.clock)
    for door in DOORS:
        door.register(app, runtime)
    desk.register(app, runtime, local=local)  # the web console: pages, not a chat door
    doors = door_names(app)
    app.before_request(lambda: _started(doors))
    app.after_request(lambda response: _timed(doors, response))
    app.teardown_request(_finished)
    if services is None:
        freeze_startup()
    return app


def freeze_startup() -> None:
    """Move what start-up built (the models' metadata, the API discovery documents,
    compiled templates) out of the garbage collector's sight. It lives as long as the
    process anyway, and a full collection that walks it took half a second of a
    1,000-agent /queue; frozen, collections stay short. Then the collector runs less
    often (``store.collector.RELAXED_THRESHOLDS``). Serving processes only."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*RELAXED_THRESHOLDS)


def door_names(app: Flask) -> dict[str, str]:
    """Endpoint → the name of the door (its module under bot/doors) that serves it."""
    names: dict[str, str] = {}
    for endpoint, view in app.view_functions.items():
        for door in DOORS:
            if view.__module__ == door.__name__ or view.__module__.startswith(
                    door.__name__ + "."):
                names[endpoint] = door.__name__.rsplit(".", 1)[-1]
    return names


def _started(doors: dict[str, str]) -> None:
    """Every request: its id (X-Request-Id, else App Engine's trace id, else a new one)
    and door for the log lines, and the time it started for the door's histogram."""
    g.switchboard_started = time.perf_counter()
    g.switchboard_trace = tracing.begin(
        request_id=tracing.incoming_id(request.headers.get("X-Request-Id"),
                                       request.headers.get("X-Cloud-Trace-Context")),
        door=doors.get(request.endpoint or ""))


def _timed(doors: dict[str, str], response: Response) -> Response:
    door = doors.get(request.endpoint or "")
    started = g.get("switchboard_started")
    if door is not None and started is not None:
        metrics.DOOR_SECONDS.labels(door=door).observe(time.perf_counter() - started)
    request_id = tracing.fields().get("request_id")
    if request_id:
        response.headers[tracing.REQUEST_ID_HEADER] = str(request_id)
    return response


def _finished(error: BaseException | None) -> None:
    token = g.pop("switchboard_trace", None)
    if token is not None:
        with contextlib.suppress(ValueError):  # set in another context: nothing to undo
            tracing.end(token)


def runtime_of(app: Flask | None = None) -> Runtime:
    runtime = (app or current_app).extensions["switchboard"]
    assert isinstance(runtime, Runtime)
    return runtime


def healthz() -> Any:
    return jsonify(status="ok")


def readyz() -> Any:
    """The database only (load balancers); with ``?deep=1`` also every system the app
    talks to (bot/readiness.py), for operators: it asks what ``/metrics`` asks."""
    runtime = runtime_of()
    if request.args.get("deep") not in (None, "", "0"):
        settings = runtime.settings
        if (refused := metrics.refusal(settings.metrics_token, settings.metrics_port)):
            return refused
        from bot import readiness

        checks = readiness.deep(runtime)
        ok = all(c.ok for c in checks)
        return json_response({"status": "ready" if ok else "unready",
                              "checks": {c.name: c.to_dict() for c in checks}},
                             200 if ok else 503)
    engine = runtime.engine
    reason = pending_reason(engine)
    if reason is not None:
        return jsonify(status="unready", reason=reason), 503
    return jsonify(status="ready", revision=current_revision(engine))
