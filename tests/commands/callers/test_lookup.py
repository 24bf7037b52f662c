"""/lookup and /operation as agents use them, on the demo directory (store/demo/callers.py):
Acme Energía SL (Ana Pérez +34 600 11 22 33, Luis Gómez), Beta Logística SA (Marta Ruiz,
the same number as Ana), Carmen Vidal (a private customer)."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from bot.render.text import render_text
from commands.core import Reply, Services, Where
from commands.dispatch import Dispatcher, Incoming, Result
from commands.registry import COMMANDS
from integrations.directory.odoo import OdooDirectory
from integrations.odoo import OdooClient
from store.callers.operations_io import import_operations
from store.db import transaction
from store.team.audit import AuditEntry
from tests.conftest import Chat, Database, make_services, make_settings


def ask(services: Services, text: str, *, dm: bool, who: str = "alice") -> Result:
    where = Where("slack", "D1" if dm else "C1", is_dm=dm)
    return Dispatcher(COMMANDS, services).handle(Incoming("console", who, text, where))


def everything(reply: Reply) -> str:
    """The rendered text and every button's command: all a space member could see."""
    return render_text(reply) + " ".join(b.args for s in reply.sections for b in s.buttons)


SPANISH_FORMS = ("+34 600 11 22 33", "0034600112233", "600112233", "34600112233",
                 "phone 600-11-22-33")


def test_the_spanish_forms_of_a_number_find_the_same_contacts(chat: Chat) -> None:
    replies = {typed: chat.say("alice", f"/lookup {typed}") for typed in SPANISH_FORMS}
    reply = replies["600112233"]
    assert all(other == reply for other in replies.values()), replies
    assert reply.startswith("2 accounts for phone number +34 600 11 22 33.")
    assert "★ Ana Pérez   +34 600 11 22 33 (this number)" in reply
    assert "★ Marta Ruiz  +34 600 11 22 33 (this number)" in reply
    assert "· Luis Gómez  +34 600 44 55 66, +34 611 22 33 44" in reply
    assert reply.index("== Acme Energía SL ==") < reply.index("== Beta Logística SA ==")


FIELDS = [
    ("/lookup nif 12345678Z", "1 account for tax id ES12345678Z.", "Carmen Vidal"),
    ("/lookup 12.345.678-z", "1 account for tax id ES12345678Z.", "Carmen Vidal"),
    ("/lookup ESB12345674", "1 account for tax id ESB12345674.", "Acme Energía SL"),
    ("/lookup 1002", "1 account for CRM code 1002.", "Beta Logística SA"),
    ("/lookup crm:1003", "1 account for CRM code 1003.", "Carmen Vidal"),
    ("/lookup E-1001", "1 account for ERP code E-1001.", "Acme Energía SL"),
    ("/lookup erp E-1002", "1 account for ERP code E-1002.", "Beta Logística SA"),
    ("/lookup vidal", "1 account for name vidal.", "Carmen Vidal"),
    ("/lookup Gómez", "1 account for name Gómez.", "Acme Energía SL"),
    ("who is 655 555 555", "1 account for phone number +34 655 55 55 55.", "Carmen Vidal"),
    ("qui és 655555555", "1 account for phone number +34 655 55 55 55.", "Carmen Vidal"),
    ("lookup phone 655555555", "1 account for phone number +34 655 55 55 55.",
     "Carmen Vidal"),
]


def test_each_field_is_guessed_or_named(chat: Chat) -> None:
    for typed, heading, account in FIELDS:
        reply = chat.say("alice", typed)
        assert reply.startswith(heading), (typed, reply)
        assert f"== {account} ==" in reply, (typed, reply)


def test_a_name_marks_the_contact_it_found(chat: Chat) -> None:
    reply = chat.say("alice", "/lookup ana perez")
    assert "★ Ana Pérez" in reply and "· Luis Gómez" in reply


def test_too_many_accounts_ask_to_narrow_the_search(db: Database, demo: Services) -> None:
    narrow = dataclasses.replace(demo, settings=make_settings(DATABASE_URL=db.url,
                                                              LOOKUP_MAX_RESULTS="1"))
    result = ask(narrow, "/lookup 600112233", dm=True)
    assert result.outcome == "failed"
    assert result.reply.text.startswith("Too many results: more than 1 accounts match that "
                                        "phone number. Narrow the search")
    assert ask(narrow, "/lookup 655555555", dm=True).outcome == "ok"


