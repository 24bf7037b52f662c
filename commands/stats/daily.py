"""The daily stats broadcast: at the report time the team space gets the day's card and
chart, through the outbox, exactly once.

``send_daily_stats(services)`` is run by the clock (every minute). Before the report time
it does nothing; after it, the first run builds the card (the /stats card of the day,
with no per-agent rows in the shared space) and writes it with the outbox key
``daily-stats:YYYY-MM-DD``, so a second run, a second replica or a replay sends nothing
new. A run after midnight does not send the previous day's. The card and its chart are in
the team's language (``LANGUAGE``).

The report time is ``DAILY_REPORT_TIME``, else the day's last turn boundary + 10 minutes,
else (no turns) 18:00. Nothing is sent on a day without service (a public holiday, a
company no-service day, a timetable of ``festiu``); on a day without any turns defined, a
day has service when a call reached the queue.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from commands.core import BROADCAST, TEAM, Config, Services
from commands.shifts.day_plan import is_service_day, last_boundary, no_service_reason
from commands.stats.card import card, chart_url, report_for
from commands.stats.figures import StatsReport
from commands.stats.period import day_period
from store.db import reading, transaction
from store.i18n import speaking
from store.messaging import outbox

JOB = "daily-stats"
DEFAULT_TIME = time(18, 0)
AFTER_LAST_TURN = timedelta(minutes=10)


def report_time(config: Config, session: Session, day: date) -> time:
    """When the day's report goes out: DAILY_REPORT_TIME, else the last turn boundary +
    10 minutes, else 18:00."""
    configured = parse_hhmm(config.daily_report_time)
    if configured is not None:
        return configured
    boundary = last_boundary(session, config, day)
    if boundary is None:
        return DEFAULT_TIME
    return (boundary + AFTER_LAST_TURN).astimezone(config.timezone).time()


def has_service(session: Session, config: Config, day: date, report: StatsReport) -> bool:
    """Whether the day had service: not a day without service, and turns that day (or,
    where no turns are defined, calls)."""
    if no_service_reason(session, config, day) is not None:
        return False
    return is_service_day(session, config, day) or report.figures.received > 0


def parse_hhmm(raw: str) -> time | None:
    """"18:30" → 18:30; "" → None; anything else ValueError naming the expected form."""
    text = raw.strip()
    if not text:
        return None
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"DAILY_REPORT_TIME {raw!r}: expected HH:MM, e.g. 18:10") from None


def key_for(day: date) -> str:
    return f"{JOB}:{day.isoformat()}"


def send_daily_stats(services: Services) -> str | None:
    """The job: the outbox key it wrote, or None (too early, sent already, no service)."""
    now = services.clock.now()
    tz = services.settings.timezone
    day = now.astimezone(tz).date()
    key = key_for(day)
    with reading(services.sessions) as session:
        due = datetime.combine(day, report_time(services.settings, session, day), tzinfo=tz)
        if now < due or outbox.by_key(session, key) is not None:
            return None
    with speaking(None):  # the team space reads the team's language, the chart too
        period = day_period(day, tz, now)
        report = report_for(services, period, None, agents=False)
        with transaction(services.sessions) as session:
            if not has_service(session, services.settings, day, report):
                return None
            reply = card(report, rows=(), chart=chart_url(services, day, None), private=False)
            sent = services.notifier.send(session, TEAM, reply, key=key, priority=BROADCAST)
    return key if sent else None
