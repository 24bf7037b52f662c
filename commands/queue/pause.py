"""/pause and /resume: the asker's own extension, or (coordinators) anyone's.

The PBX is asked first and the log written after, so a refused or failed PBX call
leaves no pause in the log; the dispatcher tells the asker it did NOT happen.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from commands.core import Button, Command, Context, Reply, Section, Services, UsageError
from commands.format import duration
from commands.queue.activity_sync import log_start, log_stop
from commands.queue.target import Target, explain, reason_limits, resolve_target
from commands.refs import split_person
from integrations.pbx import PbxError
from store.db import reading, transaction
from store.queue import activity
from store.queue.activity import PAUSE, PauseReason

# What "/pause" with no reason means. If an import drops "break", the first reason is used.
DEFAULT_REASON = "break"
# Words people put around the reason: "pause me for lunch", "pausa para comer".
_FILLERS = frozenset({"for", "a", "an", "my", "the", "on", "to", "de", "para", "la", "el", "mi"})


def run_pause(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        person, words = split_person(session, ctx.args)
        target = resolve_target(session, ctx, person, verb="pause",
                                settings_contact=services.settings.access_contact)
        reason = choose_reason(session, words)
        code, limit = reason.code, reason.max_minutes
    before = services.clock.now()
    try:
        services.pbx.pause(target.extension, code)
    except PbxError as exc:
        raise explain(exc, target, services, before) from exc
    with transaction(services.sessions) as session:
        log_start(session, target.person.id, PAUSE, services.clock.now(), since=before,
                  by_id=ctx.person.id, reason=code, source="chat")
    who = "Paused" if target.is_self else f"{target.first_name} paused"
    text = f"{who}: {code}" + (f" (max {limit} min)." if limit else ".")
    return Reply(text, (resume_section(target),))


def resume_section(target: Target) -> Section:
    return Section(buttons=(Button(label="Resume", command="resume", args=target.button_args),))


def choose_reason(session: Session, words: Sequence[str]) -> PauseReason:
    """The reason named by the words (a code or alias), or the default for none."""
    known = activity.reasons(session)
    if not known:
        raise UsageError("There are no pause reasons configured; ask an admin to import them "
                         "(switchboard pause-reasons import FILE).")
    meaningful = [w for w in words if w.casefold() not in _FILLERS]
    if not meaningful:
        return next((r for r in known if r.code == DEFAULT_REASON), known[0])
    for candidate in (" ".join(words), " ".join(meaningful)):
        found = activity.find_reason(session, candidate)
        if found is not None:
            return found
    if len(meaningful) == 1:
        raise UsageError(f"I don't know the pause reason {meaningful[0]!r}. "
                         f"Reasons: {reason_limits(known)}.")
    raise UsageError(f"Give one pause reason, not {' '.join(meaningful)!r}. "
                     f"Reasons: {reason_limits(known)}.")


def run_resume(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        person, words = split_person(session, ctx.args)
        if words:
            # "back in 5" must not resume anyone: only a person may follow.
            raise UsageError(f"I didn't understand {' '.join(words)!r}; /resume takes no "
                             "reason, only an optional @person.")
        target = resolve_target(session, ctx, person, verb="resume",
                                settings_contact=services.settings.access_contact)
    try:
        services.pbx.resume(target.extension)
    except PbxError as exc:
        if exc.code == "not_paused":
            # The PBX is the truth: a pause still open in the log had ended already.
            with transaction(services.sessions) as session:
                log_stop(session, target.person.id, PAUSE, services.clock.now(), by_id=None)
        raise explain(exc, target, services, ctx.now) from exc
    with transaction(services.sessions) as session:
        row = log_stop(session, target.person.id, PAUSE, services.clock.now(),
                       by_id=ctx.person.id)
        lasted = "" if row is None or row.ended_at is None else (
            f" after {duration(activity.seconds_between(row.started_at, row.ended_at))}"
            f" ({row.reason or 'no reason'})")
    who = "Resumed" if target.is_self else f"{target.first_name} resumed"
    return Reply(f"{who}{lasted}: taking calls again.")


PAUSE_COMMAND = Command(
    name="pause",
    run=run_pause,
    summary="Pause yourself in the queue (no reason means break); coordinators: anyone",
    usage="/pause [@person] [reason]",
    aliases=("pause me", "i'm on a break", "i am on a break", "break time", "on break"),
)

RESUME_COMMAND = Command(
    name="resume",
    run=run_resume,
    summary="End your pause and take calls again; coordinators: anyone's",
    usage="/resume [@person]",
    aliases=("back", "i'm back", "i am back", "reanudar"),
)
