"""/calls [mine|@agent|PHONE] [YYYY-MM-DD]: the call registry with typifications.

Without a date, the latest calls; with one, that day's (in the team's time zone). Anyone
sees their own calls and a number's history (they are about to talk to that caller);
coordinators see anyone's. Numbers are masked in shared spaces. ``mine`` in any language
("les meves", "mis", "minhas").
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from commands.callers.card import call_rows, show_phone
from commands.core import Button, Command, Context, Denied, Reply, Section, Services, UsageError
from commands.refs import is_person_ref, require_person
from commands.words import canonical, without_fillers
from integrations.directory.fields import BadValue, normalize
from store import i18n
from store.calls import registry
from store.db import reading
from store.i18n import N_, _, ngettext
from store.team.people import Role

LIMIT = 20


def run(ctx: Context, services: Services) -> Reply:
    words = list(ctx.args)
    day: date | None = None
    if words and _is_date(words[-1]):
        day = date.fromisoformat(words.pop())
        if day > ctx.now.astimezone(services.settings.timezone).date():
            raise UsageError(_("{date} is in the future: give today or an earlier "
                               "date.").format(date=day))
    masked = not ctx.where.is_dm
    tz = services.settings.timezone
    start = end = None
    if day is not None:
        start = datetime.combine(day, time(0), tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tz)
    with reading(services.sessions) as session:
        scope = " ".join(words) or "mine"  # a number may come in several pieces
        person_id, phone = None, None
        whose: str | None = None  # None: the asker's own
        if canonical(" ".join(without_fillers(words)) or "mine") in ("mine", "me"):
            person_id = ctx.person.id
        elif is_person_ref(scope):
            person = require_person(session, scope)
            if person.id != ctx.person.id and not ctx.role.allows(Role.COORDINATOR):
                raise Denied(_("Only coordinators see other people's calls."))
            person_id, whose = person.id, person.name
        else:
            try:
                phone = normalize("phone", scope, services.settings.default_region)
            except BadValue as exc:
                raise UsageError(_("{scope} is not mine, an @agent or a phone number: "
                                   "{problem}.").format(scope=repr(scope), problem=exc)
                                 ) from None
            whose = show_phone(phone, masked)
        found = registry.calls(session, person_id=person_id, phone=phone, start=start,
                                    end=end, limit=LIMIT)
        rows = call_rows(session, found, tz, ctx.now,
                         show_phone_as=lambda n: show_phone(n, masked))
        typified = registry.typifications_of(session, [c.id for c in found])
    when = (_("on {day}").format(day=i18n.day(day, "day_year")) if day
            else _("(latest first)"))
    if not found:
        return Reply(_("No calls in your history {when}.").format(when=when) if whose is None
                     else _("No calls in {whose}'s history {when}.").format(whose=whose,
                                                                           when=when))
    title = (_("Your calls {when}").format(when=when) if whose is None
             else _("{whose}'s calls {when}").format(whose=whose[0].upper() + whose[1:],
                                                     when=when))
    buttons = tuple(Button(_("Typify {time}").format(time=f"{c.rang_at.astimezone(tz):%H:%M}"),
                           "typify", c.call_id)
                    for c in found
                    if c.person_id == ctx.person.id and c.id not in typified)[:5]
    n = len(found)
    text = (ngettext("{n} call (the latest shown; add a date for a whole day).",
                     "{n} calls (the latest shown; add a date for a whole day).", n)
            if n == LIMIT else ngettext("{n} call.", "{n} calls.", n)).format(n=n)
    return Reply(text, (Section(title=title, rows=tuple(rows), buttons=buttons),))


def _is_date(word: str) -> bool:
    try:
        date.fromisoformat(word)
    except ValueError:
        return False
    return len(word) == 10


COMMAND = Command(
    name="calls",
    run=run,
    summary=N_("The call history with typifications: yours, an agent's or a number's"),
    usage="/calls [mine|@agent|PHONE] [YYYY-MM-DD]",
    aliases=("call history", "my calls"),
)
