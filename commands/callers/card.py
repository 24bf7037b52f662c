"""The caller card: accounts, contacts (the identifying one starred), operations as
buttons, and what else is known about the number — shared by /lookup and the screen pop.

In a shared space phone numbers and tax ids are masked (last 3 characters shown); in a DM
they are shown in full. What the card shows beyond the directory is a table of sections
(``CARD_EXTRAS``): recent calls from the call registry and the callbacks still pending
for the number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

import phonenumbers
from sqlalchemy.orm import Session

from commands.callbacks.flow import status_label
from commands.core import Button, Section
from integrations.directory import LABELS, Account, Contact
from store import i18n, phones
from store.callbacks import bookings
from store.callers.operations import NEW_CONTACT, Operation
from store.calls import registry
from store.calls.registry import RegisteredCall
from store.i18n import N_, _, ngettext
from store.team import people

RECENT_CALLS = 5
# The directory's fields as people read them (integrations.directory.LABELS, translated).
FIELD_LABELS = {"crm_code": N_("CRM code"), "erp_code": N_("ERP code"), "tax_id": N_("tax id"),
                "name": N_("name"), "phone": N_("phone number")}


def field_label(field: str) -> str:
    """"phone number", "tax id" … in the language being written."""
    return _(FIELD_LABELS[field]) if field in FIELD_LABELS else LABELS.get(field, field)


def _this_number() -> str:
    return " " + _("(this number)")


def show_phone(number: str, masked: bool) -> str:
    if masked:
        return phones.mask(number)
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def show_tax_id(tax_id: str, masked: bool) -> str:
    return phones.mask(tax_id) if masked else tax_id


def show_value(field: str, value: str, masked: bool) -> str:
    """A looked-up value as the card may show it: phones and tax ids masked in spaces."""
    if field == "phone":
        return show_phone(value, masked)
    if field == "tax_id":
        return show_tax_id(value, masked)
    return value


# ------------------------------------------------------------------------- accounts


def account_section(account: Account, operations: Sequence[Operation], *, masked: bool,
                    phone: str | None) -> Section:
    rows: list[tuple[str, str]] = []
    if account.phones:
        shown = ", ".join(show_phone(p, masked) + (_this_number() if p == phone else "")
                          for p in account.phones)
        rows.append((_("Phones"), shown))
    for label, value in ((N_("Tax id"), account.tax_id and show_tax_id(account.tax_id, masked)),
                         (N_("CRM code"), account.crm_code), (N_("ERP code"), account.erp_code),
                         (N_("Email"), account.email)):
        if value:
            rows.append((_(label), value))
    for contact in account.contacts:
        rows.append(_contact_row(contact, masked=masked, phone=phone))
    more = account.contacts_total - len(account.contacts)
    if more > 0:
        rows.append(("…", ngettext("{n} more contact", "{n} more contacts", more).format(
            n=more)))
    identifier = account.identifiers[0] if account.identifiers else None
    buttons = tuple(operation_button(op, account=account, contact=identifier,
                                     phone=None if masked else phone)
                    for op in operations)
    return Section(title=account.name, rows=tuple(rows), buttons=buttons)


def _contact_row(contact: Contact, *, masked: bool, phone: str | None) -> tuple[str, str]:
    details = [show_phone(p, masked) + (_this_number() if p == phone else "")
               for p in contact.phones]
    if contact.email:
        details.append(contact.email)
    star = "★ " if contact.identifier else "· "
    return star + contact.name, ", ".join(details) or _("(no phone)")


def operation_button(op: Operation, *, account: Account | None, contact: Contact | None,
                     phone: str | None) -> Button:
    args = [op.code]
    if account is not None:
        args.append(f"account={account.id}")
    if contact is not None:
        args.append(f"contact={contact.id}")
    if phone:
        args.append(f"phone={phone}")
    return Button(label=op.name, command="operation", args=" ".join(args))


def unknown_section(operations: Sequence[Operation], *, phone: str | None, masked: bool,
                    text: str) -> Section:
    """Nobody identified: only "new contact" is offered, and a way to look up otherwise."""
    buttons = [operation_button(op, account=None, contact=None,
                                phone=None if masked else phone)
               for op in operations if op.code == NEW_CONTACT]
    buttons.append(Button(label=_("Look up another way"), command="lookup"))
    return Section(text=text, buttons=tuple(buttons))


# ------------------------------------------------------------------------- extras


@dataclass(frozen=True)
class CardContext:
    phone: str | None  # E.164: the number looked up or calling
    masked: bool
    timezone: tzinfo
    now: datetime
    exclude_call_id: str | None = None  # the call ringing now


CardExtra = Callable[[Session, CardContext], "Section | None"]


def recent_calls(session: Session, ctx: CardContext) -> Section | None:
    """The latest calls from this number in the call registry, with their typifications."""
    if ctx.phone is None:
        return None
    found = [c for c in registry.calls(session, phone=ctx.phone, limit=RECENT_CALLS + 1)
             if c.call_id != ctx.exclude_call_id][:RECENT_CALLS]
    if not found:
        return None
    return Section(title=_("Recent calls from this number"),
                   rows=tuple(call_rows(session, found, ctx.timezone, ctx.now)))


def call_rows(session: Session, found: Sequence[RegisteredCall], tz: tzinfo, now: datetime,
              *, show_phone_as: Callable[[str], str] | None = None) -> list[tuple[str, str]]:
    """One row per call: when (and the number, if asked), who took it, who called, how it
    was typified — in the language being written."""
    typified = registry.typifications_of(session, [c.id for c in found])
    categories = {c.id: c for c in registry.categories(session)}
    # Only the people who took these calls (the screen pop runs this on every ring).
    keys = {p.id: p.key for p in people.by_ids(
        session, (c.person_id for c in found if c.person_id is not None)).values()}
    rows = []
    for call in found:
        local = call.rang_at.astimezone(tz)
        when = local.strftime("%H:%M") if local.date() == now.astimezone(tz).date() else \
            i18n.day(local, "day_time")
        if show_phone_as is not None:
            when += " · " + (show_phone_as(call.phone) if call.phone else
                             (call.caller or _("withheld")))
        who = call.contact_name or ""
        if call.account_name:
            who = f"{call.account_name} / {who}" if who else call.account_name
        parts = [who or _("unidentified")]
        if call.person_id in keys:
            parts.append(f"@{keys[call.person_id]}")
        labels = [registry.path(category, categories)
                  + (f" ({t.comment})" if t.comment else "")
                  for t, category in typified.get(call.id, [])]
        parts.append("; ".join(labels) if labels else _("not typified"))
        rows.append((when, " — ".join(parts)))
    return rows


def pending_callbacks(session: Session, ctx: CardContext) -> Section | None:
    """Callbacks still to be made to this number (scheduled, handed out or taken)."""
    if ctx.phone is None:
        return None
    found = bookings.by_phone(session, ctx.phone, limit=20, statuses=bookings.OPEN)
    if not found:
        return None
    rows = tuple((f"#{c.id} " + i18n.day(c.due_at.astimezone(ctx.timezone), "day_time"),
                  _("{status} · queue {queue}").format(status=status_label(c.status),
                                                       queue=c.queue)
                  + (f" · {c.note}" if c.note else ""))
                 for c in found)
    return Section(title=_("Pending callbacks"), rows=rows)


# Sections added to every caller card, in order. Each returns None when it has nothing.
CARD_EXTRAS: tuple[CardExtra, ...] = (recent_calls, pending_callbacks)


def extra_sections(session: Session, ctx: CardContext) -> list[Section]:
    return [s for s in (extra(session, ctx) for extra in CARD_EXTRAS) if s is not None]
