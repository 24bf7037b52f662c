"""Queue membership: /login and /logout for oneself, /add and /remove for coordinators.

Being a member of the queue is a session in the log (kind "session"); leaving it also
ends a pause still open.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from commands.core import Command, Context, Reply, Services, UsageError
from commands.format import duration
from commands.queue.activity_sync import log_start, log_stop
from commands.queue.target import Target, explain, resolve_target
from commands.refs import is_person_ref, one_person
from integrations.pbx import PbxError
from store.db import reading, transaction
from store.i18n import N_, _
from store.queue import activity
from store.queue.activity import PAUSE, SESSION, reason_name
from store.team.people import Role


def _join(ctx: Context, services: Services, target: Target) -> None:
    """PBX add, then open the session (an already-member gets a session if the log lacks one)."""
    before = services.clock.now()
    try:
        services.pbx.add_member(target.extension)
    except PbxError as exc:
        if exc.code == "already_member":
            with transaction(services.sessions) as session:
                activity.lock_person(session, target.person.id)
                if activity.open_activity(session, target.person.id, SESSION) is None:
                    activity.start(session, target.person.id, SESSION, before, source="pbx")
        raise explain(exc, target, services, before) from exc
    with transaction(services.sessions) as session:
        log_start(session, target.person.id, SESSION, services.clock.now(), since=before,
                  by_id=ctx.person.id, source="chat")


def _leave(ctx: Context, services: Services, target: Target, note: str | None) -> str:
    """PBX remove, then close pause and session; returns the reply's sentence ("You are
    out of the queue after 3 h 05 min; the lunch pause was ended too.")."""
    try:
        services.pbx.remove_member(target.extension)
    except PbxError as exc:
        if exc.code == "not_member":
            # Not on the PBX: rows still open in the log had ended already.
            with transaction(services.sessions) as session:
                _close_both(session, target, services.clock.now(), None, None)
        raise explain(exc, target, services, ctx.now) from exc
    with transaction(services.sessions) as session:
        lasted, pause = _close_both(session, target, services.clock.now(), ctx.person.id,
                                    note)
    # Whole sentences: (how long, which pause) → yours, theirs.
    if pause is None:
        key = "after" if lasted else "plain"
    else:
        key = ("after " if lasted else "") + ("reason" if pause else "open")
    yours, theirs = _OUT[key]
    return target.says(yours, theirs, duration=lasted, reason=pause)


_OUT = {
    "plain": (N_("You are out of the queue."), N_("{name} is out of the queue.")),
    "after": (N_("You are out of the queue after {duration}."),
              N_("{name} is out of the queue after {duration}.")),
    "reason": (N_("You are out of the queue; the {reason} pause was ended too."),
               N_("{name} is out of the queue; the {reason} pause was ended too.")),
    "open": (N_("You are out of the queue; the open pause was ended too."),
             N_("{name} is out of the queue; the open pause was ended too.")),
    "after reason": (N_("You are out of the queue after {duration}; the {reason} pause was "
                        "ended too."),
                     N_("{name} is out of the queue after {duration}; the {reason} pause was "
                        "ended too.")),
    "after open": (N_("You are out of the queue after {duration}; the open pause was ended "
                      "too."),
                   N_("{name} is out of the queue after {duration}; the open pause was ended "
                      "too.")),
}


def _close_both(session: Session, target: Target, at: datetime, by_id: int | None,
                note: str | None) -> tuple[str | None, str | None]:
    """Close the pause and the session: how long the session lasted ("3 h 05 min") and the
    reason of the pause ended with it ("" for one without a reason), each None if none."""
    pause = log_stop(session, target.person.id, PAUSE, at, by_id=by_id, note=note)
    stint = log_stop(session, target.person.id, SESSION, at, by_id=by_id, note=note)
    lasted = None
    if stint is not None and stint.ended_at is not None:
        lasted = duration(activity.seconds_between(stint.started_at, stint.ended_at))
    return lasted, None if pause is None else reason_name(pause.reason or "")


def run_login(ctx: Context, services: Services) -> Reply:
    if ctx.args:
        if any(is_person_ref(a) for a in ctx.args):
            raise UsageError(_("/login takes no arguments: it adds you to the queue. "
                               "Coordinators add someone else with /add @person."))
        raise UsageError(_("/login takes no arguments: it adds you to the queue."))
    with reading(services.sessions) as session:
        target = resolve_target(session, ctx, None, verb="add",
                                settings_contact=services.settings.access_contact)
    _join(ctx, services, target)
    return Reply(_("You are in the queue (extension {extension}): calls can ring now.").format(
        extension=target.extension))


def run_logout(ctx: Context, services: Services) -> Reply:
    if ctx.args and is_person_ref(ctx.args[0]):
        raise UsageError(_("/logout is for yourself; coordinators take someone out with "
                           "/remove {person}.").format(person=ctx.args[0]))
    note = ctx.arg_text.strip() or None
    if note is None and services.settings.logout_reason_required:
        raise UsageError(_("A reason is required to log out, e.g. /logout doctor's "
                           "appointment."))
    with reading(services.sessions) as session:
        target = resolve_target(session, ctx, None, verb="remove",
                                settings_contact=services.settings.access_contact)
    said = _leave(ctx, services, target, note)
    if note:
        said += " " + _("Reason: {note}.").format(note=note)
    return Reply(said)


def run_add(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        target = resolve_target(session, ctx, one_person(session, ctx.args), verb="add",
                                settings_contact=services.settings.access_contact)
    _join(ctx, services, target)
    return Reply(target.says(N_("You are in the queue now (extension {extension})."),
                             N_("{name} is in the queue now (extension {extension})."),
                             extension=target.extension))


def run_remove(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        target = resolve_target(session, ctx, one_person(session, ctx.args), verb="remove",
                                settings_contact=services.settings.access_contact)
    return Reply(_leave(ctx, services, target, f"removed by {ctx.person.key}"))


LOGIN = Command(
    name="login",
    run=run_login,
    summary=N_("Join the queue on your extension"),
    usage="/login",
    aliases=("log in", "log me in", "sign in"),
)

LOGOUT = Command(
    name="logout",
    run=run_logout,
    summary=N_("Leave the queue (ends a pause too); a reason may be required"),
    usage="/logout [reason]",
    aliases=("log out", "log me out", "sign out"),
)

ADD = Command(
    name="add",
    run=run_add,
    summary=N_("Add someone's extension to the queue"),
    usage="/add @person",
    role=Role.COORDINATOR,
)

REMOVE = Command(
    name="remove",
    run=run_remove,
    summary=N_("Take someone's extension out of the queue (ends their pause too)"),
    usage="/remove @person",
    role=Role.COORDINATOR,
)
