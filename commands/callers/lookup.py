"""/lookup: who is this caller? By phone, tax id, CRM/ERP code or name.

The directory is asked with no transaction open (it may be Odoo, over the network); the
card's other sections (recent calls …) are read after. The dispatcher audits every lookup
(who asked, what they typed, when, the outcome).
"""

from __future__ import annotations

from commands.callers.card import (
    CardContext,
    account_section,
    extra_sections,
    show_value,
    unknown_section,
)
from commands.callers.identify import candidates, lookup
from commands.core import Command, CommandError, Context, Reply, Services
from integrations.directory import LABELS, TooManyResults
from store.callers import operations
from store.db import reading


def run(ctx: Context, services: Services) -> Reply:
    settings = services.settings
    masked = not ctx.where.is_dm
    tried = candidates(ctx.arg_text, settings.default_region)
    try:
        found = lookup(services.directory, tried, settings.lookup_max_results)
    except TooManyResults as exc:
        raise CommandError(f"Too many results: more than {exc.limit} accounts match that "
                           f"{LABELS[exc.field]}. Narrow the search (a fuller name, a phone "
                           "number, a tax id or a code).") from None
    phone = found.value if found.field == "phone" else None
    shown = show_value(found.field, found.value, masked)
    with reading(services.sessions) as session:
        ops = operations.enabled_operations(session)
        extras = extra_sections(session, CardContext(
            phone=phone, masked=masked, timezone=settings.timezone, now=ctx.now))
    if not found.accounts:
        looked = " or ".join(sorted({LABELS[c.field] for c in found.tried}))
        text = f"Nobody found for {shown} (looked up as {looked})."
        section = unknown_section(ops, phone=phone, masked=masked,
                                  text="Try another field (/lookup nif …, /lookup crm …, "
                                       "/lookup name …) or add the contact.")
        return Reply(text, (section, *extras))
    count = len(found.accounts)
    noun = "account" if count == 1 else "accounts"
    text = f"{count} {noun} for {LABELS[found.field]} {shown}"
    if masked:
        text += " (numbers masked here; ask me in a DM to see them)"
    sections = [account_section(a, ops, masked=masked, phone=phone) for a in found.accounts]
    return Reply(text + ".", (*sections, *extras))


COMMAND = Command(
    name="lookup",
    run=run,
    summary="Who is this caller: look up by phone, tax id, CRM/ERP code or name",
    usage="/lookup PHONE|TAX ID|CODE|NAME (or: /lookup nif|crm|erp|name|phone VALUE)",
    aliases=("lookup phone", "look up", "who is"),
)
