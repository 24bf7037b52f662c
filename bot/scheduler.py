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

from bot.delivery.worker import OutboxWorker, build_worker
from bot.runtime import Runtime
from bot.settings import Settings
from commands.calls_pull import pull_recent
from commands.core import Reply
from commands.pause_overdue import remind_overdue
from commands.stats_daily import send_daily_stats
from integrations.pbx.traffic import TrafficSimulator
from store.chat import prune_events
from store.db import transaction

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


def prune_inbound_events(bg: Background) -> int:
    """Forget redelivery keys after a day: platforms only redeliver within minutes."""
    services = bg.runtime.services
    with transaction(services.sessions) as session:
        return prune_events(session, services.clock.now() - timedelta(days=1))


def _simulating(settings: Settings) -> bool:
    return settings.pbx_backend == "sim" and settings.sim_traffic


def daily_stats(bg: Background) -> object:
    """The day's stats card to the team space once, at the report time (key per day)."""
    return send_daily_stats(bg.runtime.services)


def pull_call_records(bg: Background) -> object:
    return pull_recent(bg.runtime.services)


def _pulls_calls(settings: Settings) -> bool:
    """Backends with call records to pull (sim writes its own; AMI needs the queue_log)."""
    return (settings.pbx_backend == "areavoip"
            or (settings.pbx_backend == "irontec" and bool(settings.irontec_stats_url))
            or (settings.pbx_backend == "asterisk" and bool(settings.asterisk_queue_log)))


SCHEDULE: tuple[Job, ...] = (
    Job("outbox-delivery", timedelta(seconds=2), deliver_outbox),
    Job("sim-traffic", timedelta(seconds=3), simulate_traffic, _simulating),
    Job("pause-overdue", timedelta(minutes=1), remind_over_long_pauses),
    Job("prune-inbound-events", timedelta(hours=1), prune_inbound_events),
    Job("daily-stats", timedelta(minutes=1), daily_stats),
    Job("calls-pull", timedelta(minutes=10), pull_call_records, _pulls_calls),
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
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