def test_a_space_sees_masked_numbers_and_a_dm_full_ones(demo: Services) -> None:
    shared = ask(demo, "/lookup 600 11 22 33", dm=False).reply
    seen = everything(shared)
    for secret in ("600 11 22 33", "600112233", "912 34 56 78", "B12345674", "611 22 33 44"):
        assert secret not in seen
    assert "★ Ana Pérez   •••••••••233 (this number)" in seen
    assert "Tax id        ••••••••674" in seen
    assert "(numbers masked here; ask me in a DM to see them)" in seen
    private = everything(ask(demo, "/lookup 600 11 22 33", dm=True).reply)
    assert "+34 600 11 22 33" in private and "ESB12345674" in private
    assert "phone=+34600112233" in private
    nif = everything(ask(demo, "/lookup nif 12345678Z", dm=False).reply)
    assert "12345678Z" not in nif and "••••••••78Z" in nif


def test_every_lookup_is_audited_with_who_and_what(demo: Services) -> None:
    ask(demo, "/lookup 600 11 22 33", dm=False, who="bruno")
    with transaction(demo.sessions) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.command, entry.text, entry.outcome, entry.space) == (
            "lookup", "/lookup 600 11 22 33", "ok", "C1")
        assert entry.person_id is not None


def test_operations_are_buttons_and_only_new_contact_without_an_account(chat: Chat) -> None:
    known = chat.say("alice", "/lookup 655555555")
    for name in ("New contact", "Open account", "New ticket", "Open tickets",
                 "New opportunity", "Log a note"):
        assert f"[{name}: /operation " in known
    assert "[Open account: /operation open-account account=" in known
    unknown = chat.say("alice", "/lookup 699 999 999")
    assert unknown.startswith("Nobody found for +34 699 99 99 99 (looked up as phone "
                              "number).")
    assert "[New contact: /operation new-contact phone=+34699999999]" in unknown
    assert "Open account" not in unknown and "New ticket" not in unknown


OPERATIONS = """\
- {code: open-account, name: Open in CRM, url: "https://crm.example.org/a/{account_id}?erp={erp_id}"}
- {code: new-ticket, name: New ticket, url: /tickets/new, enabled: false}
- code: open-invoice
  name: Open invoice
  url: "https://erp.example.org/invoices/{detail_code}?customer={erp_id}"
  asks_detail: true
"""


def test_operations_are_data(chat: Chat, demo: Services) -> None:
    with transaction(demo.sessions) as session:
        report = import_operations(session, OPERATIONS)
    assert report.kept == ["new-contact", "open-tickets", "new-opportunity", "log-note"]
    card = chat.say("alice", "/lookup vidal")
    assert "[Open in CRM: /operation open-account account=" in card
    assert "New ticket" not in card and "[Open invoice: " in card
    account = card.split("open-account account=")[1].split("]")[0]
    assert chat.say("alice", f"/operation open-account account={account}") == (
        f"Open in CRM: https://crm.example.org/a/{account}?erp=E-1003")
    asked = chat.say("alice", f"/operation open-invoice account={account}")
    assert asked.startswith(f"Open invoice needs a detail code: type /operation open-invoice "
                            f"account={account} CODE")
    assert chat.say("alice", f"/operation open-invoice account={account} F 2026/7") == (
        "Open invoice: https://erp.example.org/invoices/F%202026%2F7?customer=E-1003")
    relative = chat.say("alice", f"/operation log-note account={account}")
    assert "is relative and no web address is configured (CRM_URL" in relative
    assert chat.say("alice", "/operation new-ticket").startswith(
        "There is no enabled operation 'new-ticket'")
    assert "no account 999999" in chat.say("alice", "/operation open-account account=999999")


def test_relative_templates_open_on_the_configured_crm(db: Database, demo: Services) -> None:
    settings = make_settings(DATABASE_URL=db.url, CRM_URL="https://crm.example.org/")
    services = make_services(db, settings, demo.clock)  # type: ignore[arg-type]
    reply = ask(services, "/operation log-note account=3", dm=True).reply.text
    assert reply == ("Log a note: https://crm.example.org/web#model=res.partner&id=3"
                     "&view_type=form")


def test_a_directory_that_fails_means_the_lookup_did_not_happen(demo: Services) -> None:
    down = OdooClient("http://127.0.0.1:9", "db", "user", "secret", timeout=1)
    broken = dataclasses.replace(demo, directory=OdooDirectory(down, "ES"))
    result = ask(broken, "/lookup 600112233", dm=True)
    assert result.outcome == "failed"
    assert result.reply.text.startswith("/lookup did NOT happen: Odoo said: cannot be reached")


def test_unreadable_queries_say_why(chat: Chat) -> None:
    for typed, says in [
        ("/lookup", "Tell me what to look up"),
        ("/lookup 600 11 22", "That is not a phone number I can look up: '600 11 22' is not a "
                              "valid number for region ES"),
        ("/lookup nif 12345678A", "That is not a tax id: '12345678A' is not a valid tax id"),
        ("/lookup ¿?", "I can't look up '¿?'"),
    ]:
        assert chat.say("alice", typed).startswith(says), typed
