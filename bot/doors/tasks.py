"""POST /tasks/<job>: run one scheduled job now, for hosts without a long-lived process
(App Engine cron, Cloud Scheduler).

The caller is verified first: ``Authorization: Bearer TASKS_TOKEN`` (constant-time
comparison; an empty TASKS_TOKEN accepts no bearer), or ``X-Appengine-Cron: true`` only
when TRUST_APPENGINE_HEADERS=true (App Engine strips that header from outside requests).
Anything else gets a bare 401 and nothing runs. The body is not read.

The job runs with the same guarantees as in the scheduler: a clock job claims each
(job, slot) once in the store, and every message it sends is keyed in the outbox, so a
cron retry, a second instance or the background scheduler cannot repeat it. It runs on
the app's own scheduler when it has one (one simulator, one outbox worker per process).
Every verified request leaves an audit row (platform ``tasks``: who asked, which job,
how it ended), written before the job runs.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, Response, request

from bot.doors.http import bearer_token, json_response, same_secret, unauthorized
from bot.runtime import Runtime
from bot.scheduler import Background, ClockPass
from store.db import transaction
from store.team import audit
from store.team.audit import AuditEntry

log = logging.getLogger(__name__)


def register(app: Flask, runtime: Runtime) -> None:
    door = TasksDoor(runtime, app.extensions.get("switchboard.background"))
    app.add_url_rule("/tasks/<job>", "tasks", door.view, methods=["POST"])


class TasksDoor:
    def __init__(self, runtime: Runtime, background: Background | None = None) -> None:
        self.runtime = runtime
        self._background = background
        self._lock = threading.Lock()

    def background(self) -> Background:
        with self._lock:
            if self._background is None:
                self._background = Background(self.runtime)
            return self._background

    def caller(self) -> str | None:
        """Who is asking (``bearer`` or ``appengine-cron``), or None: not allowed."""
        settings = self.runtime.settings
        if same_secret(bearer_token(request), settings.tasks_token):
            return "bearer"
        if settings.trust_appengine_headers and \
                request.headers.get("X-Appengine-Cron", "").strip().lower() == "true":
            return "appengine-cron"
        return None

    def view(self, job: str) -> Response:
        caller = self.caller()
        if caller is None:
            return unauthorized()
        background = self.background()
        if job not in background.job_names:
            known = ", ".join(background.job_names)
            return json_response({"field": "job", "reason": f"unknown job {job[:64]!r} "
                                                            f"(known: {known})"}, 404)
        sessions = self.runtime.services.sessions
        started = time.monotonic()
        with transaction(sessions) as session:
            entry_id = audit.start(session, AuditEntry(
                at=self.runtime.services.clock.now(), platform="tasks", user_ref=caller,
                text=f"/tasks/{job}", command=job, outcome=audit.RUNNING, duration_ms=0))
        failure: Exception | None = None
        try:
            result = background.run_job(job)
        except Exception as exc:  # the job's own failure: logged, audited, a 500 for cron
            log.exception("task %s failed on request", job)
            failure = exc
        with transaction(sessions) as session:
            audit.finish(session, entry_id, outcome="ok" if failure is None else "error",
                         command=job,
                         detail=None if failure is None else type(failure).__name__,
                         duration_ms=int((time.monotonic() - started) * 1000))
        if failure is not None:  # cron retries a 5xx; the details stay in the log
            return json_response({"job": job, "error": "the job failed; see the logs"}, 500)
        log.info("task %s ran on request", job)
        if isinstance(result, ClockPass):
            return json_response({"job": job, "slots": [
                {"slot": r.slot.isoformat(), "outcome": r.outcome} for r in result.ran]})
        return json_response({"job": job, "result": str(result)[:500]})
