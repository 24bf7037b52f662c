"""/calls [mine|@agent|PHONE] [YYYY-MM-DD]: the call registry with typifications.

Without a date, the latest calls; with one, that day's (in the team's time zone). Anyone
sees their own calls and a number's history (they are about to talk to that caller);
coordinators see anyone's. Numbers are masked in shared spaces.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from commands.callers.card import call_rows, show_phone
from commands.core import Button, Command, Context, Denied, Reply, Section, Services, UsageError
from commands.refs import is_person_ref, require_person
from integrations.directory.fields import BadValue, normalize
from store.calls import registry
from store.db import reading
from store.team.people import Role

LIMIT = 20


def run(ctx: Context, services: Services) -> Reply:
    words = list(ctx.args)
    day: date | None = None
    if words and _is_date(words[-1]):
        day = date.fromisoformat(words.pop())
        if day > ctx.now.astimezone(services.settings.timezone).date():
            raise UsageError(f"{day} is in the future: give today or an earlier date.")
    masked = not ctx.where.is_dm
    tz = services.settings.timezone
    start = end = None
    if day is not None:
        start = datetime.combine(day, time(0), tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tz)
    with reading(services.sessions) as session:
        scope = " ".join(words) or "mine"  # a number may come in several pieces
        person_id, phone = None, None
        if scope.lower() in ("mine", "me"):
            person_id, whose = ctx.person.id, "your"
        elif is_person_ref(scope):
            person = require_person(session, scope)
            if person.id != ctx.person.id and not ctx.role.allows(Role.COORDINATOR):
                raise Denied("Only coordinators see other people's calls.")
            person_id, whose = person.id, f"{person.name}'s"
        else:
            try:
                phone = normalize("phone", scope, services.settings.default_region)
            except BadValue as exc:
                raise UsageError(f"{scope!r} is not mine, an @agent or a phone number: "
                                 f"{exc}.") from None
            whose = f"{show_phone(phone, masked)}'s"
        found = registry.calls(session, person_id=person_id, phone=phone, start=start,
                                    end=end, limit=LIMIT)
        rows = call_rows(session, found, tz, ctx.now,
                         show_phone_as=lambda n: show_phone(n, masked))
        typified = registry.typifications_of(session, [c.id for c in found])
    when = f"on {day:%a %d %b %Y}" if day else "(latest first)"
    if not found:
        return Reply(f"No calls in {whose} history {when}.")
    title = f"{whose[0].upper()}{whose[1:]} calls {when}"
    buttons = tuple(Button(f"Typify {c.rang_at.astimezone(tz):%H:%M}", "typify", c.call_id)
                    for c in found
                    if c.person_id == ctx.person.id and c.id not in typified)[:5]
    more = " (the latest shown; add a date for a whole day)" if len(found) == LIMIT else ""
    return Reply(f"{len(found)} call{'s' if len(found) != 1 else ''}{more}.",
                 (Section(title=title, rows=tuple(rows), buttons=buttons),))


def _is_date(word: str) -> bool:
    try:
        date.fromisoformat(word)
    except ValueError:
        return False
    return len(word) == 10


COMMAND = Command(
    name="calls",
    run=run,
    summary="The call history with typifications: yours, an agent's or a number's",
    usage="/calls [mine|@agent|PHONE] [YYYY-MM-DD]",
    aliases=("call history", "my calls"),
)
