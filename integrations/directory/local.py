"""The local directory: accounts and contacts in our own store (``switchboard directory
import FILE.csv``). Every lookup is a few index probes (see store/callers/directory.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session, sessionmaker

from integrations.directory.base import (
    CONTACTS_SHOWN,
    Account,
    Contact,
    TooManyResults,
    account_number,
)
from store.callers import directory as store
from store.callers.directory import DirectoryAccount, DirectoryContact
from store.db import reading

# Rows of matches read before a lookup is declared too wide, per account allowed.
ROWS_PER_ACCOUNT = 20


class LocalDirectory:
    name = "the local directory"
    web_url = ""

    def __init__(self, sessions: sessionmaker[Session], web_url: str = "") -> None:
        self.sessions = sessions
        self.web_url = web_url

    def find(self, field: str, value: str, limit: int) -> list[Account]:
        cap = limit * ROWS_PER_ACCOUNT + 1
        with reading(self.sessions) as session:
            if field == "phone":
                pairs = [(a, c) for a, c in session.execute(store.phone_matches(value, cap))]
            elif field == "name":
                query_words = store.words(value)[:store.QUERY_WORDS_MAX]
                pairs = [(a, c) for a, c in session.execute(
                    store.name_matches(query_words, cap))] if query_words else []
            elif field in ("tax_id", "crm_code", "erp_code"):
                ids = session.scalars(store.accounts_where(field, value, limit + 1)).all()
                pairs = [(account_id, None) for account_id in ids]
            else:
                raise ValueError(f"unknown field {field!r}")
            account_ids = list(dict.fromkeys(a for a, _ in pairs))
            if len(pairs) >= cap or len(account_ids) > limit:
                raise TooManyResults(field, limit)
            marked = {c for _, c in pairs if c is not None}
            owning = {a for a, c in pairs if c is None}
            accounts = _load(session, account_ids, marked,
                             owning if field == "phone" else set())
        if field == "phone":
            # Accounts reached through a contact first, then those with the number themselves.
            accounts.sort(key=lambda a: (not a.identifiers, a.name.casefold(), a.id))
        else:
            accounts.sort(key=lambda a: (a.name.casefold(), a.id))
        return accounts

    def account(self, account_id: str) -> Account | None:
        number = account_number(account_id)
        if number is None:
            return None
        with reading(self.sessions) as session:
            found = _load(session, [number], set(), set())
        return found[0] if found else None


def _load(session: Session, account_ids: list[int], marked: set[int],
          owning: set[int]) -> list[Account]:
    """The accounts with a page of contacts each (the marked ones always included)."""
    if not account_ids:
        return []
    rows = store.accounts_by_id(session, account_ids)
    contacts: dict[int, list[DirectoryContact]] = {a: [] for a in rows}
    for contact in store.contacts_by_id(session, marked):
        contacts.setdefault(contact.account_id, []).append(contact)
    for account_id in rows:
        page = contacts[account_id]
        have = {c.id for c in page}
        for contact in session.scalars(store.first_contacts(account_id, CONTACTS_SHOWN)):
            if contact.id not in have and len(page) < CONTACTS_SHOWN:
                page.append(contact)
    totals: dict[int, int] = {a: n for a, n in session.execute(store.contact_counts(rows))}
    own = _numbers(session.scalars(store.own_phones(rows)), by_contact=False)
    contact_ids = [c.id for group in contacts.values() for c in group]
    theirs = _numbers(session.scalars(store.contact_phones(rows, contact_ids)),
                      by_contact=True)
    return [_account(rows[a], contacts.get(a, []), totals.get(a, 0), own, theirs, marked,
                     a in owning) for a in account_ids if a in rows]


def _numbers(phones: Iterable[store.DirectoryPhone], *, by_contact: bool) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for phone in phones:
        key = phone.contact_id if by_contact else phone.account_id
        if key is not None:
            found.setdefault(key, []).append(phone.number)
    return found


def _account(row: DirectoryAccount, contacts: list[DirectoryContact], total: int,
             own: dict[int, list[str]], theirs: dict[int, list[str]], marked: set[int],
             owns_number: bool) -> Account:
    shown = sorted(contacts, key=lambda c: (c.id not in marked, c.name_key, c.id))
    return Account(
        id=str(row.id), name=row.name, phones=tuple(own.get(row.id, [])), email=row.email,
        tax_id=row.tax_id, crm_code=row.crm_code, erp_code=row.erp_code,
        contacts=tuple(Contact(id=str(c.id), name=c.name, phones=tuple(theirs.get(c.id, [])),
                               email=c.email, identifier=c.id in marked) for c in shown),
        contacts_total=total, owns_number=owns_number)
