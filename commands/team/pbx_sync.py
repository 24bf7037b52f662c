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
the change is left for the next run and the reply says so. Each change made is audited
(in English), and a summary goes to the admins by DM, each in their own language.
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
from store import i18n
from store.db import reading, transaction
from store.i18n import N_, _, ngettext
from store.team import audit, people
from store.team.audit import AuditEntry
from store.team.people import Role, language_of

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
        """The change in English, as the audit keeps it."""
        with i18n.speaking(i18n.ENGLISH):
            return self.shown()

    def shown(self) -> str:
        """The change in the reader's language."""
        if self.kind == RENAME:
            return _("rename {extension}: {was} → {name}").format(
                extension=self.extension, was=self.was or _("(no name)"), name=self.name)
        if self.kind == FREE:
            return _("free {extension} (was {was})").format(extension=self.extension,
                                                             was=self.was)
        return _("create {extension} for {name}").format(extension=self.extension,
                                                          name=self.name)


@dataclass
class SyncPlan:
    backend: str
    changes: list[Change] = field(default_factory=list)
    # The extensions this PBX cannot create: (person's name, extension).
    cannot: list[tuple[str, str]] = field(default_factory=list)

    def cannot_text(self) -> list[str]:
        """What this PBX cannot do, and why, in the reader's language."""
        return [_("{name}'s extension {extension} does not exist on the PBX, and {backend} "
                  "cannot create extensions").format(name=name, extension=extension,
                                                     backend=self.backend)
                for name, extension in self.cannot]


@dataclass
class SyncResult:
    done: list[Change] = field(default_factory=list)
    in_call: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, str]] = field(default_factory=list)


def syncer(services: Services) -> UserSync:
    pbx = services.pbx
    if not all(hasattr(pbx, name) for name in ("users", "stored_as", "set_user", "free_user")):
        raise CommandError(_("The {backend} PBX offers no way to keep its users in line.")
                           .format(backend=pbx.name))
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
                plan.cannot.append((person.name, extension))
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
        raise CommandError(_("I could not ask the PBX who is in a call ({error}), so I "
                             "changed nothing.").format(error=exc.message)) from None
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
    with i18n.speaking(i18n.ENGLISH):
        english = summary(plan, result)
    # One summary per run: the same changes reported twice in one second are one run.
    stamp = services.clock.now().strftime("%Y%m%dT%H%M%S")
    stamp += ":" + hashlib.sha256(english.encode()).hexdigest()[:12]
    with transaction(services.sessions) as session:
        for admin in people.with_role(session, Role.ADMIN):
            with i18n.speaking(language_of(admin)):  # a DM: in its reader's language
                text = summary(plan, result)
            services.notifier.send(session, person_target(admin), Reply(text, private=True),
                                   key=f"pbx-sync:{stamp}:{admin.key}")


def summary(plan: SyncPlan, result: SyncResult) -> str:
    """What a run did, in the reader's language."""
    n = len(result.done)
    lines = [ngettext("PBX sync ({backend}): {n} change(s) made.",
                      "PBX sync ({backend}): {n} change(s) made.", n).format(
        backend=plan.backend, n=n)]
    lines += [f"• {c.shown()}" for c in result.done]
    if result.in_call:
        lines.append(_("Left for the next run, in a call now:"))
        lines += [f"• {c.shown()}" for c in result.in_call]
    if result.failed:
        lines.append(_("Refused by the PBX:"))
        lines += [f"• {c.shown()}: {why}" for c, why in result.failed]
    lines += [_("Cannot: {why}.").format(why=why) for why in plan.cannot_text()]
    return "\n".join(lines)


def describe_plan(plan: SyncPlan) -> str:
    """The differences found, in the reader's language."""
    if not plan.changes and not plan.cannot:
        return _("The {backend} PBX agrees with the people list: nothing to change.").format(
            backend=plan.backend)
    n = len(plan.changes)
    lines = [ngettext("The {backend} PBX differs from the people list in {n} change(s):",
                      "The {backend} PBX differs from the people list in {n} change(s):",
                      n).format(backend=plan.backend, n=n)]
    lines += [f"• {c.shown()}" for c in plan.changes]
    lines += [_("Cannot: {why}.").format(why=why) for why in plan.cannot_text()]
    return "\n".join(lines)


# --------------------------------------------------------------------------- /pbx sync


USAGE = "/pbx sync | /pbx sync apply"


def run(ctx: Context, services: Services) -> Reply:
    words = [a.lower() for a in ctx.args]
    if words[:1] != ["sync"] or words[1:] not in ([], ["apply"]):
        raise UsageError(_("Say /pbx sync to see the differences, /pbx sync apply to make "
                           "them."))
    plan = plan_sync(services)
    if words[1:] == ["apply"]:
        result = apply_sync(services, plan, f"person:{ctx.person.key}")
        return Reply(summary(plan, result), private=True)
    buttons = (Section(buttons=(Button(_("Apply"), "pbx", "sync apply"),)),) \
        if plan.changes else ()
    return Reply(describe_plan(plan), buttons, private=True)


COMMAND = Command(
    name="pbx",
    run=run,
    summary=N_("Compare the PBX's users with the people list, and bring them in line"),
    usage=USAGE,
    role=Role.ADMIN,
)
