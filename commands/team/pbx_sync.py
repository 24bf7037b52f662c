"""Keep the PBX's users and extensions in line with the people list (``pbx sync``).

The people list is the truth: every active person with an extension should have that
extension on the PBX, under their name (and email, where the PBX keeps one). The PBX's
other extensions are free: the backend's own mark of "nobody" (see ``PbxUser.free``).
The differences are:

- **rename**: the extension exists with another name (or email);
- **free**: the extension is named but nobody active has it any more;
- **create**: a person's extension does not exist; only a PBX that ``can_create``
  makes it, the others are told so.

Nothing changes without ``--apply`` (the CLI) or the Apply button (``/pbx sync``, admins).
Applying never touches an extension that is in a call, ringing or on hold at that moment:
the change is left for the next run and the reply says so. Each change made is audited,
and a summary goes to the admins by DM.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

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
from integrations.errors import IntegrationError
from integrations.pbx.base import MemberState, PbxError, PbxUser, UserSync
from store.db import reading, transaction
from store.team import audit, people
from store.team.audit import AuditEntry
from store.team.people import Role

RENAME, FREE, CREATE = "rename", "free", "create"
BUSY = frozenset({MemberState.IN_CALL, MemberState.RINGING, MemberState.ON_HOLD,
                  MemberState.BUSY})


@dataclass(frozen=True)
class Change:
    kind: str  # rename | free | create
    extension: str
    name: str  # the new name ("" to free)
    email: str | None = None
    was: str | None = None  # the PBX's name before

    def describe(self) -> str:
        if self.kind == RENAME:
            return f"rename {self.extension}: {self.was or '(no name)'} → {self.name}"
        if self.kind == FREE:
            return f"free {self.extension} (was {self.was})"
        return f"create {self.extension} for {self.name}"


@dataclass
class SyncPlan:
    backend: str
    changes: list[Change] = field(default_factory=list)
    cannot: list[str] = field(default_factory=list)  # what this PBX cannot do, and why


@dataclass
class SyncResult:
    done: list[Change] = field(default_factory=list)
    in_call: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, str]] = field(default_factory=list)


def syncer(services: Services) -> UserSync:
    pbx = services.pbx
    if not all(hasattr(pbx, name) for name in ("users", "stored_as", "set_user", "free_user")):
        raise CommandError(f"The {pbx.name} PBX offers no way to keep its users in line.")
    return pbx  # type: ignore[return-value]


def plan_sync(services: Services) -> SyncPlan:
    """The differences between the people list and the PBX's users (reads only)."""
    pbx = syncer(services)
    try:
        listed = {u.extension: u for u in pbx.users()}
    except PbxError as exc:
        if exc.code == "unsupported":
            raise CommandError(exc.message) from None
        raise
    with reading(services.sessions) as session:
        wanted = {p.extension: p for p in people.all_people(session, active_only=True)
                  if p.extension}
    plan = SyncPlan(pbx.name)
    for extension in sorted(wanted):
        person = wanted[extension]
        user = listed.get(extension)
        email = person.email or None
        if user is None:
            if pbx.can_create:
                plan.changes.append(Change(CREATE, extension, person.name, email))
            else:
                plan.cannot.append(f"{person.name}'s extension {extension} does not exist on "
                                   f"the PBX, and {pbx.name} cannot create extensions")
        elif (user.name, user.email) != _named(pbx.stored_as(extension, person.name, email)):
            plan.changes.append(Change(RENAME, extension, person.name, email, user.name))
    for extension in sorted(set(listed) - set(wanted)):
        user = listed[extension]
        if not user.free:
            plan.changes.append(Change(FREE, extension, "", None, user.name))
    return plan


def _named(user: PbxUser) -> tuple[str, str | None]:
    return user.name, user.email


