"""Keeping the pause/session log true to the PBX.

Commands change the PBX first and write the log after, so a refused or failed PBX call
leaves no trace. People also pause on their phones and the shift change moves the
queue, so the log is reconciled with a PBX snapshot whenever the board is built and
every minute by the over-long-pause job (``sync_with_pbx``).

The two can race: a reconciliation may see a pause that a command has made on the PBX
but not logged yet. The command then adopts the row the reconciliation opened instead
of opening a second one, and a reconciliation never closes a row that was opened after
its snapshot was requested.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy.orm import Session

from commands.core import Services
from integrations.pbx import MemberStatus
from store.db import reading, transaction
from store.queue import activity
from store.queue.activity import PAUSE, SESSION, Activity
from store.team import people
from store.team.people import Person

log = logging.getLogger(__name__)

# The reason logged for a pause made on the PBX without a reason we know.
FALLBACK_REASON = "other"


@dataclass(frozen=True)
class Snapshot:
    statuses: tuple[MemberStatus, ...]
    observed_at: datetime  # taken just before the PBX was asked

    def member(self, extension: str) -> MemberStatus | None:
        return self.by_extension.get(extension)

    @cached_property
    def by_extension(self) -> dict[str, MemberStatus]:
        """The members by extension (the first, should the PBX list one twice)."""
        found: dict[str, MemberStatus] = {}
        for status in self.statuses:
            found.setdefault(status.extension, status)
        return found


@dataclass
class Reconciled:
    """Person keys whose log rows a reconciliation opened or closed."""

    pauses_opened: list[str] = field(default_factory=list)
    pauses_closed: list[str] = field(default_factory=list)
    sessions_opened: list[str] = field(default_factory=list)
    sessions_closed: list[str] = field(default_factory=list)


def sync_with_pbx(services: Services) -> tuple[Snapshot, Reconciled]:
    """Ask the PBX for the queue and bring the log in line with it (committed)."""
    observed_at = services.clock.now()
    snapshot = Snapshot(tuple(services.pbx.queue_status()), observed_at)
    # Usually the log already agrees: finding that out takes no write lock.
    with reading(services.sessions) as session:
        needed = differences(session, snapshot.statuses, observed_at).any
    report = Reconciled()
    if needed:
        with transaction(services.sessions) as session:
            report = reconcile(session, snapshot.statuses, observed_at)
    if any(vars(report).values()):
        log.info("pause/session log reconciled with the PBX: %s", report)
    return snapshot, report


@dataclass
class Differences:
    """What the log lacks (to open) and holds too much of (to close), against the PBX."""

    to_open: list[tuple[int, str]]
    to_close: list[activity.OpenRow]
    member_of: dict[int, MemberStatus]
    keys: dict[int, str]  # person id → key, for the report

    @property
    def any(self) -> bool:
        return bool(self.to_open or self.to_close)


def differences(session: Session, statuses: Sequence[MemberStatus],
                observed_at: datetime) -> Differences:
    """Linear in the team: dicts by extension and sets of who has an open row; plain
    values rather than whole rows, so a board of a thousand stays quick."""
    by_extension = {m.extension: m for m in statuses}
    known = people.extension_keys(session)
    member_of = {pid: by_extension[ext] for pid, (ext, _) in known.items()
                 if ext in by_extension}

    def wanted(person_id: int, kind: str) -> bool:
        status = member_of.get(person_id)
        return status is not None and (kind == SESSION or status.paused)

    open_rows = {kind: activity.open_rows(session, kind) for kind in (PAUSE, SESSION)}
    # Who has an open row of each kind: a set, so matching the PBX to the log is linear.
    logged = {kind: {r.person_id for r in rows} for kind, rows in open_rows.items()}
    to_open = [(pid, kind) for kind in (SESSION, PAUSE) for pid in member_of
               if wanted(pid, kind) and pid not in logged[kind]]
    to_close = [row for kind in (PAUSE, SESSION) for row in open_rows[kind]
                if not wanted(row.person_id, kind) and row.started_at < observed_at]
    keys = {pid: key for pid, (_, key) in known.items()}
    return Differences(to_open, to_close, member_of, keys)


def reconcile(session: Session, statuses: Sequence[MemberStatus],
              observed_at: datetime) -> Reconciled:
    """Open what the PBX shows and the log lacks; close what the log holds and the PBX doesn't.

    A member paused on the PBX without an open pause gets one (source "pbx", the PBX's
    reason if it names one of ours, else "other"); an open pause of someone not paused
    on the PBX is closed, ended by nobody (the PBX). Queue membership is a session and
    is reconciled the same way. Members whose extension is nobody's are left alone.
    """
    plan = differences(session, statuses, observed_at)
    to_open, to_close, member_of = plan.to_open, plan.to_close, plan.member_of
    # Lock everyone concerned in one order, so two reconciliations cannot deadlock.
    for person_id in sorted({pid for pid, _ in to_open} | {r.person_id for r in to_close}):
        activity.lock_person(session, person_id)

    def key(person_id: int) -> str:
        found = plan.keys.get(person_id)
        if found is None:
            person = session.get(Person, person_id)
            found = person.key if person else str(person_id)
        return found

    report = Reconciled()
    for person_id, kind in to_open:
        if activity.open_activity(session, person_id, kind) is not None:
            continue  # a command logged it meanwhile
        status = member_of[person_id]
        if kind == PAUSE:
            since = min(status.paused_since or observed_at, observed_at)
            activity.start(session, person_id, PAUSE, since, source="pbx",
                           reason=pbx_reason(session, status.pause_reason))
            report.pauses_opened.append(key(person_id))
        else:
            activity.start(session, person_id, SESSION, observed_at, source="pbx")
            report.sessions_opened.append(key(person_id))
    for open_row in to_close:
        row = session.get(activity.Activity, open_row.id, populate_existing=True)
        if row is not None and row.ended_at is None:
            activity.finish(row, observed_at)
            closed = report.pauses_closed if row.kind == PAUSE else report.sessions_closed
            closed.append(key(row.person_id))
    return report


def pbx_reason(session: Session, reported: str | None) -> str:
    """Our reason code for what the PBX reports (a code or an alias), else "other"."""
    if reported:
        reason = activity.find_reason(session, reported)
        if reason is not None:
            return reason.code
    return FALLBACK_REASON


# --------------------------------------------------------------------------- commands' writes


def log_start(session: Session, person_id: int, kind: str, at: datetime, *, since: datetime,
              by_id: int | None, reason: str | None = None, source: str = "chat") -> Activity:
    """Log a pause or session the PBX has just accepted (``since``: just before asking it).

    An open row that began at or after ``since`` is a reconciliation's record of this
    very change: it is adopted. An older open row is stale — the PBX has just accepted
    a new pause or login, so that one had ended — and is closed at ``since``.
    """
    activity.lock_person(session, person_id)
    row = activity.open_activity(session, person_id, kind)
    if row is not None:
        if row.started_at >= since:
            row.reason, row.started_by_id, row.source = reason, by_id, source
            return row
        activity.finish(row, since)
    return activity.start(session, person_id, kind, at, reason=reason, by_id=by_id,
                          source=source)


def log_stop(session: Session, person_id: int, kind: str, at: datetime, *,
             by_id: int | None, note: str | None = None) -> Activity | None:
    """Close the person's open pause or session, if any; return it."""
    activity.lock_person(session, person_id)
    row = activity.open_activity(session, person_id, kind)
    if row is None:
        return None
    return activity.finish(row, at, by_id=by_id, note=note)
