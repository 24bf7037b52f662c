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
from commands.words import fold, is_filler
from integrations.pbx import PbxError
from store.db import reading, transaction
from store.i18n import N_, _
from store.queue import activity
from store.queue.activity import PAUSE, PauseReason, reason_name

# What "/pause" with no reason means. If an import drops "break", the first reason is used.
DEFAULT_REASON = "break"
# Words people put around the reason: "pause me for lunch", "pausa para comer", "pausa'm
# per dinar", "pausar pra almoçar"; besides these, every language's small words
# (commands.words.FILLERS: "per", "para", "pra", "for"…).
_FILLERS = frozenset({"an", "my", "mi", "em", "meu", "minha", "la", "una", "um", "uma"})
_EDGES = "?!.,:;¿¡\"“”"


def run_pause(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        person, words = split_person(session, ctx.args)
        target = resolve_target(session, ctx, person, verb="pause",
                                settings_contact=services.settings.access_contact)
        reason = (choose_reason(session, words) if words
                  else _named_in_phrase(session, ctx) or choose_reason(session, ()))
        code, limit = reason.code, reason.max_minutes
    before = services.clock.now()
    try:
        services.pbx.pause(target.extension, code)
    except PbxError as exc:
        raise explain(exc, target, services, before) from exc
    with transaction(services.sessions) as session:
        log_start(session, target.person.id, PAUSE, services.clock.now(), since=before,
                  by_id=ctx.person.id, reason=code, source="chat")
    if limit:
        text = target.says(N_("Paused: {reason} (max {minutes} min)."),
                           N_("{name} paused: {reason} (max {minutes} min)."),
                           reason=reason_name(code), minutes=limit)
    else:
        text = target.says(N_("Paused: {reason}."), N_("{name} paused: {reason}."),
                           reason=reason_name(code))
    return Reply(text, (resume_section(target),))


def resume_section(target: Target) -> Section:
    return Section(buttons=(Button(label=_("Resume"), command="resume",
                                   args=target.button_args),))


def _named_in_phrase(session: Session, ctx: Context) -> PauseReason | None:
    """The reason a phrase without arguments names by its last word ("me'n vaig a dinar",
    "vou almoçar", "me voy a comer"), if that word is one; else None (the default)."""
    said = ctx.text.split()
    if ctx.args or len(said) < 2:
        return None
    return _find_reason(activity.reasons(session), said[-1].strip(_EDGES))


def choose_reason(session: Session, words: Sequence[str]) -> PauseReason:
    """The reason named by the words (a code or alias), or the default for none."""
    known = activity.reasons(session)
    if not known:
        raise UsageError(_("There are no pause reasons configured; ask an admin to import "
                           "them (switchboard pause-reasons import FILE)."))
    meaningful = [w for w in words if not _is_filler(w)]
    if not meaningful:
        return next((r for r in known if r.code == DEFAULT_REASON), known[0])
    leading = list(words)
    while leading and _is_filler(leading[0]):
        leading.pop(0)  # "per dinar", "para o almoço": the reason may be several words
    for candidate in (words, leading, meaningful):
        found = _find_reason(known, " ".join(candidate))
        if found is not None:
            return found
    if len(meaningful) == 1:
        raise UsageError(_("I don't know the pause reason {reason}. Reasons: {reasons}.").format(
            reason=repr(meaningful[0]), reasons=reason_limits(known)))
    raise UsageError(_("Give one pause reason, not {words}. Reasons: {reasons}.").format(
        words=repr(" ".join(meaningful)), reasons=reason_limits(known)))


def _is_filler(word: str) -> bool:
    return is_filler(word) or fold(word) in _FILLERS


def _find_reason(known: Sequence[PauseReason], said: str) -> PauseReason | None:
    """The reason whose code or alias is ``said``, ignoring case and accents ("almoco" is
    "almoço")."""
    wanted = fold(said.strip())
    return next((r for r in known if wanted == fold(r.code)
                 or wanted in (fold(a) for a in r.aliases)), None)


def run_resume(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        person, words = split_person(session, ctx.args)
        if words:
            # "back in 5" must not resume anyone: only a person may follow.
            raise UsageError(_("I didn't understand {words}; /resume takes no reason, only "
                               "an optional @person.").format(words=repr(" ".join(words))))
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
        if row is None or row.ended_at is None:
            return Reply(target.says(N_("Resumed: taking calls again."),
                                     N_("{name} resumed: taking calls again.")))
        lasted = duration(activity.seconds_between(row.started_at, row.ended_at))
        reason = reason_name(row.reason) if row.reason else _("no reason")
    return Reply(target.says(N_("Resumed after {duration} ({reason}): taking calls again."),
                             N_("{name} resumed after {duration} ({reason}): taking calls "
                                "again."), duration=lasted, reason=reason))


PAUSE_COMMAND = Command(
    name="pause",
    run=run_pause,
    summary=N_("Pause yourself in the queue (no reason means break); coordinators: anyone"),
    usage="/pause [@person] [reason]",
    aliases=("pause me", "i'm on a break", "i am on a break", "break time", "on break"),
)

RESUME_COMMAND = Command(
    name="resume",
    run=run_resume,
    summary=N_("End your pause and take calls again; coordinators: anyone's"),
    usage="/resume [@person]",
    aliases=("back", "i'm back", "i am back", "reanudar"),
)
