"""Work run by the clock: one schedule table, APScheduler in the team's time zone.

Two kinds of job, both plain functions of the running ``Background`` (the runtime plus
the long-lived workers it owns), so the same code runs from the background scheduler
(``switchboard run`` / ``serve`` / gunicorn), from ``POST /tasks/<job>``, from a one-shot
CLI call, or from a test with a fixed clock. The clock's ``now`` is what jobs use;
APScheduler only decides when to wake up.

- ``Job(name, every, run)``: every ``every`` (a timedelta, or a function of the settings);
- ``ClockJob(name, slots, run)``: at moments derived from data — ``slots(bg, day)`` lists
  a local day's moments (turn boundaries, a daily hour) and ``run(bg, slot)`` does one.
  Each (job, slot) is claimed in the store before it runs (store/messaging/clockwork.py), so it
  runs once whichever replica, retry or restart gets there; a slot missed by less than
  MISFIRE_GRACE_SECONDS runs late, once; an older one is recorded as skipped and logged
  as a warning — or recorded without a warning when no clock job had looked at the
  database before that slot (a new database, or the scheduler's first start on it):
  nothing was missed then.

Exactly once, on any number of replicas: jobs marked ``leader_only`` (the default) run
only in the scheduler leader (bot/leader.py: a PostgreSQL advisory lock, or a file lock
for SQLite), re-checked before each run; and every proactive message carries a (job,
slot) key in the outbox, so even two leaders could not send it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from bot import metrics
from bot.delivery.notifier import OutboxNotifier
from bot.delivery.worker import OutboxWorker, build_worker
from bot.leader import Leadership, leadership_for
from bot.runtime import Runtime, build_pbx_events
from bot.settings import Settings, weekly_time
from commands.callbacks.due import dispatch_callbacks
from commands.calls.pull import pull_recent
from commands.core import Reply
from commands.queue.alerts import check_alerts
from commands.queue.offline import check_offline
from commands.queue.pause_overdue import remind_overdue
from commands.shifts.change import boundaries, notice, notice_slots, set_queue
from commands.shifts.hr_sync import sync_hr
from commands.stats.daily import send_daily_stats
from commands.team.pbx_sync import apply_sync, plan_sync, summary
from integrations import tracing
from integrations.pbx.sim.traffic import TrafficSimulator
from store.callbacks import ivr_keys
from store.db import optimize, reading, transaction
from store.messaging import clockwork, outbox
from store.messaging.chat import prune_events
from store.messaging.clockwork import DONE, FAILED, SKIPPED
from store.team import audit, desk_sessions

log = logging.getLogger(__name__)

# How often clock jobs look for due slots (well inside MISFIRE_GRACE_SECONDS).
CLOCK_POLL = timedelta(seconds=15)
HR_SYNC_AT = time(5, 30)


def _always(settings: Settings) -> bool:
    return True


@dataclass(frozen=True)
class Job:
    """An interval job. ``leader_only=False`` for work safe on every replica at once."""

    name: str
    every: timedelta | Callable[[Settings], timedelta]
    run: Callable[[Background], object]
    enabled: Callable[[Settings], bool] = _always
    leader_only: bool = True
    # First run this long after start-up instead of a whole interval later: a daily job
    # on a process restarted more often than daily would otherwise never run.
    first_after: timedelta | None = None

    def interval(self, settings: Settings) -> timedelta:
        return self.every if isinstance(self.every, timedelta) else self.every(settings)


@dataclass(frozen=True)
class ClockJob:
    """A job due at moments computed from data; each (job, slot) runs once."""

    name: str
    slots: Callable[[Background, date], list[datetime]]
    run: Callable[[Background, datetime], object]
    enabled: Callable[[Settings], bool] = _always
    leader_only: bool = True

    def interval(self, settings: Settings) -> timedelta:
        return CLOCK_POLL


AnyJob = Job | ClockJob


@dataclass
class SlotRun:
    slot: datetime
    outcome: str  # done | failed | skipped
    result: object = None


@dataclass
class ClockPass:
    """What one look at a clock job did."""

    ran: list[SlotRun] = field(default_factory=list)

    @property
    def slots(self) -> list[datetime]:
        return [r.slot for r in self.ran if r.outcome != SKIPPED]


# --------------------------------------------------------------------------- the jobs


def deliver_outbox(bg: Background) -> object:
    """The safety net under the delivery loop (which wakes on every committed row): wake
    it; without a running loop (tests, ``/tasks``), one pass here."""
    if bg.worker.running:
        bg.worker.wake()
        return None
    return bg.worker.deliver_due()


def open_dms_ahead(bg: Background) -> object:
    """Open (or find) every person's DM before anything needs it, within the limits;
    the first run opens what it may, each minute after opens more, then nothing is left."""
    notifier = bg.runtime.services.notifier
    if not isinstance(notifier, OutboxNotifier):
        return None
    with reading(bg.runtime.services.sessions) as session:
        platforms = notifier.dm_platforms(session)
    return str(bg.worker.open_dms(platforms))


def _chat_platforms(settings: Settings) -> bool:
    return bool(settings.google_chat_service_account_file or settings.slack_bot_token)


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
        ("IVR rate windows", lambda s: ivr_keys.prune_windows(s, now)),
        # An IVR retries within minutes; a day of idempotent answers is plenty.
        ("IVR idempotent answers", lambda s: ivr_keys.prune_idempotency(
            s, now - timedelta(days=1))),
        ("expired desk sign-ins", lambda s: desk_sessions.prune(s, now - timedelta(days=1))),
    )
    for name, prune in cutoffs:
        with transaction(services.sessions) as session:
            pruned[name] = prune(session)
    optimize(bg.runtime.engine)
    log.info("housekeeping: pruned %s", ", ".join(f"{n} {w}" for w, n in pruned.items()))
    return pruned


def _notice_slots(bg: Background, day: date) -> list[datetime]:
    return notice_slots(bg.runtime.services, day)


def _notice(bg: Background, slot: datetime) -> object:
    ahead = timedelta(minutes=bg.runtime.settings.shift_notice_minutes)
    return notice(bg.runtime.services, slot + ahead)


def _boundaries(bg: Background, day: date) -> list[datetime]:
    return boundaries(bg.runtime.services, day)


def _set_queue(bg: Background, slot: datetime) -> object:
    return set_queue(bg.runtime.services, slot)


def _offline(bg: Background) -> object:
    return check_offline(bg.runtime.services)


def _daily_hr(bg: Background, day: date) -> list[datetime]:
    return [datetime.combine(day, HR_SYNC_AT, bg.runtime.settings.timezone)]


def _hr_sync(bg: Background, slot: datetime) -> object:
    return sync_hr(bg.runtime.services).summary()


def dispatch_due_callbacks(bg: Background) -> object:
    return dispatch_callbacks(bg.runtime.services)


def _simulating(settings: Settings) -> bool:
    return settings.pbx_backend == "sim" and settings.sim_traffic


def _pbx_sync_slots(bg: Background, day: date) -> list[datetime]:
    when = weekly_time(bg.runtime.settings.pbx_sync_at)
    if when is None or day.weekday() != when[0]:
        return []
    return [datetime.combine(day, when[1], bg.runtime.settings.timezone)]


def _pbx_sync(bg: Background, slot: datetime) -> object:
    services = bg.runtime.services
    plan = plan_sync(services)
    return summary(plan, apply_sync(services, plan, "job:pbx-sync"))


def _alerts(bg: Background) -> object:
    return check_alerts(bg.runtime.services)


def _alerts_every(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.alert_check_seconds)


def _offline_every(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.offline_check_seconds)


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


SCHEDULE: tuple[AnyJob, ...] = (
    Job("outbox-delivery", timedelta(seconds=2), deliver_outbox, leader_only=False),
    Job("sim-traffic", timedelta(seconds=3), simulate_traffic, _simulating),
    Job("dm-open", timedelta(minutes=1), open_dms_ahead, _chat_platforms,
        first_after=timedelta(seconds=5)),
    Job("pause-overdue", timedelta(minutes=1), remind_over_long_pauses),
    Job("housekeeping", timedelta(days=1), housekeeping, first_after=timedelta(minutes=10)),
    ClockJob("shift-notice", _notice_slots, _notice),
    ClockJob("queue-set", _boundaries, _set_queue),
    Job("offline-monitor", _offline_every, _offline),
    Job("live-alerts", _alerts_every, _alerts),
    ClockJob("pbx-sync", _pbx_sync_slots, _pbx_sync),  # no slots unless PBX_SYNC_AT
    ClockJob("hr-sync", _daily_hr, _hr_sync),
    Job("callback-dispatch", timedelta(minutes=1), dispatch_due_callbacks),
    Job("daily-stats", timedelta(minutes=1), daily_stats),
    Job("calls-pull", timedelta(minutes=10), pull_call_records, _pulls_calls),
)


# --------------------------------------------------------------------------- running


class Background:
    """The scheduler and the workers it drives; start() once per process, shutdown() on exit."""

    def __init__(self, runtime: Runtime, *,
                 console_sink: Callable[[str, Reply], None] | None = None,
                 schedule: tuple[AnyJob, ...] = SCHEDULE,
                 leadership: Leadership | None = None) -> None:
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
        # Every replica listens: an outcome is applied once, by whoever locks it first.
        self.pbx_events = build_pbx_events(settings, services)
        runtime.pbx_events = self.pbx_events  # for the deep readiness check
        self.leadership = leadership or leadership_for(
            runtime.engine.url.render_as_string(hide_password=False),
            settings.leader_ttl_seconds)
        self.jobs = tuple(job for job in schedule if job.enabled(settings))
        self.scheduler = BackgroundScheduler(timezone=settings.timezone)
        for job in self.jobs:
            first = getattr(job, "first_after", None)
            self.scheduler.add_job(
                self._guarded(job),
                IntervalTrigger(seconds=job.interval(settings).total_seconds()),
                id=job.name, name=job.name, max_instances=1, coalesce=True,
                **({"next_run_time": services.clock.now() + first} if first else {}),
            )

    # ----------------------------------------------------------------- one job

    def job(self, name: str) -> AnyJob:
        found = next((j for j in self.jobs if j.name == name), None)
        if found is None:
            raise KeyError(f"no enabled job {name!r}")
        return found

    def run_job(self, name: str) -> object:
        """Run one job now, in this thread, leader or not (tests, the CLI, /tasks).
        A clock job runs its due slots — each (job, slot) still only once."""
        job = self.job(name)
        tracing.set_fields(job=name)
        clock = self.runtime.services.clock
        try:
            if isinstance(job, ClockJob):
                passed = self.run_due(job)
                if not passed.slots:  # a look that found nothing due is not a run
                    return passed
                done: object = passed
                failed = any(r.outcome == FAILED for r in passed.ran)
            else:
                done, failed = job.run(self), False
        except Exception:
            metrics.job_done(name, True, clock.now())
            raise
        metrics.job_done(name, failed, clock.now())
        return done

    def tick(self, name: str) -> object | None:
        """What the scheduler runs: the job, if this process may run it now."""
        job = self.job(name)
        if job.leader_only and not self.leadership.is_leader():
            return None
        return self.run_job(name)

    def tick_all(self) -> dict[str, object | None]:
        """Every job once, as if each had woken up (simulations and tests)."""
        return {job.name: self.tick(job.name) for job in self.jobs}

    def run_due(self, job: ClockJob) -> ClockPass:
        """Run each slot of ``job`` that is due: at or before now, not claimed yet, and
        late by less than the misfire grace; older unclaimed slots are recorded as
        skipped so they never run, with a warning when the scheduler was running on this
        database before the slot (else it was not missed: it came before the first look)."""
        services = self.runtime.services
        now = services.clock.now()
        grace = timedelta(seconds=self.runtime.settings.misfire_grace_seconds)
        tz = self.runtime.settings.timezone
        today = now.astimezone(tz).date()
        days = [today]
        if now - grace < datetime.combine(today, time(), tz):
            days.insert(0, today - timedelta(days=1))  # yesterday's late slots may be unseen
        due = sorted({slot for day in days for slot in job.slots(self, day) if slot <= now})
        result = ClockPass()
        if not due:
            return result
        with reading(services.sessions) as session:
            seen = {r.slot for r in clockwork.runs(session, job.name, due[0])}
        for slot in due:
            if slot in seen:
                continue
            late = now - slot
            with transaction(services.sessions) as session:
                if late > grace:
                    first_look = clockwork.first_claim(session)
                    run = clockwork.claim_slot(session, job.name, slot, now, SKIPPED)
                    if run is not None:
                        if first_look is not None and first_look < slot:
                            log.warning("%s for %s skipped: missed by %s (more than the "
                                        "misfire grace of %s)", job.name, slot, late, grace)
                        else:
                            log.info("%s for %s skipped: it came before the scheduler's "
                                     "first look at this database", job.name, slot)
                        result.ran.append(SlotRun(slot, SKIPPED))
                    continue
                run = clockwork.claim_slot(session, job.name, slot, now)
                run_id = run.id if run is not None else None
            if run_id is None:
                continue  # someone ran it already
            outcome, value, detail = DONE, None, None
            try:
                value = job.run(self, slot)
                detail = str(value)[:4000] if value is not None else None
            except Exception as exc:
                log.exception("clock job %s for %s failed", job.name, slot)
                outcome, detail = FAILED, f"{type(exc).__name__}: {exc}"
            with transaction(services.sessions) as session:
                clockwork.finish_slot(session, run_id, services.clock.now(), outcome, detail)
            result.ran.append(SlotRun(slot, outcome, value))
        return result

    def _guarded(self, job: AnyJob) -> Callable[[], None]:
        def run() -> None:
            with tracing.scope(door="scheduler", job=job.name):
                try:
                    self.tick(job.name)
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
        self.worker.start(self.runtime.engine)
        self.scheduler.start()
        if self.pbx_events is not None:
            self.pbx_events.start()

    def shutdown(self) -> None:
        if self.pbx_events is not None:
            self.pbx_events.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.worker.stop()
        self.leadership.release()
