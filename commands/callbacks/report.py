"""The callbacks report: what was asked, given, handed out and how it ended, per period.

Counted from the transitions in the period (``callback_event``) and the refused
requests (``callback_refusal``), aggregated in SQL, per queue, campaign and source:
requested (= scheduled + refused for capacity), scheduled, refused, dispatched (every
attempt), done, no answer, failed, expired, cancelled; plus what is still due today
(open callbacks due before tonight's midnight, overdue ones included).

``/callbacks report`` shows it in the reader's language (``label``, ``title``,
``Period.shown``); the CLI's text (``to_text``) and CSV stay English.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.orm import Session

from commands.core import UsageError
from commands.words import canonical
from store.callbacks import bookings
from store.exports import Cell, csv_text
from store.i18n import N_, _, pgettext
from store.shifts.timetable_io import FIRST_YEAR, LAST_YEAR, parse_date

METRICS = ("requested", "scheduled", "refused", "dispatched", "done", "noanswer", "failed",
           "expired", "cancelled", "due_today")
LABELS = {"noanswer": "no answer", "due_today": "still due today"}
EVENT_METRIC = {"requested": "scheduled", "dispatched": "dispatched", "done": "done",
                "noanswer": "noanswer", "failed": "failed", "expired": "expired",
                "cancelled": "cancelled"}
PERIODS = N_("today, yesterday, week, month, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    label: str  # English: "2026-11-01 to 2026-11-23" (the CLI's)

    def shown(self) -> str:
        """The label in the language being written."""
        first, last = self.start.date(), (self.end - timedelta(days=1)).date()
        return str(first) if first == last else _("{first} to {last}").format(
            first=first, last=last)


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _day(text: str) -> date:
    day = parse_date(text)
    if day is None:
        raise UsageError(_("{text} is not a date; give {periods}.").format(
            text=repr(text), periods=_(PERIODS)))
    return day


def period_between(first: date, last: date, tz: tzinfo) -> Period:
    if parse_date(first) is None or parse_date(last) is None:
        raise UsageError(_("{first}..{last}: give dates between the years {first_year} and "
                           "{last_year}.").format(first=first, last=last,
                                                  first_year=FIRST_YEAR, last_year=LAST_YEAR))
    if last < first:
        raise UsageError(_("The period ends ({last}) before it starts ({first}).").format(
            last=last, first=first))
    label = f"{first}" if first == last else f"{first} to {last}"
    return Period(_midnight(first, tz), _midnight(last + timedelta(days=1), tz), label)


def period_for(word: str | None, now: datetime, tz: tzinfo) -> Period:
    today = now.astimezone(tz).date()
    word = (word or "today").lower()
    meaning = canonical(word)
    if meaning == "today":
        return period_between(today, today, tz)
    if meaning == "yesterday":
        return period_between(today - timedelta(days=1), today - timedelta(days=1), tz)
    if meaning == "week":
        return period_between(today - timedelta(days=today.weekday()), today, tz)
    if meaning == "month":
        return period_between(today.replace(day=1), today, tz)
    if ".." in word:
        first, _sep, last = word.partition("..")
        return period_between(_day(first), _day(last), tz)
    if _DATE.match(word):
        return period_between(_day(word), _day(word), tz)
    raise UsageError(_("I don't understand the period {text}; give {periods}.").format(
        text=repr(word), periods=_(PERIODS)))


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
        self.rows[("all", "all")]  # the total row exists even when nothing happened
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


def label(metric: str) -> str:
    """A metric's name in the language being written (counts of callbacks)."""
    labels = {
        "requested": pgettext("callbacks report", "requested"),
        "scheduled": pgettext("callbacks report", "scheduled"),
        "refused": pgettext("callbacks report", "refused"),
        "dispatched": pgettext("callbacks report", "dispatched"),
        "done": pgettext("callbacks report", "done"),
        "noanswer": pgettext("callbacks report", "no answer"),
        "failed": pgettext("callbacks report", "failed"),
        "expired": pgettext("callbacks report", "expired"),
        "cancelled": pgettext("callbacks report", "cancelled"),
        "due_today": pgettext("callbacks report", "still due today"),
    }
    return labels.get(metric, metric)


def title(dimension: str, name: str) -> str:
    """A section of the report: "All", "Queue support", "Campaign (none)", "Source ivr"."""
    shown = _("(none)") if name == "(none)" else name
    if dimension == "queue":
        return _("Queue {name}").format(name=shown)
    if dimension == "campaign":
        return _("Campaign {name}").format(name=shown)
    if dimension == "source":
        return _("Source {name}").format(name=shown)
    return _("All")


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
