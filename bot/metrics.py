"""Prometheus metrics: the series, what feeds them, and ``GET /metrics``.

Every label takes its values from a closed set (command names, outcomes, door names,
PBX backends and the methods of the PBX interface, platforms, job names, refusal
reasons, the planner's statuses): no person, phone number or free text ever becomes a label.

Under gunicorn each worker writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR``
(set up by ``bot/gunicorn_conf.py`` in the master before any worker starts) and
``/metrics`` adds them up, so every worker counts whichever one answers the scrape.
Without that variable (``switchboard run``/``serve``, tests) the process's own registry
is served. What the database knows (the outbox backlog) is read when scraped.

``/metrics`` is never public by default: it answers only with ``Authorization: Bearer
METRICS_TOKEN``, or only on ``METRICS_PORT`` (a second port gunicorn listens on), or
both; with neither set it is a 404. See docs/operations.md.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, Response, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event

from bot.doors.http import bearer_token, same_secret, unauthorized
from commands.dispatch import Result
from commands.shifts.planning.model import FEASIBLE, INFEASIBLE, OPTIMAL, UNKNOWN
from integrations.clock import Clock
from integrations.pbx import CallInfo, LiveQueue, MemberStatus, Pbx, PbxError
from store.db import reading
from store.messaging import outbox

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Seconds: a chat door answers in milliseconds, Slack's deadline is 3 s, a PBX times out
# at PBX_TIMEOUT (3 s by default).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

COMMANDS = Counter("switchboard_commands_total",
                   "Chat commands handled, by command and outcome (outcome: ok, usage, denied, "
                   "failed, unknown_command, unknown_person, inactive, too_long, duplicate)",
                   ["command", "outcome"])
DOOR_SECONDS = Histogram("switchboard_door_request_seconds",
                         "HTTP requests to the doors, by door, until the answer is ready",
                         ["door"], buckets=LATENCY_BUCKETS)
PBX_SECONDS = Histogram("switchboard_pbx_request_seconds",
                        "PBX operations, by backend and operation (successes and failures)",
                        ["backend", "operation"], buckets=LATENCY_BUCKETS)
PBX_ERRORS = Counter("switchboard_pbx_errors_total",
                     "PBX operations that failed, by backend, operation and kind (refused: "
                     "the PBX said no; unreachable: no answer)",
                     ["backend", "operation", "kind"])
OUTBOX_SENT = Counter("switchboard_outbox_sent_total", "Outbox messages delivered, by platform",
                      ["platform"])
OUTBOX_FAILURES = Counter("switchboard_outbox_failures_total",
                          "Outbox delivery attempts that failed, by platform and what "
                          "followed (retrying or dead)", ["platform", "result"])
JOB_RUNS = Counter("switchboard_job_runs_total", "Scheduled job runs, by job", ["job"])
JOB_FAILURES = Counter("switchboard_job_failures_total", "Scheduled job runs that failed, by job",
                       ["job"])
JOB_LAST_SUCCESS = Gauge("switchboard_job_last_success_timestamp_seconds",
                         "When each scheduled job last finished without failing (Unix time)",
                         ["job"], multiprocess_mode="max")
IVR_BOOKINGS = Counter("switchboard_ivr_bookings_total",
                       "Callbacks booked through the IVR API (new bookings; a repeat of the "
                       "same booking is not counted)")
IVR_REFUSALS = Counter("switchboard_ivr_refusals_total",
                       "IVR booking requests refused, by reason (slot_full, already_pending, "
                       "invalid, rate_limited)", ["reason"])
AMI_CONNECTED = Gauge("switchboard_ami_connected",
                      "1 while a process holds a logged-in Asterisk manager connection, else 0 "
                      "(the largest over the live processes)", multiprocess_mode="livemax")
DB_POOL_IN_USE = Gauge("switchboard_db_pool_in_use",
                       "Database connections checked out of the pools, over the live processes",
                       multiprocess_mode="livesum")
# Every week plan the product makes (``switchboard plan``, chat /plan): its seconds from the
# capacity check to the solver's answer, by the planner's status.
PLANNER_STATUSES = (OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN)
PLANNER_SOLVE_SECONDS = Histogram("switchboard_planner_solve_seconds",
                                  "Planner solves (model building included), by status "
                                  "(optimal, feasible, infeasible, unknown)", ["status"],
                                  buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120))

# Series read from the database when scraped.
OUTBOX_PENDING = "switchboard_outbox_pending"
OUTBOX_OLDEST = "switchboard_outbox_oldest_pending_age_seconds"

IVR_REFUSAL_REASONS = ("slot_full", "already_pending", "invalid", "rate_limited")

# Every series name, as Prometheus shows it (counters gain _total, histograms _bucket,
# _sum and _count): the alert rules in docs/ are checked against this.
SERIES = (
    "switchboard_commands_total", "switchboard_door_request_seconds",
    "switchboard_pbx_request_seconds", "switchboard_pbx_errors_total",
    "switchboard_outbox_sent_total", "switchboard_outbox_failures_total",
    OUTBOX_PENDING, OUTBOX_OLDEST,
    "switchboard_job_runs_total", "switchboard_job_failures_total",
    "switchboard_job_last_success_timestamp_seconds",
    "switchboard_ivr_bookings_total", "switchboard_ivr_refusals_total",
    "switchboard_ami_connected", "switchboard_db_pool_in_use",
    "switchboard_planner_solve_seconds",
)


# --------------------------------------------------------------------------- feeding


def command_done(result: Result) -> None:
    """The dispatcher's observer: one count per handled request."""
    COMMANDS.labels(command=result.command or "none", outcome=result.outcome).inc()


