"""/queue: the live board, built for a team of a thousand: the headline counts; then what
needs action (pauses over their limit, disconnected members, people expected but not in
the queue, waiting callers); the buttons; the count per state; then the other members,
paused and busy first, a page at a time (``/queue page 2``). ``/queue paused|offline|busy|
available|@group`` shows only those members.

Building the board reconciles the pause/session log with the PBX (commands.queue.activity_sync).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from commands.core import (
    Button,
    Command,
    Config,
    Context,
    Reply,
    Section,
    Services,
    UsageError,
)
from commands.format import duration
from commands.queue.activity_sync import Snapshot, sync_with_pbx
from commands.queue.waiting import waiting_section
from commands.shifts.day_plan import day_plan
from integrations.pbx import MemberState, MemberStatus
from store.db import reading
from store.queue import activity
from store.queue.activity import PAUSE, OpenRow
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


# Members listed per page below what needs action; /queue page N shows the others.
PAGE_SIZE = 40
FILTERS = ("paused", "offline", "busy", "available")
BUSY_STATES = frozenset({MemberState.IN_CALL, MemberState.BUSY, MemberState.RINGING,
                         MemberState.ON_HOLD})


@dataclass(frozen=True)
class BoardView:
    """What /queue was asked for: a filter (a state word or ``@group``) and a page."""

    filter: str | None = None
    page: int = 1


def parse_view(args: tuple[str, ...]) -> BoardView:
    words = [a.lower() for a in args]
    shown: str | None = None
    page = 1
    while words:
        word = words.pop(0)
        if word == "page" and words and words[0].isdigit():
            page = max(1, int(words.pop(0)))
        elif word.isdigit():
            page = max(1, int(word))
        elif word in FILTERS or (word.startswith("@") and len(word) > 1):
            if shown is not None:
                raise UsageError("One filter at a time: paused, offline, busy, available "
                                 "or @group.")
            shown = word
        else:
            raise UsageError(f"I can't filter the board by {word!r}: use paused, offline, "
                             "busy, available, @group or page N.")
    return BoardView(shown, page)


def run_queue(ctx: Context, services: Services) -> Reply:
    view = parse_view(ctx.args)
    snapshot, _ = sync_with_pbx(services)
    waiting = waiting_section(services, full_numbers=ctx.where.is_dm)
    return board(services, snapshot, view, waiting)


@dataclass(frozen=True)
class _Line:
    label: str
    person: Person | None
    member: MemberStatus
    detail: str
    over_limit: bool


def board(services: Services, snapshot: Snapshot, view: BoardView = BoardView(),
          waiting: Section | None = None) -> Reply:
    """The board: the headline's counts, then what needs action (pauses over their limit,
    disconnected members, people expected but not in the queue, waiting callers), the
    buttons, the count per state, and the other members a page at a time."""
    now = snapshot.observed_at
    with reading(services.sessions) as session:
        everyone = people.all_people(session)
        by_extension = {p.extension: p for p in everyone if p.extension}
        open_pauses = {a.person_id: a for a in activity.open_rows(session, PAUSE)}
        reasons = activity.reasons(session)
        expected = expected_people(session, services.settings, now)
    limits = {r.code: r.max_minutes for r in reasons}
    lines: list[_Line] = []
    for member in snapshot.statuses:
        person = by_extension.get(member.extension)
        label = (f"{person.name} ({member.extension})" if person
                 else f"ext {member.extension} (nobody in Switchboard)")
        logged = open_pauses.get(person.id) if person else None
        detail, late = _describe(member, logged, limits, now)
        lines.append(_Line(label, person, member, detail, late))
    missing = [p for p in expected if snapshot.member(p.extension or "") is None]
    lines = [line for line in lines if _shown(view, line.member, line.person)]
    if view.filter not in (None, "offline") and not (view.filter or "").startswith("@"):
        missing = []
    elif view.filter is not None and view.filter.startswith("@"):
        group = view.filter[1:]
        missing = [p for p in missing if group in [g.lower() for g in p.groups or []]]
    queue = services.pbx.queue
    text = _headline(queue, lines, missing, view)
    over = [line for line in lines if line.over_limit]
    disconnected = [line for line in lines if line.member.state == MemberState.DISCONNECTED]
    sections: list[Section] = []
    if over:
        sections.append(Section(title="Paused over the limit", text="\n".join(
            f"{line.label}: {line.detail}" for line in over)))
    if disconnected:
        sections.append(Section(title="Disconnected", text="\n".join(
            f"{line.label}: {line.detail}" for line in disconnected)))
    if missing:
        sections.append(Section(title="Expected but not in the queue", rows=tuple(
            (f"{p.name} ({p.extension})", f"/add @{p.key}") for p in missing)))
    if waiting is not None and view.filter is None:
        sections.append(waiting)
    buttons = tuple(Button(label=f"Pause: {r.code}", command="pause", args=r.code)
                    for r in reasons[:COMMON_REASONS])
    sections.append(Section(buttons=(*buttons, Button(label="Resume", command="resume"))))
    acted = {id(line) for line in (*over, *disconnected)}
    rest = sorted((line for line in lines if id(line) not in acted), key=_order)
    if len(lines) > PAGE_SIZE:
        sections.append(Section(title="By state", rows=tuple(
            (state, str(n)) for state, n in _counts(lines).most_common())))
    pages = max(1, -(-len(rest) // PAGE_SIZE))
    page = min(view.page, pages)
    shown = rest[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    title = f"Queue {queue}" + (f" · {view.filter}" if view.filter else "")
    if pages > 1:
        first = (page - 1) * PAGE_SIZE + 1
        title += f" ({first}–{first + len(shown) - 1} of {len(rest)})"
    more: tuple[Button, ...] = ()
    if page < pages:
        more = (Button(label=f"Page {page + 1} of {pages}", command="queue",
                       args=" ".join(filter(None, (view.filter, f"page {page + 1}")))),)
    empty = "Nobody is in the queue." if not snapshot.statuses else \
        "Nobody else." if acted else "Nobody matches."
    sections.append(Section(title=title, rows=tuple((line.label, line.detail) for line in shown),
                            text=None if shown else empty, buttons=more))
    return Reply(text, tuple(sections))


def _shown(view: BoardView, member: MemberStatus, person: Person | None) -> bool:
    wanted = view.filter
    if wanted is None:
        return True
    if wanted.startswith("@"):
        return person is not None and wanted[1:] in [g.lower() for g in person.groups or []]
    if wanted == "paused":
        return member.paused
    if wanted == "offline":
        return member.state in (MemberState.DISCONNECTED, MemberState.UNKNOWN)
    if wanted == "busy":
        return not member.paused and member.state in BUSY_STATES
    return not member.paused and member.state == MemberState.AVAILABLE


def _state(member: MemberStatus) -> str:
    return "paused" if member.paused else STATE_LABELS[member.state]


def _counts(lines: list[_Line]) -> Counter[str]:
    return Counter(_state(line.member) for line in lines)


def _order(line: _Line) -> tuple[int, str]:
    member = line.member
    rank = 0 if member.paused else 1 if member.state in BUSY_STATES else \
        2 if member.state == MemberState.AVAILABLE else 3
    return rank, line.label.lower()


def _headline(queue: str, lines: list[_Line], missing: list[Person], view: BoardView) -> str:
    """Counts only: never a list of names, however big the team."""
    counts = _counts(lines)
    summary = ", ".join(f"{n} {state}" for state, n in counts.most_common())
    over = sum(1 for line in lines if line.over_limit)
    if over:
        summary += f" ({over} over the pause limit)"
    what = f"Queue {queue}" + (f", {view.filter}" if view.filter else "")
    noun = "member" if len(lines) == 1 else "members"
    text = f"{what}: {len(lines)} {noun}" + (f" — {summary}" if summary else "") + "."
    if missing:
        text += f" {len(missing)} expected but not in the queue."
    return text


def _describe(member: MemberStatus, logged: OpenRow | None,
              limits: dict[str, int | None], now: datetime) -> tuple[str, bool]:
    """The member's line, and whether their pause has run past its reason's limit."""
    over = False
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
                over = True
        parts.append(pause)
    calls = member.calls_taken
    parts.append(f"{calls} call{'s' if calls != 1 else ''}, "
                 f"{duration(member.seconds_in_calls)} in calls")
    return " · ".join(parts), over


COMMAND = Command(
    name="queue",
    run=run_queue,
    summary="The live queue board: who is available, in a call, paused, or missing",
    usage="/queue [paused|offline|busy|available|@group] [page N]",
    aliases=("board", "queue status", "who is on the queue"),
)
