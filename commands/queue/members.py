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
from store.queue import activity
from store.queue.activity import PAUSE, SESSION
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
    """PBX remove, then close pause and session; returns what the reply adds."""
    try:
        services.pbx.remove_member(target.extension)
    except PbxError as exc:
        if exc.code == "not_member":
            # Not on the PBX: rows still open in the log had ended already.
            with transaction(services.sessions) as session:
                _close_both(session, target, services.clock.now(), None, None)
        raise explain(exc, target, services, ctx.now) from exc
    with transaction(services.sessions) as session:
        return _close_both(session, target, services.clock.now(), ctx.person.id, note)


def _close_both(session: Session, target: Target, at: datetime, by_id: int | None,
                note: str | None) -> str:
    pause = log_stop(session, target.person.id, PAUSE, at, by_id=by_id, note=note)
    stint = log_stop(session, target.person.id, SESSION, at, by_id=by_id, note=note)
    parts = []
    if stint is not None and stint.ended_at is not None:
        lasted = activity.seconds_between(stint.started_at, stint.ended_at)
        parts.append(f" after {duration(lasted)}")
    if pause is not None:
        parts.append(f"; the {pause.reason or 'open'} pause was ended too")
    return "".join(parts)


def run_login(ctx: Context, services: Services) -> Reply:
    if ctx.args:
        hint = " Coordinators add someone else with /add @person." if any(
            is_person_ref(a) for a in ctx.args) else ""
        raise UsageError(f"/login takes no arguments: it adds you to the queue.{hint}")
    with reading(services.sessions) as session:
        target = resolve_target(session, ctx, None, verb="add",
                                settings_contact=services.settings.access_contact)
    _join(ctx, services, target)
    return Reply(f"You are in the queue (extension {target.extension}): calls can ring now.")


def run_logout(ctx: Context, services: Services) -> Reply:
    if ctx.args and is_person_ref(ctx.args[0]):
        raise UsageError("/logout is for yourself; coordinators take someone out with "
                         f"/remove {ctx.args[0]}.")
    note = ctx.arg_text.strip() or None
    if note is None and services.settings.logout_reason_required:
        raise UsageError("A reason is required to log out, e.g. /logout doctor's appointment.")
    with reading(services.sessions) as session:
        target = resolve_target(session, ctx, None, verb="remove",
                                settings_contact=services.settings.access_contact)
    added = _leave(ctx, services, target, note)
    because = f" Reason: {note}." if note else ""
    return Reply(f"You are out of the queue{added}.{because}")


def run_add(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        target = resolve_target(session, ctx, one_person(session, ctx.args), verb="add",
                                settings_contact=services.settings.access_contact)
    _join(ctx, services, target)
    return Reply(f"{target.is_are} in the queue now (extension {target.extension}).")


def run_remove(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        target = resolve_target(session, ctx, one_person(session, ctx.args), verb="remove",
                                settings_contact=services.settings.access_contact)
    added = _leave(ctx, services, target, f"removed by {ctx.person.key}")
    return Reply(f"{target.is_are} out of the queue{added}.")


LOGIN = Command(
    name="login",
    run=run_login,
    summary="Join the queue on your extension",
    usage="/login",
    aliases=("log in", "log me in", "sign in"),
)

LOGOUT = Command(
    name="logout",
    run=run_logout,
    summary="Leave the queue (ends a pause too); a reason may be required",
    usage="/logout [reason]",
    aliases=("log out", "log me out", "sign out"),
)

ADD = Command(
    name="add",
    run=run_add,
    summary="Add someone's extension to the queue",
    usage="/add @person",
    role=Role.COORDINATOR,
)

REMOVE = Command(
    name="remove",
    run=run_remove,
    summary="Take someone's extension out of the queue (ends their pause too)",
    usage="/remove @person",
    role=Role.COORDINATOR,
)
