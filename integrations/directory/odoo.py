"""The Odoo directory: ``res.partner`` over JSON-RPC (the shared ``OdooClient``).

An account is a commercial partner (a company, or a private customer with no parent); its
contacts are the partners whose ``commercial_partner_id`` it is. Fields: ``name``,
``phone``, ``mobile``, ``vat`` (tax id), ``ref`` (ERP code); the CRM code is the partner's
Odoo id.

Which of those the server has is asked once (``fields_get``, through the client), and only
those are read and searched: the current Odoo series has no ``mobile`` (one ``phone`` per
partner), and ``phone_mobile_search`` exists only with Odoo's phone mixin (the SMS / phone
validation modules). A field the server lacks narrows what is read, never fails a lookup:
no ``mobile`` reads and searches ``phone`` alone; no ``vat`` (or ``ref``) finds nothing by
tax id (or ERP code). docs/protocols/odoo.md has the fields per series.

Odoo keeps phone numbers as typed, so a phone lookup asks ``phone_mobile_search`` (Odoo's
own separator-insensitive search of the partner's numbers) for the national number; a
server without it is asked ``=ilike`` with the digits apart (``%6%0%0%1…%``) on each phone
field it has. Either way only partners whose number is the same E.164 number once read
with ``PHONE_REGION`` are kept. Tax ids are matched with and without the country prefix and
checked the same way. A name lookup asks ``ilike`` per word and keeps the partners where
each word starts a word of the name, as the local directory does — but Odoo compares
accents as typed (``perez`` does not find ``Pérez``) unless its database runs with
``unaccent``.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

from integrations.directory.base import (
    CONTACTS_SHOWN,
    Account,
    Contact,
    TooManyResults,
    account_number,
)
from integrations.odoo import OdooClient, OdooField
from store import phones
from store.callers import tax_ids
from store.callers.directory import fold, words

MODEL = "res.partner"
# Read when the server has them (with the type they must have to be read as text or a link).
READ = {"name": "char", "is_company": "boolean", "parent_id": "many2one",
        "commercial_partner_id": "many2one", "phone": "char", "mobile": "char", "vat": "char",
        "ref": "char", "email": "char"}
PHONES = ("phone", "mobile")  # a partner's numbers, in the order shown
PHONE_SEARCH = "phone_mobile_search"  # Odoo's phone mixin: searched, never read
ROWS_PER_ACCOUNT = 20  # partner rows read per account allowed before "too many"
CONTACTS_READ = 500  # contacts read for the accounts of one lookup


class OdooDirectory:
    name = "Odoo"

    def __init__(self, client: OdooClient, region: str, web_url: str = "") -> None:
        self.client = client
        self.region = region
        self.web_url = web_url or client.endpoint.removesuffix("/jsonrpc")

    def _fields(self) -> dict[str, OdooField]:
        """The partner fields this server has, of a type this backend can use (the client
        asks the server once)."""
        found = self.client.fields(MODEL, [*READ, PHONE_SEARCH])
        return {name: f for name, f in found.items()
                if f.type == READ.get(name, "char") and (f.type != "many2one" or
                                                        f.relation in ("", MODEL))}

    def _read(self) -> list[str]:
        return [name for name in READ if name in self._fields()]

    # ----------------------------------------------------------------- interface

    def find(self, field: str, value: str, limit: int) -> list[Account]:
        domain = self._domain(field, value)
        if domain is None:
            return []
        cap = limit * ROWS_PER_ACCOUNT + 1
        rows = self.client.search_read(MODEL, domain, self._read(), limit=cap, order="id")
        if len(rows) >= cap:
            raise TooManyResults(field, limit)
        rows = [r for r in rows if self._matches(field, value, r)]
        account_ids = list(dict.fromkeys(_account_id(r) for r in rows))
        if len(account_ids) > limit:
            raise TooManyResults(field, limit)
        marked: set[int] = set()
        owning: set[int] = set()
        for row in rows:
            if _account_id(row) == row["id"]:
                owning.add(row["id"])
            elif field in ("phone", "name"):
                marked.add(row["id"])
        accounts = self._load(account_ids, marked, owning if field == "phone" else set())
        if field == "phone":
            accounts.sort(key=lambda a: (not a.identifiers, a.name.casefold(), a.id))
        else:
            accounts.sort(key=lambda a: (a.name.casefold(), a.id))
        return accounts

    def account(self, account_id: str) -> Account | None:
        number = account_number(account_id)
        if number is None:
            return None
        rows = self.client.search_read(MODEL, [["id", "=", number]], self._read(), limit=1)
        if not rows:
            return None
        found = self._load([_account_id(rows[0])], set(), set())
        return found[0] if found else None

    # ----------------------------------------------------------------- searching

    def _domain(self, field: str, value: str) -> list[Any] | None:
        """What to ask Odoo for, or None when nothing can match (a CRM code that is no id,
        a field this server lacks): then nothing is asked."""
        if field == "crm_code":
            crm_id = account_number(value)
            return [["id", "=", crm_id]] if crm_id is not None else None
        if field not in ("phone", "tax_id", "erp_code", "name"):
            raise ValueError(f"unknown field {field!r}")
        have = self._fields()
        if field == "phone":
            national = str(phonenumbers.parse(value, None).national_number)
            phones = [name for name in PHONES if name in have]
            if not phones:
                return None
            if PHONE_SEARCH in have:
                return [[PHONE_SEARCH, "ilike", national]]
            # Without the phone mixin: the digits in order, anything between them.
            pattern = "%" + "%".join(national) + "%"
            return _any_of([[name, "=ilike", pattern] for name in phones])
        if field == "tax_id":
            if "vat" not in have:
                return None
            return _any_of([["vat", "=ilike", f] for f in tax_ids.variants(value)])
        if field == "erp_code":
            return [["ref", "=", value]] if "ref" in have else None
        # As typed, accents included: Odoo's ilike ignores case but not accents (unless
        # its database has the unaccent extension enabled).
        query = re.findall(r"\w+", value)
        return [["name", "ilike", w] for w in query] if query and "name" in have else None

    def _matches(self, field: str, value: str, row: dict[str, Any]) -> bool:
        """Odoo's search is wider than ours (contains, not equals): check each row."""
        if field == "phone":
            return value in self._numbers(row)
        if field == "tax_id":
            return tax_ids.try_normalize(_text(row.get("vat")), self.region) == value
        if field == "name":
            have = fold(_text(row.get("name"))).split()
            return all(any(h.startswith(w) for h in have) for w in words(value))
        return True

    def _numbers(self, row: dict[str, Any]) -> tuple[str, ...]:
        found: list[str] = []
        for name in PHONES:
            raw = _text(row.get(name))
            if not raw:
                continue
            number = phones.try_e164(raw, self.region) or raw
            if number not in found:
                found.append(number)
        return tuple(found)

    # ----------------------------------------------------------------- loading

    def _load(self, account_ids: list[int], marked: set[int], owning: set[int]) -> list[Account]:
        if not account_ids:
            return []
        read = self._read()
        heads = {r["id"]: r for r in self.client.search_read(
            MODEL, [["id", "in", account_ids]], read)}
        # Without commercial_partner_id (never seen, but not assumed), the direct parent.
        link = next((f for f in ("commercial_partner_id", "parent_id") if f in read), None)
        children = self.client.search_read(
            MODEL, [[link, "in", account_ids], ["id", "not in", account_ids]],
            read, limit=CONTACTS_READ, order="name" if "name" in read else "id") if link else []
        by_account: dict[int, list[dict[str, Any]]] = {a: [] for a in account_ids}
        for child in children:
            by_account.setdefault(_account_id(child), []).append(child)
        accounts = []
        for account_id in account_ids:
            head = heads.get(account_id)
            if head is None:
                continue
            group = sorted(by_account.get(account_id, []),
                           key=lambda r: (r["id"] not in marked, fold(_text(r.get("name")))))
            shown = group[:max(CONTACTS_SHOWN, sum(1 for r in group if r["id"] in marked))]
            accounts.append(Account(
                id=str(account_id), name=_text(head.get("name")), phones=self._numbers(head),
                email=_text(head.get("email")) or None,
                tax_id=tax_ids.try_normalize(_text(head.get("vat")), self.region)
                or (_text(head.get("vat")) or None),
                crm_code=str(account_id), erp_code=_text(head.get("ref")) or None,
                contacts=tuple(self._contact(r, marked) for r in shown),
                contacts_total=len(group), owns_number=account_id in owning))
        return accounts

    def _contact(self, row: dict[str, Any], marked: set[int]) -> Contact:
        return Contact(id=str(row["id"]), name=_text(row.get("name")),
                       phones=self._numbers(row), email=_text(row.get("email")) or None,
                       erp_id=_text(row.get("ref")) or None, identifier=row["id"] in marked)


def _any_of(terms: list[list[Any]]) -> list[Any]:
    """Odoo's prefix notation for term1 OR term2 OR …"""
    return [*(["|"] * (len(terms) - 1)), *terms]


def _text(value: Any) -> str:
    """Odoo answers ``false`` for an empty char field."""
    return value.strip() if isinstance(value, str) else ""


def _account_id(row: dict[str, Any]) -> int:
    commercial = row.get("commercial_partner_id")
    if isinstance(commercial, list) and commercial and isinstance(commercial[0], int):
        return commercial[0]
    parent = row.get("parent_id")
    if isinstance(parent, list) and parent and isinstance(parent[0], int):
        return parent[0]
    return int(row["id"])
