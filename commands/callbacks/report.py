"""The callbacks report: what was asked, given, handed out and how it ended, per period.

Counted from the transitions in the period (``callback_event``) and the refused
requests (``callback_refusal``), aggregated in SQL, per queue, campaign and source:
requested (= scheduled + refused for capacity), scheduled, refused, dispatched (every
attempt), done, no answer, failed, expired, cancelled; plus what is still due today
(open callbacks due before tonight's midnight, overdue ones included).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.orm import Session

from commands.core import UsageError
from store.callbacks import bookings
from store.exports import Cell, csv_text
from store.shifts.timetable_io import FIRST_YEAR, LAST_YEAR, parse_date

METRICS = ("requested", "scheduled", "refused", "dispatched", "done", "noanswer", "failed",
           "expired", "cancelled", "due_today")
LABELS = {"noanswer": "no answer", "due_today": "still due today"}
EVENT_METRIC = {"requested": "scheduled", "dispatched": "dispatched", "done": "done",
                "noanswer": "noanswer", "failed": "failed", "expired": "expired",
                "cancelled": "cancelled"}
PERIODS = "today, yesterday, week, month, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    label: str


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _day(text: str) -> date:
    day = parse_date(text)
    if day is None:
        raise UsageError(f"{text!r} is not a date; give {PERIODS}.")
    return day


def period_between(first: date, last: date, tz: tzinfo) -> Period:
    if parse_date(first) is None or parse_date(last) is None:
        raise UsageError(f"{first}..{last}: give dates between the years {FIRST_YEAR} and "
                         f"{LAST_YEAR}.")
    if last < first:
        raise UsageError(f"The period ends ({last}) before it starts ({first}).")
    label = f"{first}" if first == last else f"{first} to {last}"
    return Period(_midnight(first, tz), _midnight(last + timedelta(days=1), tz), label)


def period_for(word: str | None, now: datetime, tz: tzinfo) -> Period:
    today = now.astimezone(tz).date()
    word = (word or "today").lower()
    if word == "today":
        return period_between(today, today, tz)
    if word == "yesterday":
        return period_between(today - timedelta(days=1), today - timedelta(days=1), tz)
    if word == "week":
        return period_between(today - timedelta(days=today.weekday()), today, tz)
    if word == "month":
        return period_between(today.replace(day=1), today, tz)
    if ".." in word:
        first, _, last = word.partition("..")
        return period_between(_day(first), _day(last), tz)
    if _DATE.match(word):
        return period_between(_day(word), _day(word), tz)
    raise UsageError(f"I don't understand the period {word!r}; give {PERIODS}.")


@dataclass
class Report:
    period: Period
    # (dimension, name) → metric → count; dimension: all | queue | campaign | source
    rows: dict[tuple[str, str], dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(METRICS, 0)))

    def add(self, queue: str, campaign: str | None, source: str | None, metric: str,
            count: int) -> None:
        keys = [("all", "all"), ("queue", queue), ("campaign", campaign or "(none)")]
        if source is not None:
            keys.append(("source", source))
        for key in keys:
            self.rows[key][metric] += count

    @property
    def total(self) -> dict[str, int]:
        return self.rows[("all", "all")]

    def ordered(self) -> list[tuple[str, str, dict[str, int]]]:
        order = {"all": 0, "queue": 1, "campaign": 2, "source": 3}
        _ = self.rows[("all", "all")]  # the total row exists even when nothing happened
        return [(d, n, self.rows[(d, n)])
                for d, n in sorted(self.rows, key=lambda k: (order[k[0]], k[1]))]


def build(session: Session, period: Period, now: datetime, tz: tzinfo) -> Report:
    report = Report(period)
    for kind, queue, campaign, source, count in bookings.event_counts(
            session, period.start, period.end):
        metric = EVENT_METRIC.get(kind)
        if metric is not None:
            report.add(queue, campaign, source, metric, count)
            if metric == "scheduled":
                report.add(queue, campaign, source, "requested", count)
    for queue, campaign, source, count in bookings.refusal_counts(
            session, period.start, period.end):
        report.add(queue, campaign, source, "refused", count)
        report.add(queue, campaign, source, "requested", count)
    tonight = _midnight(now.astimezone(tz).date() + timedelta(days=1), tz)
    for queue, campaign, source, count in bookings.still_due(session, tonight):
        report.add(queue, campaign, source, "due_today", count)
    return report


def to_csv(report: Report) -> str:
    rows: list[list[Cell]] = [["dimension", "name", *METRICS]]
    rows += [[dimension, name, *(values[m] for m in METRICS)]
             for dimension, name, values in report.ordered()]
    return csv_text(rows)


def to_text(report: Report) -> str:
    lines = [f"Callbacks, {report.period.label}:"]
    for dimension, name, values in report.ordered():
        title = "all" if dimension == "all" else f"{dimension} {name}"
        figures = ", ".join(f"{LABELS.get(m, m)} {values[m]}" for m in METRICS if values[m])
        lines.append(f"  {title}: {figures or 'nothing'}")
    return "\n".join(lines)