def apply_sync(services: Services, plan: SyncPlan, actor: str) -> SyncResult:
    """Make the changes, leaving alone any extension in a call now; each one audited."""
    pbx = syncer(services)
    result = SyncResult()
    try:
        busy = {s.extension for s in services.pbx.queue_status() if s.state in BUSY}
    except IntegrationError as exc:
        raise CommandError(f"I could not ask the PBX who is in a call ({exc.message}), so "
                           "I changed nothing.") from None
    for change in plan.changes:
        if change.extension in busy:
            result.in_call.append(change)
            continue
        started = time.monotonic()
        try:
            if change.kind == FREE:
                pbx.free_user(change.extension)
            else:
                pbx.set_user(change.extension, change.name, change.email)
        except IntegrationError as exc:
            result.failed.append((change, exc.message))
            _audit(services, change, actor, "failed", exc.message, started)
            continue
        result.done.append(change)
        _audit(services, change, actor, "ok", None, started)
    _tell_admins(services, plan, result)
    return result


def _audit(services: Services, change: Change, actor: str, outcome: str, why: str | None,
           started: float) -> None:
    with transaction(services.sessions) as session:
        person = people.by_key(session, actor.removeprefix("person:"))
        audit.record(session, AuditEntry(
            at=services.clock.now(), person_id=person.id if person else None,
            platform="pbx-sync", user_ref=actor[:320], space=None,
            text=change.describe()[:4000], command="pbx sync", outcome=outcome,
            detail=why[:2000] if why else None,
            duration_ms=int((time.monotonic() - started) * 1000)))


def _tell_admins(services: Services, plan: SyncPlan, result: SyncResult) -> None:
    if not (result.done or result.in_call or result.failed):
        return
    text = summary(plan, result)
    # One summary per run: the same changes reported twice in one second are one run.
    stamp = services.clock.now().strftime("%Y%m%dT%H%M%S")
    stamp += ":" + hashlib.sha256(text.encode()).hexdigest()[:12]
    with transaction(services.sessions) as session:
        for admin in people.with_role(session, Role.ADMIN):
            services.notifier.send(session, person_target(admin), Reply(text, private=True),
                                   key=f"pbx-sync:{stamp}:{admin.key}")


def summary(plan: SyncPlan, result: SyncResult) -> str:
    lines = [f"PBX sync ({plan.backend}): {len(result.done)} change(s) made."]
    lines += [f"• {c.describe()}" for c in result.done]
    if result.in_call:
        lines.append("Left for the next run, in a call now:")
        lines += [f"• {c.describe()}" for c in result.in_call]
    if result.failed:
        lines.append("Refused by the PBX:")
        lines += [f"• {c.describe()}: {why}" for c, why in result.failed]
    lines += [f"Cannot: {why}." for why in plan.cannot]
    return "\n".join(lines)


def describe_plan(plan: SyncPlan) -> str:
    if not plan.changes and not plan.cannot:
        return f"The {plan.backend} PBX agrees with the people list: nothing to change."
    lines = [f"The {plan.backend} PBX differs from the people list in "
             f"{len(plan.changes)} change(s):"]
    lines += [f"• {c.describe()}" for c in plan.changes]
    lines += [f"Cannot: {why}." for why in plan.cannot]
    return "\n".join(lines)


# --------------------------------------------------------------------------- /pbx sync


USAGE = "/pbx sync | /pbx sync apply"


def run(ctx: Context, services: Services) -> Reply:
    words = [a.lower() for a in ctx.args]
    if words[:1] != ["sync"] or words[1:] not in ([], ["apply"]):
        raise UsageError("Say /pbx sync to see the differences, /pbx sync apply to make them.")
    plan = plan_sync(services)
    if words[1:] == ["apply"]:
        result = apply_sync(services, plan, f"person:{ctx.person.key}")
        return Reply(summary(plan, result), private=True)
    buttons = (Section(buttons=(Button("Apply", "pbx", "sync apply"),)),) \
        if plan.changes else ()
    return Reply(describe_plan(plan), buttons, private=True)


COMMAND = Command(
    name="pbx",
    run=run,
    summary="Compare the PBX's users with the people list, and bring them in line",
    usage=USAGE,
    role=Role.ADMIN,
)
