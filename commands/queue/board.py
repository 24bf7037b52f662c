"""/queue: the live board — every member, their state and pause, and who is missing.

Building the board reconciles the pause/session log with the PBX (commands.queue.activity_sync).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session

from commands.core import Button, Command, Config, Context, Reply, Section, Services
from commands.format import duration
from commands.queue.activity_sync import Snapshot, sync_with_pbx
from commands.queue.waiting import waiting_section, with_waiting
from commands.shifts.day_plan import day_plan
from integrations.pbx import MemberState, MemberStatus
from store.db import reading
from store.queue import activity
from store.queue.activity import PAUSE, Activity
from store.shifts import absences
from store.team import people
from store.team.people import Person, Role

STATE_LABELS = {
    MemberState.AVAILABLE: "available",
    MemberState.RINGING: "ringing",
    MemberState.IN_CALL: "in a call",
    MemberState.BUSY: "busy",
    MemberState.ON_HOLD: "on hold",
    MemberState.DISCONNECTED: "disconnected",
    MemberState.UNKNOWN: "state unknown",
}
# How many reasons get a Pause button on the board: the first ones (break, lunch).
COMMON_REASONS = 2


def expected_people(session: Session, config: Config, now: datetime) -> list[Person]:
    """Who should be in the queue now: the current turn's people who are not absent, with
    an extension. Every active agent with an extension when today has no timetable;
    nobody outside the turns or on a day without service."""
    plan = day_plan(session, config, now.astimezone(config.timezone).date())
    if not plan.has_timetable:
        return [p for p in people.with_role(session, Role.AGENT) if p.extension]
    on_turn = plan.people_of(plan.turn_at(now))
    away = absences.absent_at(session, now, [p.id for p in on_turn])
    return [p for p in on_turn if p.extension and p.id not in away]


def run_queue(ctx: Context, services: Services) -> Reply:
    snapshot, _ = sync_with_pbx(services)
    waiting = waiting_section(services, full_numbers=ctx.where.is_dm)
    return with_waiting(board(services, snapshot), waiting)


def board(services: Services, snapshot: Snapshot) -> Reply:
    now = snapshot.observed_at
    with reading(services.sessions) as session:
        by_extension = {p.extension: p for p in people.all_people(session) if p.extension}
        open_pauses = {a.person_id: a for a in activity.open_activities(session, PAUSE)}
        reasons = activity.reasons(session)
        missing = [p for p in expected_people(session, services.settings, now)
                   if snapshot.member(p.extension or "") is None]
    limits = {r.code: r.max_minutes for r in reasons}
    rows = []
    for member in snapshot.statuses:
        person = by_extension.get(member.extension)
        label = (f"{person.name} ({member.extension})" if person
                 else f"ext {member.extension} (nobody in Switchboard)")
        logged = open_pauses.get(person.id) if person else None
        rows.append((label, _describe(member, logged, limits, now)))
    counts = Counter("paused" if m.paused else STATE_LABELS[m.state] for m in snapshot.statuses)
    summary = ", ".join(f"{n} {state}" for state, n in counts.most_common())
    queue = services.pbx.queue
    text = (f"Queue {queue}: {len(rows)} member{'s' if len(rows) != 1 else ''}"
            + (f" — {summary}" if summary else "") + ".")
    if missing:
        text += f" {len(missing)} expected but not in the queue."
    buttons = tuple(Button(label=f"Pause: {r.code}", command="pause", args=r.code)
                    for r in reasons[:COMMON_REASONS])
    sections = [Section(title=f"Queue {queue}", rows=tuple(rows),
                        text=None if rows else "Nobody is in the queue.")]
    if missing:
        sections.append(Section(
            title="Expected but not in the queue",
            rows=tuple((f"{p.name} ({p.extension})", f"/add @{p.key}") for p in missing)))
    sections.append(Section(buttons=(*buttons, Button(label="Resume", command="resume"))))
    return Reply(text, tuple(sections))


def _describe(member: MemberStatus, logged: Activity | None,
              limits: dict[str, int | None], now: datetime) -> str:
    parts = [STATE_LABELS[member.state]]
    if member.paused:
        reason = (logged.reason if logged and logged.reason else None) or member.pause_reason
        since = member.paused_since or (logged.started_at if logged else None)
        pause = f"paused: {reason or 'no reason'}"
        if since is not None:
            seconds = activity.seconds_between(since, now)
            pause += f" for {duration(seconds)}"
            limit = limits.get(reason or "")
            if limit and seconds > limit * 60:
                pause += f" (over the {limit} min limit)"
        parts.append(pause)
    calls = member.calls_taken
    parts.append(f"{calls} call{'s' if calls != 1 else ''}, "
                 f"{duration(member.seconds_in_calls)} in calls")
    return " · ".join(parts)


COMMAND = Command(
    name="queue",
    run=run_queue,
    summary="The live queue board: who is available, in a call, paused, or missing",
    usage="/queue",
    aliases=("board", "queue status", "who is on the queue", "cola"),
)
