"""What the queue commands share: whose extension, and what the PBX's refusals mean."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from commands.core import CommandError, Context, Denied, Services
from commands.format import clock_time, first_name
from integrations.errors import IntegrationError
from integrations.pbx import PbxError
from store.db import reading
from store.i18n import N_, _
from store.queue import activity
from store.queue.activity import PAUSE, reason_name
from store.team import people
from store.team.people import Person, Role


@dataclass(frozen=True)
class Target:
    """The person a queue command acts on, seen from the asker."""

    person: Person
    extension: str
    is_self: bool

    @property
    def first_name(self) -> str:
        return first_name(self.person)

    def says(self, yours: str, theirs: str, **values: object) -> str:
        """One of two whole sentences, in the reader's language: ``yours`` when the asker
        acts on themselves ("You are not paused."), ``theirs`` naming the person by first
        name (``{name}``) otherwise. Both are message ids marked with ``N_``."""
        if self.is_self:
            return _(yours).format(**values)
        return _(theirs).format(name=self.first_name, **values)

    @property
    def mention(self) -> str:
        return f"@{self.person.key}"

    @property
    def button_args(self) -> str:
        """Arguments a button needs to act on this person ("" for the asker)."""
        return "" if self.is_self else self.mention


def resolve_target(session: Session, ctx: Context, person: Person | None, *,
                   settings_contact: str, verb: str) -> Target:
    """The asker, or (coordinators only) someone else; it must have an extension.

    ``verb`` is what the PBX would be asked: pause, resume, add, remove.
    """
    asker = ctx.person
    target = person or asker
    is_self = target.id == asker.id
    if not is_self and not ctx.role.allows(Role.COORDINATOR):
        raise Denied(_(_DENIED[verb]).format(role=ctx.role.with_article, command=ctx.command))
    if not target.extension:
        who = who_sets_extensions(session, settings_contact)
        if is_self:
            raise CommandError(_(_NO_EXTENSION[verb][0]).format(who=who))
        raise CommandError(_(_NO_EXTENSION[verb][1]).format(name=first_name(target), who=who))
    return Target(target, target.extension, is_self)


# Per verb, whole sentences (translators need them whole).
_DENIED = {
    "pause": N_("Only coordinators can pause someone else; you are {role}. Try /{command} on "
                "its own for yourself."),
    "resume": N_("Only coordinators can resume someone else; you are {role}. Try /{command} "
                 "on its own for yourself."),
    "add": N_("Only coordinators can add someone else; you are {role}. Try /{command} on its "
              "own for yourself."),
    "remove": N_("Only coordinators can remove someone else; you are {role}. Try /{command} "
                 "on its own for yourself."),
}
_NO_EXTENSION = {
    "pause": (N_("You have no extension in Switchboard, so I can't ask the PBX to pause you. "
                 "Ask {who} to set it."),
              N_("{name} has no extension in Switchboard, so I can't ask the PBX to pause "
                 "{name}. Ask {who} to set it.")),
    "resume": (N_("You have no extension in Switchboard, so I can't ask the PBX to resume "
                  "you. Ask {who} to set it."),
               N_("{name} has no extension in Switchboard, so I can't ask the PBX to resume "
                  "{name}. Ask {who} to set it.")),
    "add": (N_("You have no extension in Switchboard, so I can't ask the PBX to add you. "
               "Ask {who} to set it."),
            N_("{name} has no extension in Switchboard, so I can't ask the PBX to add {name}. "
               "Ask {who} to set it.")),
    "remove": (N_("You have no extension in Switchboard, so I can't ask the PBX to remove "
                  "you. Ask {who} to set it."),
               N_("{name} has no extension in Switchboard, so I can't ask the PBX to remove "
                  "{name}. Ask {who} to set it.")),
}


def who_sets_extensions(session: Session, contact: str) -> str:
    if contact:
        return contact
    admins = people.with_role(session, Role.ADMIN)
    if not admins:
        return _("your Switchboard administrator")
    return _("an admin ({names})").format(names=", ".join(a.name for a in admins))


# --------------------------------------------------------------------------- PBX refusals


def explain(exc: PbxError, target: Target, services: Services, now: datetime) -> Exception:
    """A PBX refusal in the asker's terms; unknown codes go back to the dispatcher as they are."""
    if exc.code == "already_paused":
        return CommandError(_already_paused(target, services, now))
    if exc.code == "not_paused":
        return CommandError(target.says(N_("You are not paused."), N_("{name} is not paused.")))
    if exc.code == "not_member":
        return CommandError(target.says(
            N_("You are not in the queue — /login first."),
            N_("{name} is not in the queue — /add {mention} first."), mention=target.mention))
    if exc.code == "already_member":
        return CommandError(target.says(N_("You are already in the queue."),
                                        N_("{name} is already in the queue.")))
    if exc.code == "unknown_extension":
        return CommandError(target.says(
            N_("Extension {extension} does not exist on the PBX. Ask an admin to check your "
               "extension in Switchboard."),
            N_("Extension {extension} does not exist on the PBX. Ask an admin to check "
               "{name}'s extension in Switchboard."), extension=target.extension))
    return exc


def _already_paused(target: Target, services: Services, now: datetime) -> str:
    """"You are already paused (lunch since 10:02)." with what the log says, else the
    PBX, else nothing more."""
    reason, since = _pause_detail(target, services, now)
    if reason is None:
        return target.says(N_("You are already paused."), N_("{name} is already paused."))
    if since is None:
        return target.says(N_("You are already paused ({reason})."),
                           N_("{name} is already paused ({reason})."), reason=reason)
    return target.says(N_("You are already paused ({reason} since {time})."),
                       N_("{name} is already paused ({reason} since {time})."),
                       reason=reason, time=since)


def _pause_detail(target: Target, services: Services,
                  now: datetime) -> tuple[str | None, str | None]:
    """The open pause's reason and since when (10:02), from the log, else from the PBX,
    else (None, None)."""
    tz = services.settings.timezone
    with reading(services.sessions) as session:
        row = activity.open_activity(session, target.person.id, PAUSE)
        if row is not None:
            said = reason_name(row.reason) if row.reason else _("no reason")
            return said, clock_time(row.started_at, tz, now)
    try:
        status = next((m for m in services.pbx.queue_status()
                       if m.extension == target.extension), None)
    except IntegrationError:  # the detail is a courtesy; the refusal stands without it
        return None, None
    if status is None or not status.paused:
        return None, None
    since = None if status.paused_since is None else clock_time(status.paused_since, tz, now)
    return status.pause_reason or _("no reason"), since


# --------------------------------------------------------------------------- time


def reason_limits(reasons: Sequence[activity.PauseReason]) -> str:
    """"break (max 15 min), lunch (max 60 min), training, …" for usage messages."""
    return ", ".join(_("{reason} (max {minutes} min)").format(reason=r.code,
                                                              minutes=r.max_minutes)
                     if r.max_minutes else r.code for r in reasons)
