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
from commands.words import canonical
from integrations.pbx import MemberState, MemberStatus
from store.db import reading
from store.i18n import N_, _, ngettext, pgettext
from store.queue import activity
from store.queue.activity import PAUSE, OpenRow
from store.shifts import absences
from store.team import people
from store.team.people import Person, Role

# One member's state, in English (translated with ``_`` where shown).
STATE_LABELS = {
    MemberState.AVAILABLE: N_("available"),
    MemberState.RINGING: N_("ringing"),
    MemberState.IN_CALL: N_("in a call"),
    MemberState.BUSY: N_("busy"),
    MemberState.ON_HOLD: N_("on hold"),
    MemberState.DISCONNECTED: N_("disconnected"),
    MemberState.UNKNOWN: N_("state unknown"),
}
PAUSED_LABEL = N_("paused")


def _counted(state: str, n: int) -> str:
    """"12 available", "1 in a call": a count of members in a state (an English label of
    STATE_LABELS, or "paused"), in the reader's language and number."""
    forms = {
        "available": ngettext("{n} available", "{n} available", n),
        "ringing": ngettext("{n} ringing", "{n} ringing", n),
        "in a call": ngettext("{n} in a call", "{n} in a call", n),
        "busy": ngettext("{n} busy", "{n} busy", n),
        "on hold": ngettext("{n} on hold", "{n} on hold", n),
        "disconnected": ngettext("{n} disconnected", "{n} disconnected", n),
        "state unknown": ngettext("{n} state unknown", "{n} state unknown", n),
        "paused": ngettext("{n} paused", "{n} paused", n),
    }
    return forms[state].format(n=n)
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


def _filter_label(shown: str) -> str:
    """A filter as the reader reads it ("paused" → "en pausa"); a group stays "@group"."""
    labels = {"paused": pgettext("queue filter", "paused"),
              "offline": pgettext("queue filter", "offline"),
              "busy": pgettext("queue filter", "busy"),
              "available": pgettext("queue filter", "available")}
    return labels.get(shown, shown)
BUSY_STATES = frozenset({MemberState.IN_CALL, MemberState.BUSY, MemberState.RINGING,
                         MemberState.ON_HOLD})


@dataclass(frozen=True)
class BoardView:
    """What /queue was asked for: a filter (a state word or ``@group``) and a page."""

    filter: str | None = None
    page: int = 1


def parse_view(args: tuple[str, ...]) -> BoardView:
    # A filter or "page" in any language commands.words knows ("pàgina 2"); groups as typed.
    words = [a.lower() if a.startswith("@") else canonical(a) for a in args]
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
                raise UsageError(_("One filter at a time: paused, offline, busy, available "
                                   "or @group."))
            shown = word
        else:
            raise UsageError(_("I can't filter the board by {word}: use paused, offline, "
                               "busy, available, @group or page N.").format(word=repr(word)))
    return BoardView(shown, page)


def run_queue(ctx: Context, services: Services) -> Reply:
    view = parse_view(ctx.args)
    snapshot, _reconciled = sync_with_pbx(services)
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
                 else _("ext {extension} (nobody in Switchboard)").format(
                     extension=member.extension))
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
        sections.append(Section(title=_("Paused over the limit"), text="\n".join(
            f"{line.label}: {line.detail}" for line in over)))
    if disconnected:
        sections.append(Section(title=_("Disconnected"), text="\n".join(
            f"{line.label}: {line.detail}" for line in disconnected)))
    if missing:
        sections.append(Section(title=_("Expected but not in the queue"), rows=tuple(
            (f"{p.name} ({p.extension})", f"/add @{p.key}") for p in missing)))
    if waiting is not None and view.filter is None:
        sections.append(waiting)
    buttons = tuple(Button(label=_("Pause: {reason}").format(reason=r.code), command="pause",
                           args=r.code) for r in reasons[:COMMON_REASONS])
    sections.append(Section(buttons=(*buttons, Button(label=_("Resume"), command="resume"))))
    acted = {id(line) for line in (*over, *disconnected)}
    rest = sorted((line for line in lines if id(line) not in acted), key=_order)
    if len(lines) > PAGE_SIZE:
        sections.append(Section(title=_("By state"), rows=tuple(
            (_(state), str(n)) for state, n in _counts(lines).most_common())))
    pages = max(1, -(-len(rest) // PAGE_SIZE))
    page = min(view.page, pages)
    shown = rest[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    title = _("Queue {queue}").format(queue=queue) + (
        f" · {_filter_label(view.filter)}" if view.filter else "")
    if pages > 1:
        first = (page - 1) * PAGE_SIZE + 1
        title = _("{title} ({first}–{last} of {total})").format(
            title=title, first=first, last=first + len(shown) - 1, total=len(rest))
    more: tuple[Button, ...] = ()
    if page < pages:
        more = (Button(label=_("Page {page} of {pages}").format(page=page + 1, pages=pages),
                       command="queue",
                       args=" ".join(filter(None, (view.filter, f"page {page + 1}")))),)
    empty = _("Nobody is in the queue.") if not snapshot.statuses else \
        _("Nobody else.") if acted else _("Nobody matches.")
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
    """The member's state as an English label (translated where shown)."""
    return PAUSED_LABEL if member.paused else STATE_LABELS[member.state]


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
    summary = ", ".join(_counted(state, n) for state, n in counts.most_common())
    over = sum(1 for line in lines if line.over_limit)
    if over:
        summary += " " + ngettext("({n} over the pause limit)", "({n} over the pause limit)",
                                  over).format(n=over)
    n = len(lines)
    if view.filter:
        what = ngettext("Queue {queue}, {filter}: {n} member", "Queue {queue}, {filter}: {n} "
                        "members", n).format(queue=queue, filter=_filter_label(view.filter),
                                             n=n)
    else:
        what = ngettext("Queue {queue}: {n} member", "Queue {queue}: {n} members", n).format(
            queue=queue, n=n)
    text = what + (f" — {summary}" if summary else "") + "."
    if missing:
        text += " " + ngettext("{n} expected but not in the queue.",
                               "{n} expected but not in the queue.", len(missing)).format(
            n=len(missing))
    return text


def _describe(member: MemberStatus, logged: OpenRow | None,
              limits: dict[str, int | None], now: datetime) -> tuple[str, bool]:
    """The member's line, and whether their pause has run past its reason's limit."""
    over = False
    parts = [_(STATE_LABELS[member.state])]
    if member.paused:
        reason = (logged.reason if logged and logged.reason else None) or member.pause_reason
        since = member.paused_since or (logged.started_at if logged else None)
        shown = reason or _("no reason")
        if since is None:
            pause = _("paused: {reason}").format(reason=shown)
        else:
            seconds = activity.seconds_between(since, now)
            limit = limits.get(reason or "")
            over = bool(limit and seconds > limit * 60)
            if over:
                pause = _("paused: {reason} for {duration} (over the {limit} min limit)").format(
                    reason=shown, duration=duration(seconds), limit=limit)
            else:
                pause = _("paused: {reason} for {duration}").format(
                    reason=shown, duration=duration(seconds))
        parts.append(pause)
    calls = member.calls_taken
    parts.append(ngettext("{n} call, {duration} in calls", "{n} calls, {duration} in calls",
                          calls).format(n=calls, duration=duration(member.seconds_in_calls)))
    return " · ".join(parts), over


COMMAND = Command(
    name="queue",
    run=run_queue,
    summary=N_("The live queue board: who is available, in a call, paused, or missing"),
    usage="/queue [paused|offline|busy|available|@group] [page N]",
    aliases=("board", "queue status", "who is on the queue"),
)
