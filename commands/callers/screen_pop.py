"""The incoming-call screen pop: a call rings an extension → identify the caller → DM the
person with that extension, and register the call.

Order of work: (1) a call id already registered is a redelivery — nothing more happens;
(2) the directory is asked with no transaction open (it may be Odoo); (3) one transaction
registers the call, writes the DM to the outbox under the key ``call.ringing:CALL_ID`` and
audits the lookup. Two deliveries racing past (1) collide on the registry's unique call id
(and on the outbox key), so the person gets one DM whatever the PBX does. The DM is in
that person's language; the answer to the PBX stays English.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commands.callers.card import (
    CardContext,
    account_section,
    extra_sections,
    field_label,
    show_phone,
    unknown_section,
)
from commands.callers.identify import Found, call_candidates, identify_call
from commands.core import URGENT, Button, Reply, Section, Services, person_target
from integrations.errors import IntegrationError
from store.callers import operations
from store.calls import registry
from store.calls.registry import RegisteredCall
from store.db import reading, transaction
from store.i18n import _, ngettext, speaking
from store.team import people
from store.team.audit import AuditEntry, record
from store.team.people import Person

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ringing:
    call_id: str
    caller: str | None
    extension: str | None
    queue: str | None
    data: Mapping[str, Any] | None
    at: datetime


def on_ringing(services: Services, ringing: Ringing) -> dict[str, Any]:
    """Handle one ``call.ringing``; the answer says what was done (for the PBX's log)."""
    started = time.monotonic()
    with reading(services.sessions) as session:
        if registry.by_call_id(session, ringing.call_id) is not None:
            return {"registered": False, "duplicate": True, "dm": False}
        person = people.by_extension(session, ringing.extension) if ringing.extension else None
        language = people.language_of(person)
    phone, found, failure = _identify(services, ringing)
    first = found.accounts[0] if found else None
    contact = first.identifiers[0] if first and first.identifiers else None
    row = RegisteredCall(
        call_id=ringing.call_id, rang_at=ringing.at, caller=ringing.caller, phone=phone,
        queue=ringing.queue, extension=ringing.extension,
        person_id=person.id if person and person.active else None,
        identified_by=found.field if found else None,
        account_id=first.id if first else None, account_name=first.name[:200] if first else None,
        contact_id=contact.id if contact else None,
        contact_name=contact.name[:200] if contact else None,
        accounts_found=len(found.accounts) if found else 0)
    dm = person is not None and person.active
    try:
        with transaction(services.sessions) as session:
            session.add(row)
            session.flush()
            if dm:
                assert person is not None
                with speaking(language):
                    reply = _card(session, services, ringing, phone, found, failure)
                services.notifier.send(session, person_target(person), reply,
                                       key=f"call.ringing:{ringing.call_id}", priority=URGENT)
            record(session, _audit(services, ringing, person, found, failure, started))
    except IntegrityError:
        return {"registered": False, "duplicate": True, "dm": False}
    answer: dict[str, Any] = {"registered": True, "duplicate": False, "dm": dm,
                              "identified_by": found.field if found else None,
                              "accounts": len(found.accounts) if found else 0}
    if not dm:
        answer["reason"] = (f"no active person has extension {ringing.extension}"
                            if ringing.extension else "no extension given")
    if failure:
        answer["directory_error"] = failure
    return answer


def _identify(services: Services, ringing: Ringing
              ) -> tuple[str | None, Found | None, str | None]:
    """(the caller's number, who the directory says it is, why it could not be asked);
    asked with no transaction open."""
    settings = services.settings
    tried = call_candidates(ringing.caller, ringing.data, settings.default_region)
    phone = next((c.value for c in tried if c.field == "phone"), None)
    try:
        return phone, identify_call(services.directory, tried, settings.lookup_max_results), None
    except IntegrationError as exc:
        log.warning("call %s: the directory failed: %s", ringing.call_id, exc)
        return phone, None, f"{exc.system} said: {exc.message}"


def card_of(services: Services, call: RegisteredCall) -> Reply:
    """The card of a registered call, as its ringing DM showed it (the desk's "My current
    call"), in the language being written: the directory is asked again, with no
    transaction open."""
    ringing = Ringing(call_id=call.call_id, caller=call.caller, extension=call.extension,
                      queue=call.queue, data=None, at=call.rang_at)
    phone, found, failure = _identify(services, ringing)
    with reading(services.sessions) as session:
        return _card(session, services, ringing, phone, found, failure)


def _card(session: Session, services: Services, ringing: Ringing, phone: str | None,
          found: Found | None, failure: str | None) -> Reply:
    """The DM: always in full (it is a DM), with the caller's card or a way to find them."""
    number = show_phone(phone, False) if phone else (ringing.caller or _("a withheld number"))
    caller = (_("{number} (queue {queue})").format(number=number, queue=ringing.queue)
              if ringing.queue else number)
    ops = operations.enabled_operations(session)
    extras = extra_sections(session, CardContext(
        phone=phone, masked=False, timezone=services.settings.timezone, now=ringing.at,
        exclude_call_id=ringing.call_id))
    typify = Section(buttons=(Button(_("Typify this call"), "typify", ringing.call_id),))
    if found is None:
        why = (_("The directory could not be asked ({failure}).").format(failure=failure)
               if failure else _("Nobody in the directory has this number."))
        text = _("Call from an unsaved number: {caller}.").format(caller=caller)
        section = unknown_section(ops, phone=phone, masked=False, text=why)
        return Reply(text, (section, *extras, typify))
    count = len(found.accounts)
    who = found.accounts[0].name if count == 1 else ngettext(
        "{n} account", "{n} accounts", count).format(n=count)
    if found.field == "phone":
        text = _("Call from {caller}: {who}.").format(caller=caller, who=who)
    else:
        text = _("Call from {caller}: {who}, identified by {field}.").format(
            caller=caller, who=who, field=field_label(found.field))
    sections = [account_section(a, ops, masked=False, phone=phone) for a in found.accounts]
    return Reply(text, (*sections, *extras, typify))


def _audit(services: Services, ringing: Ringing, person: Person | None, found: Found | None,
           failure: str | None, started: float) -> AuditEntry:
    if failure:
        outcome, detail = "failed", failure[:2000]
    elif found:
        outcome = "ok"
        detail = (f"identified by {found.field}: "
                  + ", ".join(f"{a.name} ({a.id})" for a in found.accounts))[:2000]
    else:
        outcome, detail = "ok", "nobody identified"
    return AuditEntry(
        at=services.clock.now(), person_id=person.id if person else None, platform="pbx",
        user_ref=f"extension:{ringing.extension or '-'}"[:320], space=None,
        text=f"call.ringing {ringing.call_id} from {ringing.caller or 'withheld'}"[:4000],
        command="lookup", outcome=outcome, detail=detail,
        duration_ms=int((time.monotonic() - started) * 1000))
