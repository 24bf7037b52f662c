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
from store.queue import activity
from store.queue.activity import PAUSE
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

    @property
    def is_are(self) -> str:
        """"You are" / "Bruno is", to start a sentence."""
        return "You are" if self.is_self else f"{self.first_name} is"

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
        raise Denied(f"Only coordinators can {verb} someone else; you are "
                     f"{ctx.role.with_article}. Try /{ctx.command} on its own for yourself.")
    if not target.extension:
        whose = "You have" if is_self else f"{first_name(target)} has"
        obj = "you" if is_self else first_name(target)
        raise CommandError(f"{whose} no extension in Switchboard, so I can't ask the PBX to "
                           f"{verb} {obj}. Ask {who_sets_extensions(session, settings_contact)} "
                           "to set it.")
    return Target(target, target.extension, is_self)


def who_sets_extensions(session: Session, contact: str) -> str:
    if contact:
        return contact
    admins = people.with_role(session, Role.ADMIN)
    if not admins:
        return "your Switchboard administrator"
    return "an admin (" + ", ".join(a.name for a in admins) + ")"


# --------------------------------------------------------------------------- PBX refusals


def explain(exc: PbxError, target: Target, services: Services, now: datetime) -> Exception:
    """A PBX refusal in the asker's terms; unknown codes go back to the dispatcher as they are."""
    if exc.code == "already_paused":
        detail = _pause_detail(target, services, now)
        return CommandError(f"{target.is_are} already paused{detail}.")
    if exc.code == "not_paused":
        return CommandError(f"{target.is_are} not paused.")
    if exc.code == "not_member":
        hint = "/login first" if target.is_self else f"/add {target.mention} first"
        return CommandError(f"{target.is_are} not in the queue — {hint}.")
    if exc.code == "already_member":
        return CommandError(f"{target.is_are} already in the queue.")
    if exc.code == "unknown_extension":
        whose = "your" if target.is_self else f"{target.first_name}'s"
        return CommandError(f"Extension {target.extension} does not exist on the PBX. "
                            f"Ask an admin to check {whose} extension in Switchboard.")
    return exc


def _pause_detail(target: Target, services: Services, now: datetime) -> str:
    """" (lunch since 10:02)" from the log, else from the PBX, else nothing."""
    tz = services.settings.timezone
    with reading(services.sessions) as session:
        row = activity.open_activity(session, target.person.id, PAUSE)
        if row is not None:
            return f" ({row.reason or 'no reason'} since {clock_time(row.started_at, tz, now)})"
    try:
        status = next((m for m in services.pbx.queue_status()
                       if m.extension == target.extension), None)
    except IntegrationError:  # the detail is a courtesy; the refusal stands without it
        return ""
    if status is None or not status.paused:
        return ""
    parts = [status.pause_reason or "no reason"]
    if status.paused_since is not None:
        parts.append(f"since {clock_time(status.paused_since, tz, now)}")
    return f" ({' '.join(parts)})"


# --------------------------------------------------------------------------- time


def reason_limits(reasons: Sequence[activity.PauseReason]) -> str:
    """"break (max 15 min), lunch (max 60 min), training, …" for usage messages."""
    return ", ".join(f"{r.code} (max {r.max_minutes} min)" if r.max_minutes else r.code
                     for r in reasons)