def job_done(job: str, failed: bool, now: datetime) -> None:
    JOB_RUNS.labels(job=job).inc()
    if failed:
        JOB_FAILURES.labels(job=job).inc()
    else:
        JOB_LAST_SUCCESS.labels(job=job).set(now.timestamp())


def planner_solved(status: str, seconds: float) -> None:
    """The planner's observer (``Services.on_solve``): one observation per solve; a status
    outside the planner's four is counted as ``unknown``, so the label set stays closed."""
    label = status if status in PLANNER_STATUSES else UNKNOWN
    PLANNER_SOLVE_SECONDS.labels(status=label).observe(max(0.0, seconds))


def ami_state(connected: bool) -> None:
    AMI_CONNECTED.set(1 if connected else 0)


_pooled: set[int] = set()
_pooled_lock = threading.Lock()


def watch_pool(engine: Engine) -> None:
    """Count this engine's checked-out connections in DB_POOL_IN_USE (once per engine)."""
    with _pooled_lock:
        if id(engine) in _pooled:
            return
        _pooled.add(id(engine))
    event.listen(engine, "checkout", lambda *_: DB_POOL_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: DB_POOL_IN_USE.dec())


T = TypeVar("T")


class MeteredPbx:
    """A PBX whose every operation is timed and whose failures are counted; otherwise it
    is the PBX it wraps."""

    def __init__(self, pbx: Pbx) -> None:
        self.inner = pbx
        self.name = pbx.name
        self.queue = pbx.queue

    def _timed(self, operation: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return call()
        except PbxError as exc:
            kind = "unsupported" if exc.code == "unsupported" else "refused"
            PBX_ERRORS.labels(backend=self.name, operation=operation, kind=kind).inc()
            raise
        except Exception:
            PBX_ERRORS.labels(backend=self.name, operation=operation, kind="unreachable").inc()
            raise
        finally:
            PBX_SECONDS.labels(backend=self.name, operation=operation).observe(
                time.perf_counter() - started)

    def queue_status(self) -> list[MemberStatus]:
        return self._timed("queue_status", self.inner.queue_status)

    def pause(self, extension: str, reason: str | None = None) -> None:
        self._timed("pause", lambda: self.inner.pause(extension, reason))

    def resume(self, extension: str) -> None:
        self._timed("resume", lambda: self.inner.resume(extension))

    def add_member(self, extension: str) -> None:
        self._timed("add_member", lambda: self.inner.add_member(extension))

    def remove_member(self, extension: str) -> None:
        self._timed("remove_member", lambda: self.inner.remove_member(extension))

    def set_members(self, extensions: Sequence[str]) -> None:
        self._timed("set_members", lambda: self.inner.set_members(extensions))

    def call_records(self, start: datetime, end: datetime) -> list[CallInfo]:
        return self._timed("call_records", lambda: self.inner.call_records(start, end))

    def waiting_calls(self) -> LiveQueue | None:
        return self._timed("waiting_calls", self.inner.waiting_calls)

    def originate(self, extension: str, number: str, ref: str) -> bool:
        return self._timed("originate", lambda: self.inner.originate(extension, number, ref))

    def __getattr__(self, name: str) -> Any:
        # Anything beyond the interface (a backend's own extras) is the backend's.
        return getattr(self.inner, name)


def unwrap(pbx: Pbx) -> Pbx:
    """The backend under any metering."""
    return pbx.inner if isinstance(pbx, MeteredPbx) else pbx


# --------------------------------------------------------------------------- serving


class BacklogCollector(Collector):
    """The outbox backlog, read from the database when scraped (one short read)."""

    def __init__(self, sessions: Any, clock: Clock) -> None:
        self.sessions, self.clock = sessions, clock

    def collect(self) -> Iterator[Metric]:
        pending = GaugeMetricFamily(OUTBOX_PENDING, "Outbox messages not delivered yet "
                                    "(pending or being sent), by platform", labels=["platform"])
        oldest = GaugeMetricFamily(OUTBOX_OLDEST, "Age of the oldest outbox message not "
                                   "delivered yet, by platform (0 when there is none)",
                                   labels=["platform"])
        now = self.clock.now()
        with reading(self.sessions) as session:
            backlog = outbox.backlog(session)
        for platform in outbox.PLATFORMS:
            count, first = backlog.get(platform, (0, None))
            pending.add_metric([platform], count)
            oldest.add_metric([platform], 0 if first is None else
                              max(0.0, (now - first).total_seconds()))
        yield pending
        yield oldest


def exposition(extra: Iterable[Collector]) -> bytes:
    """The text format: every worker's samples (or this process's), then ``extra``."""
    if os.environ.get(MULTIPROC_ENV):
        base = CollectorRegistry()
        MultiProcessCollector(base)  # type: ignore[no-untyped-call]
        text = generate_latest(base)
    else:
        text = generate_latest(REGISTRY)
    own = CollectorRegistry(auto_describe=False)
    for collector in extra:
        own.register(collector)
    return text + generate_latest(own)


def refusal(token: str, port: int) -> Response | None:
    """None when this request may read operator-only answers (``/metrics``,
    ``/readyz?deep=1``): on METRICS_PORT when set, with the METRICS_TOKEN bearer when set;
    a 404 when neither is set (or on another port), a 401 for a missing or wrong token."""
    if port and request.environ.get("SERVER_PORT") != str(port):
        return Response("not found\n", 404, mimetype="text/plain")
    if token and not same_secret(bearer_token(request), token):
        return unauthorized()
    if not token and not port:
        return Response("not found\n", 404, mimetype="text/plain")
    return None


def register(app: Flask, *, token: str, port: int, sessions: Any, clock: Clock) -> None:
    """``GET /metrics``, answered as the settings allow; a 404 when nothing allows it."""
    backlog = BacklogCollector(sessions, clock)

    def metrics() -> Response:
        if (refused := refusal(token, port)) is not None:
            return refused
        return Response(exposition([backlog]), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics)
