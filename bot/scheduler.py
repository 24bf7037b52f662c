"""Work run by the clock: one schedule table, APScheduler in the team's time zone.

Each job is a plain function of the Runtime, so the same code runs from the
background scheduler (``switchboard run`` / ``serve`` / gunicorn) and from a
one-shot CLI call or a test with a fixed clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime import Runtime
from bot.settings import Settings
from commands.pause_overdue import remind_overdue
from store.chat import prune_events
from store.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Runtime], object]
    enabled: Callable[[Settings], bool] = lambda settings: True


def prune_inbound_events(runtime: Runtime) -> int:
    """Forget redelivery keys after a day: platforms only redeliver within minutes."""
    cutoff = runtime.services.clock.now() - timedelta(days=1)
    with transaction(runtime.services.sessions) as session:
        return prune_events(session, cutoff)


SCHEDULE: tuple[Job, ...] = (
    Job("pause-overdue", timedelta(minutes=1), lambda runtime: remind_overdue(runtime.services)),
    Job("prune-inbound-events", timedelta(hours=1), prune_inbound_events),
)


class Background:
    """The scheduler thread pool; start() once per process, shutdown() on exit."""

    def __init__(self, runtime: Runtime, schedule: tuple[Job, ...] = SCHEDULE) -> None:
        self.runtime = runtime
        self.scheduler = BackgroundScheduler(timezone=runtime.settings.timezone)
        for job in schedule:
            if not job.enabled(runtime.settings):
                continue
            self.scheduler.add_job(
                self._guarded(job), IntervalTrigger(seconds=job.every.total_seconds()),
                id=job.name, name=job.name, max_instances=1, coalesce=True,
            )

    def _guarded(self, job: Job) -> Callable[[], None]:
        def run() -> None:
            try:
                job.run(self.runtime)
            except Exception:
                log.exception("scheduled job %s failed", job.name)

        return run

    @property
    def job_names(self) -> list[str]:
        return [j.id for j in self.scheduler.get_jobs()]

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
