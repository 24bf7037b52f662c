"""Refreshing absences and public holidays from the HR system (daily, and on demand with
``switchboard hr sync``).

The HR system is asked first, with no transaction open; its answer then replaces its own
absences in the window (other sources stay) and its public holidays. An HR system that
fails leaves the last known absences in place and tells the coordinators once per outage
(the outbox key carries when the outage began); the first good sync after says so. Those
messages are in the team's language (``LANGUAGE``); the report (``summary``) is the CLI's,
in English.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, timedelta

from commands.core import COORDINATORS, Reply, Services
from integrations.errors import IntegrationError
from store.db import transaction
from store.i18n import _, speaking
from store.shifts import absences
from store.shifts.absences import HR, Absence
from store.team import people

log = logging.getLogger(__name__)
PAST_DAYS, FUTURE_DAYS = 7, 120


@dataclass
class SyncReport:
    backend: str
    leaves: int = 0
    unknown_emails: list[str] = field(default_factory=list)
    holidays: int = 0
    error: str | None = None

    def summary(self) -> str:
        if self.error:
            return f"{self.backend}: FAILED: {self.error} (the last known absences stay)"
        text = f"{self.backend}: {self.leaves} absences, {self.holidays} public holidays"
        if self.unknown_emails:
            text += f"; {len(self.unknown_emails)} leaves of unknown people skipped (" + \
                ", ".join(sorted(set(self.unknown_emails))[:10]) + ")"
        return text


def sync_hr(services: Services) -> SyncReport:
    hr = services.hr
    if hr is None or hr.name == "local":
        return SyncReport("local")  # the store is the HR system: nothing to fetch
    config, now = services.settings, services.clock.now()
    today = now.astimezone(config.timezone).date()
    first, last = today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)
    report = SyncReport(hr.name)
    try:
        leaves = hr.leaves(first, last)
        holidays = hr.public_holidays(first, last)
    except IntegrationError as exc:
        report.error = f"{exc.system}: {exc.message}"
        log.warning("HR sync failed: %s", exc)
        with transaction(services.sessions) as session:
            state = absences.sync_state(session)
            if state.failing_since is None:
                state.failing_since = now
            state.last_error = report.error[:2000]
            with speaking(None):
                services.notifier.send(session, COORDINATORS, Reply(
                    _("I could not refresh absences from {system}: {error}. I keep using the "
                      "last known absences and will tell you when it works again.").format(
                        system=hr.name, error=report.error)),
                    key=f"hr-down:{state.failing_since.astimezone(UTC):%Y%m%dT%H%M%S}")
        return report
    with transaction(services.sessions) as session:
        by_email = {p.email.lower(): p.id for p in people.all_people(session) if p.email}
        rows = []
        for leave in leaves:
            person_id = by_email.get(leave.email)
            if person_id is None:
                report.unknown_emails.append(leave.email)
                continue
            rows.append(Absence(person_id=person_id, starts=leave.starts, ends=leave.ends,
                                kind=leave.kind, source=hr.name,
                                external_id=leave.external_id[:64]))
        window = (now - timedelta(days=PAST_DAYS), now + timedelta(days=FUTURE_DAYS))
        absences.replace_source(session, hr.name, rows, *window)
        absences.replace_no_service_days(session, HR, [(h.day, h.name) for h in holidays],
                                         first, last)
        state = absences.sync_state(session)
        if state.failing_since is not None:
            with speaking(None):
                services.notifier.send(session, COORDINATORS, Reply(
                    _("Absences from {system} are up to date again.").format(system=hr.name)),
                    key=f"hr-back:{state.failing_since.astimezone(UTC):%Y%m%dT%H%M%S}")
        state.failing_since = None
        state.last_error = None
        state.last_success_at = now
        report.leaves, report.holidays = len(rows), len(holidays)
    return report
