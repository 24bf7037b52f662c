"""/plan, for coordinators: make a week's draft in the background, show it, publish it
(after a confirmation button), explain one person's turns.

- ``/plan next week`` (or ``/plan this week``, ``/plan 2026-12-14``; "la setmana vinent",
  "esta semana", "próxima semana" too) answers at once and solves in a background thread;
  the summary card comes as a DM to the asker when done, in their language, with a button
  to publish.
- ``/plan show [WEEK]``, ``/plan publish [WEEK]`` (asks first: ``/plan publish WEEK
  confirm`` does it), ``/plan explain @person [WEEK]``. WEEK defaults to next week.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, timedelta

from commands.core import (
    Button,
    Command,
    CommandError,
    Context,
    Reply,
    Section,
    Services,
    UsageError,
    person_target,
)
from commands.refs import split_person
from commands.shifts.planning.drafts import (
    explain_person,
    load_draft,
    make_draft,
    publish,
    summary_card,
)
from commands.shifts.planning.inputs import Options
from commands.words import canonical, is_filler
from store import i18n
from store.db import reading, transaction
from store.i18n import N_, _
from store.shifts.timetable_io import parse_date
from store.team.people import Person, Role

log = logging.getLogger(__name__)

# The background solves still running; tests and the console wait for them with ``wait``.
_running: list[threading.Thread] = []
_lock = threading.Lock()


def start(work: Callable[[], None], name: str) -> threading.Thread:
    thread = threading.Thread(target=work, name=name, daemon=True)
    with _lock:
        _running[:] = [t for t in _running if t.is_alive()]
        _running.append(thread)
    thread.start()
    return thread


def wait(timeout: float | None = None) -> bool:
    """Wait for every background plan; True when none is left running."""
    with _lock:
        threads = list(_running)
    for thread in threads:
        thread.join(timeout)
    return not any(t.is_alive() for t in threads)


def _week(words: list[str], today: date) -> date:
    """The Monday of the week ``words`` name: next week (also by default), this week, or
    the week of a date; the words in any language ("la setmana vinent", "esta semana")."""
    text = " ".join(w.lower() for w in words)
    meant = {canonical(w) for w in words if not is_filler(w)}
    if not meant or meant in ({"next", "week"}, {"next"}):
        day = today + timedelta(days=7)
    elif meant in ({"this", "week"}, {"week"}, {"this"}):
        day = today
    elif (parsed := parse_date(text)) is not None:
        day = parsed
    else:
        raise UsageError(_("I can't read {text} as a week: use next week, this week or "
                           "YYYY-MM-DD.").format(text=repr(text)))
    return day - timedelta(days=day.weekday())


def run(ctx: Context, services: Services) -> Reply:
    today = ctx.now.astimezone(services.settings.timezone).date()
    words = list(ctx.args)
    action = canonical(words[0]) if words else ""  # its words in any language, too
    if action == "show":
        return _show(services, _week(words[1:], today))
    if action == "publish":
        confirm = bool(words) and canonical(words[-1]) == "confirm"
        rest = words[1:-1] if confirm else words[1:]
        return _publish(ctx, services, _week(rest, today), confirm)
    if action == "explain":
        return _explain(ctx, services, words[1:], today)
    monday = _week(words, today)
    return _start(ctx, services, monday)


def _start(ctx: Context, services: Services, monday: date) -> Reply:
    asker = ctx.person
    iso = f"{monday:%Y-%m-%d}"
    # The thread does not inherit the dispatcher's language: the asker's goes with it.
    language = i18n.current()

    def work() -> None:
        with i18n.speaking(language):
            try:
                summary = make_draft(services, monday, Options(), asker.id)
                card = summary_card(summary)
                reply = Reply(card.text, (*card.sections, Section(buttons=(
                    Button(_("Publish"), "plan", f"publish {iso}"),
                    Button(_("Show"), "plan", f"show {iso}")))), private=True)
                key = f"plan-done:{iso}:{summary.get('serial', 0)}"
            except Exception as exc:  # the asker hears of any failure, not just the log
                log.exception("planning the week of %s failed", iso)
                reply = Reply(_("Planning the week of {week} failed: {error}").format(
                    week=iso, error=exc), private=True)
                key = f"plan-failed:{iso}:{ctx.now.timestamp():.0f}"
            _tell(services, asker, reply, key)

    start(work, f"plan-{iso}")
    return Reply(_("Planning the week of {week} in the background; I will send you the "
                   "summary when it is done.").format(week=i18n.day(monday)), private=True)


def _tell(services: Services, person: Person, reply: Reply, key: str) -> None:
    with transaction(services.sessions) as session:
        services.notifier.send(session, person_target(person), reply, key=key)


def _show(services: Services, monday: date) -> Reply:
    with reading(services.sessions) as session:
        row = load_draft(session, monday)
        summary = dict(row.summary)
        published = row.published_at
    card = summary_card(summary)
    text = _("{summary} (published)").format(summary=card.text) if published else card.text
    iso = f"{monday:%Y-%m-%d}"
    return Reply(text, (*card.sections, Section(buttons=(
        Button(_("Publish"), "plan", f"publish {iso}"),))), private=True)


def _publish(ctx: Context, services: Services, monday: date, confirm: bool) -> Reply:
    iso = f"{monday:%Y-%m-%d}"
    if not confirm:
        with reading(services.sessions) as session:
            row = load_draft(session, monday)
            status = row.summary.get("status")
        if status not in ("optimal", "feasible"):
            raise CommandError(_("The draft of the week of {week} has no plan ({status}).")
                               .format(week=iso, status=status))
        return Reply(_("Publish the draft of the week of {week}? It replaces that week's "
                       "timetable (turns already begun keep theirs), and everyone in it gets "
                       "their turns.").format(week=i18n.day(monday)),
                     (Section(buttons=(Button(_("Publish"), "plan",
                                              f"publish {iso} confirm"),)),),
                     private=True)
    report = publish(services, monday, ctx.person.id)
    return Reply(report.text(), private=True)


def _explain(ctx: Context, services: Services, words: list[str], today: date) -> Reply:
    with reading(services.sessions) as session:
        person, rest = split_person(session, words)
        if person is None:
            raise UsageError(_("Name the person: /plan explain @alice [next week]."))
        monday = _week(rest, today)
        row = load_draft(session, monday)
        text = explain_person(row.summary, person.key)
    return Reply(text, private=True)


COMMAND = Command(
    name="plan",
    run=run,
    summary=N_("Plan a week with the solver; show, publish or explain the draft"),
    usage="/plan [next week|this week|DATE] | /plan show|publish [WEEK] | "
          "/plan explain @person [WEEK]",
    role=Role.COORDINATOR,
)
