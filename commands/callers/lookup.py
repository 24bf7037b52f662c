"""/lookup: who is this caller? By phone, tax id, CRM/ERP code or name.

The directory is asked with no transaction open (it may be Odoo, over the network); the
card's other sections (recent calls …) are read after. The dispatcher audits every lookup
(who asked, what they typed, when, the outcome). A phone may be typed in groups of digits
(``/lookup 600 11 22 33``, ``cerca 600 11 22 33``, ``buscar 600 11 22 33``); the reply
follows the asker's language.
"""

from __future__ import annotations

from functools import reduce

from commands.callers.card import (
    CardContext,
    account_section,
    extra_sections,
    field_label,
    show_value,
    unknown_section,
)
from commands.callers.identify import candidates, lookup
from commands.core import Command, CommandError, Context, Reply, Services
from integrations.directory import TooManyResults
from store.callers import operations
from store.db import reading
from store.i18n import N_, _, ngettext


def run(ctx: Context, services: Services) -> Reply:
    settings = services.settings
    masked = not ctx.where.is_dm
    tried = candidates(ctx.arg_text, settings.default_region)
    try:
        found = lookup(services.directory, tried, settings.lookup_max_results)
    except TooManyResults as exc:
        raise CommandError(_("Too many results: more than {limit} accounts match that "
                             "{field}. Narrow the search (a fuller name, a phone number, a "
                             "tax id or a code).").format(limit=exc.limit,
                                                          field=field_label(exc.field))
                           ) from None
    phone = found.value if found.field == "phone" else None
    shown = show_value(found.field, found.value, masked)
    with reading(services.sessions) as session:
        ops = operations.enabled_operations(session)
        extras = extra_sections(session, CardContext(
            phone=phone, masked=masked, timezone=settings.timezone, now=ctx.now))
    if not found.accounts:
        looked = reduce(lambda first, second: _("{first} or {second}").format(
            first=first, second=second), sorted({field_label(c.field) for c in found.tried}))
        text = _("Nobody found for {value} (looked up as {fields}).").format(
            value=shown, fields=looked)
        section = unknown_section(ops, phone=phone, masked=masked,
                                  text=_("Try another field (/lookup nif …, /lookup crm …, "
                                         "/lookup name …) or add the contact."))
        return Reply(text, (section, *extras))
    count = len(found.accounts)
    if masked:
        text = ngettext("{n} account for {field} {value} (numbers masked here; ask me in a DM "
                        "to see them).",
                        "{n} accounts for {field} {value} (numbers masked here; ask me in a "
                        "DM to see them).", count)
    else:
        text = ngettext("{n} account for {field} {value}.", "{n} accounts for {field} {value}.",
                        count)
    text = text.format(n=count, field=field_label(found.field), value=shown)
    sections = [account_section(a, ops, masked=masked, phone=phone) for a in found.accounts]
    return Reply(text, (*sections, *extras))


COMMAND = Command(
    name="lookup",
    run=run,
    summary=N_("Who is this caller: look up by phone, tax id, CRM/ERP code or name"),
    usage="/lookup PHONE|TAX ID|CODE|NAME (or: /lookup nif|crm|erp|name|phone VALUE)",
    aliases=("lookup phone", "look up", "who is"),
)
