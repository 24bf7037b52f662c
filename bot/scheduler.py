"""Work run by the clock: one schedule table, APScheduler in the team's time zone.

Each job is a plain function of the running ``Background`` (the runtime plus the
long-lived workers it owns), so the same code runs from the background scheduler
(``switchboard run`` / ``serve`` / gunicorn), from a one-shot CLI call, or from a test
with a fixed clock. The clock's ``now`` is what jobs use; APScheduler only decides when
to wake up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from bot.delivery.worker import OutboxWorker, build_worker
from bot.runtime import Runtime
from bot.settings import Settings
from commands.core import Reply
from commands.pause_overdue import remind_overdue
from integrations.pbx.traffic import TrafficSimulator
from store import audit, outbox
from store.chat import prune_events
from store.db import optimize, transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Background], object]
    enabled: Callable[[Settings], bool] = lambda settings: True


def deliver_outbox(bg: Background) -> object:
    return bg.worker.deliver_due()


def simulate_traffic(bg: Background) -> object:
    assert bg.traffic is not None
    return bg.traffic.step(bg.runtime.services.clock.now())


def remind_over_long_pauses(bg: Background) -> object:
    return remind_overdue(bg.runtime.services)


def housekeeping(bg: Background) -> dict[str, int]:
    """Daily: forget what has outlived its retention — redelivery keys (platforms only
    redeliver within minutes), sent outbox messages, old audit rows — and refresh SQLite's
    planner statistics. Each prune is its own short transaction."""
    services, settings = bg.runtime.services, bg.runtime.settings
    now = services.clock.now()
    pruned: dict[str, int] = {}
    cutoffs: tuple[tuple[str, Callable[[Session], int]], ...] = (
        ("inbound events", lambda s: prune_events(
            s, now - timedelta(hours=settings.inbound_retention_hours))),
        ("outbox messages", lambda s: outbox.prune_sent(
            s, now - timedelta(days=settings.outbox_retention_days))),
        ("audit rows", lambda s: audit.prune(
            s, now - timedelta(days=settings.audit_retention_days))),
    )
    for name, prune in cutoffs:
        with transaction(services.sessions) as session:
            pruned[name] = prune(session)
    optimize(bg.runtime.engine)
    log.info("housekeeping: pruned %s", ", ".join(f"{n} {w}" for w, n in pruned.items()))
    return pruned


def _simulating(settings: Settings) -> bool:
    return settings.pbx_backend == "sim" and settings.sim_traffic


SCHEDULE: tuple[Job, ...] = (
    Job("outbox-delivery", timedelta(seconds=2), deliver_outbox),
    Job("sim-traffic", timedelta(seconds=3), simulate_traffic, _simulating),
    Job("pause-overdue", timedelta(minutes=1), remind_over_long_pauses),
    Job("housekeeping", timedelta(days=1), housekeeping),
)


class Background:
    """The scheduler and the workers it drives; start() once per process, shutdown() on exit."""

    def __init__(self, runtime: Runtime, *,
                 console_sink: Callable[[str, Reply], None] | None = None,
                 schedule: tuple[Job, ...] = SCHEDULE) -> None:
        self.runtime = runtime
        settings, services = runtime.settings, runtime.services
        self.worker: OutboxWorker = build_worker(settings, services.sessions, services.clock,
                                                 console_sink=console_sink)
        self.traffic: TrafficSimulator | None = None
        if _simulating(settings):
            self.traffic = TrafficSimulator(
                services.sessions, settings.pbx_queue, seed=settings.sim_seed,
                calls_per_hour=settings.sim_calls_per_hour,
                mean_talk_seconds=settings.sim_talk_seconds,
                mean_patience_seconds=settings.sim_patience_seconds,
                start=services.clock.now())
        self.jobs = tuple(job for job in schedule if job.enabled(settings))
        self.scheduler = BackgroundScheduler(timezone=settings.timezone)
        for job in self.jobs:
            self.scheduler.add_job(
                self._guarded(job), IntervalTrigger(seconds=job.every.total_seconds()),
                id=job.name, name=job.name, max_instances=1, coalesce=True,
            )

    def run_job(self, name: str) -> object:
        """Run one job now, in this thread (tests, one-shot CLI calls)."""
        job = next((j for j in self.jobs if j.name == name), None)
        if job is None:
            raise KeyError(f"no enabled job {name!r}")
        return job.run(self)

    def _guarded(self, job: Job) -> Callable[[], None]:
        def run() -> None:
            try:
                job.run(self)
            except Exception:
                log.exception("scheduled job %s failed", job.name)

        return run

    @property
    def job_names(self) -> list[str]:
        return [job.name for job in self.jobs]

    def start(self) -> None:
        try:
            optimize(self.runtime.engine)  # fresh planner statistics from the first query
        except Exception:
            log.exception("could not refresh the database statistics at start-up")
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
