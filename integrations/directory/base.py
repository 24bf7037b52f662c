"""The Directory interface (the ERP/CRM): who is calling, by phone, tax id, code or name.

Every backend answers ``find(field, value, limit)`` the same way (the contract suite in
tests/integrations/directory checks it):

- ``value`` is already normalized by the caller (``fields.normalize``): E.164 for a phone,
  ``store.callers.tax_ids`` form for a tax id, the code as typed for a CRM/ERP code, free text for
  a name (each word matches the start of a word of the name, accents and case ignored);
- accounts come each with their contacts; a contact that owns the number, or whose name
  matched, is marked ``identifier``;
- by phone, accounts whose contacts have the number come first, then accounts that have the
  number themselves; otherwise accounts are in name order;
- more than ``limit`` accounts raise ``TooManyResults``: a list is never cut silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# The identifying fields, in the order associated call data is tried (phone last).
FIELDS = ("crm_code", "erp_code", "tax_id", "name", "phone")
LABELS = {"crm_code": "CRM code", "erp_code": "ERP code", "tax_id": "tax id", "name": "name",
          "phone": "phone number"}
CONTACTS_SHOWN = 10  # contacts per account a lookup returns (identifiers always included)


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    phones: tuple[str, ...] = ()
    email: str | None = None
    erp_id: str | None = None
    identifier: bool = False


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    phones: tuple[str, ...] = ()
    email: str | None = None
    tax_id: str | None = None
    crm_code: str | None = None
    erp_code: str | None = None
    contacts: tuple[Contact, ...] = ()
    contacts_total: int = 0  # how many the account has (``contacts`` holds at most a page)
    owns_number: bool = False  # the account itself has the number looked up

    @property
    def identifiers(self) -> tuple[Contact, ...]:
        return tuple(c for c in self.contacts if c.identifier)


class TooManyResults(Exception):
    """More accounts than the limit matched: the asker must narrow the search."""

    def __init__(self, field: str, limit: int) -> None:
        super().__init__(f"more than {limit} accounts match that {LABELS.get(field, field)}")
        self.field = field
        self.limit = limit


def account_number(text: str) -> int | None:
    """An account id as people type it (``account=42``): 1 to 18 ASCII digits, else None.
    ``str.isdigit`` also accepts ``²`` and ``١``, which ``int`` refuses or reads as
    something else, and an unbounded run of digits overflows the database's integers."""
    if 0 < len(text) <= 18 and text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    return None


class Directory(Protocol):
    @property
    def name(self) -> str:
        """How people call this directory: "the local directory", "Odoo"."""
        ...

    @property
    def web_url(self) -> str:
        """The web address relative operation URLs are resolved against ("" for none)."""
        ...

    def find(self, field: str, value: str, limit: int) -> list[Account]:
        """Accounts matching ``value`` in ``field`` (one of FIELDS); TooManyResults past
        ``limit``; IntegrationError when the system fails."""
        ...

    def account(self, account_id: str) -> Account | None:
        """One account by its id in this directory, with its contacts."""
        ...
