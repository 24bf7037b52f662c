"""/people and /audit: who is in the team, and what was asked of Switchboard."""

from __future__ import annotations

from commands.core import Command, Context, Reply, Section, Services
from commands.refs import require_person
from commands.text import whole_number
from store.db import reading
from store.team import audit, people
from store.team.people import ROLES, Role


def run_people(ctx: Context, services: Services) -> Reply:
    wanted = ctx.args[0].lower() if ctx.args else None
    with reading(services.sessions) as session:
        everyone = people.all_people(session, active_only=True)
    if wanted:
        everyone = [p for p in everyone if wanted == p.role or wanted in p.groups]
    rows = tuple(
        (p.name, f"@{p.key} · {p.role} · ext {p.extension or '—'}"
                 + (f" · PBX name {p.pbx_name!r}" if p.pbx_name else "")
                 + (f" · {', '.join(p.groups)}" if p.groups else ""))
        for p in everyone
    )
    title = f"People ({wanted})" if wanted else "People"
    if not rows:
        hint = "roles: " + ", ".join(ROLES)
        return Reply(f"Nobody active matches {wanted!r} ({hint}, or a group name).", private=True)
    return Reply(f"{len(rows)} active people.", (Section(title=title, rows=rows),), private=True)


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
        (e.at.astimezone(tz).strftime("%d %b %H:%M:%S"),
         f"{names.get(e.person_id or -1, e.user_ref)} · {e.text[:60]!r} → {e.outcome}"
         f" ({e.duration_ms} ms)")
        for e in entries
    )
    return Reply(f"Last {len(rows)} requests.", (Section(title="Audit", rows=rows),), private=True)


PEOPLE = Command(
    name="people",
    run=run_people,
    summary="List the active team, optionally one role or group",
    usage="/people [role|group]",
    role=Role.COORDINATOR,
    aliases=("team", "who is in the team"),
)

AUDIT = Command(
    name="audit",
    run=run_audit,
    summary="Show the latest requests made to Switchboard and their outcome",
    usage="/audit [@person] [count]",
    role=Role.ADMIN,
)
