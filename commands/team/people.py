"""/people and /audit: who is in the team, and what was asked of Switchboard (in the
asker's language)."""

from __future__ import annotations

from datetime import datetime

from commands.core import Command, Context, Reply, Section, Services
from commands.refs import require_person
from commands.text import whole_number
from store import i18n
from store.db import reading
from store.i18n import N_, _, ngettext, pgettext
from store.team import audit, people
from store.team.people import ROLES, Role


def run_people(ctx: Context, services: Services) -> Reply:
    wanted = ctx.args[0].lower() if ctx.args else None
    with reading(services.sessions) as session:
        everyone = people.all_people(session, active_only=True)
    if wanted:
        everyone = [p for p in everyone if wanted == p.role or wanted in p.groups]
    rows = tuple((p.name, " · ".join(_details(p))) for p in everyone)
    title = _("People ({which})").format(which=wanted) if wanted else _("People")
    if not rows:
        return Reply(_("Nobody active matches {wanted} (roles: {roles}, or a group name).")
                     .format(wanted=repr(wanted), roles=", ".join(ROLES)), private=True)
    # The English has always said "1 active people."; the other languages agree in number.
    count = ngettext("{n} active people.", "{n} active people.", len(rows))
    return Reply(count.format(n=len(rows)), (Section(title=title, rows=rows),), private=True)


def role_name(role: str) -> str:
    """A role's name ("agent"), in the reader's language."""
    names = {Role.AGENT.value: pgettext("role", "agent"),
             Role.COORDINATOR.value: pgettext("role", "coordinator"),
             Role.ADMIN.value: pgettext("role", "admin")}
    return names.get(role, role)


def _details(p: people.Person) -> list[str]:
    parts = [f"@{p.key}", role_name(p.role),
             _("ext {extension}").format(extension=p.extension or "—")]
    if p.pbx_name:
        parts.append(_("PBX name {name}").format(name=repr(p.pbx_name)))
    if p.groups:
        parts.append(", ".join(p.groups))
    return parts


def run_audit(ctx: Context, services: Services) -> Reply:
    limit = 10
    person_id = None
    tz = services.settings.timezone
    with reading(services.sessions) as session:
        for arg in ctx.args:
            count = whole_number(arg)
            if count is not None:
                limit = max(1, min(count, 50))
            else:
                person_id = require_person(session, arg).id
        entries = audit.recent(session, limit, person_id=person_id)
        names = {p.id: p.key for p in people.all_people(session)}
    rows = tuple(
        (_when(e.at.astimezone(tz)),
         f"{names.get(e.person_id or -1, e.user_ref)} · {e.text[:60]!r} → {e.outcome}"
         f" ({e.duration_ms} ms)")
        for e in entries
    )
    last = ngettext("Last {n} requests.", "Last {n} requests.", len(rows))
    return Reply(last.format(n=len(rows)), (Section(title=_("Audit"), rows=rows),),
                 private=True)


def _when(at: datetime) -> str:
    return i18n.day(at, "stamp")


PEOPLE = Command(
    name="people",
    run=run_people,
    summary=N_("List the active team, optionally one role or group"),
    usage="/people [role|group]",
    role=Role.COORDINATOR,
    aliases=("team", "who is in the team"),
)

AUDIT = Command(
    name="audit",
    run=run_audit,
    summary=N_("Show the latest requests made to Switchboard and their outcome"),
    usage="/audit [@person] [count]",
    role=Role.ADMIN,
)
