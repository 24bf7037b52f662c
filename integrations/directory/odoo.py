"""The Odoo directory: ``res.partner`` over JSON-RPC (the shared ``OdooClient``).

An account is a commercial partner (a company, or a private customer with no parent); its
contacts are the partners whose ``commercial_partner_id`` it is. Fields: ``name``,
``phone``, ``mobile``, ``vat`` (tax id), ``ref`` (ERP code); the CRM code is the partner's
Odoo id.

Odoo keeps phone numbers as typed, so a phone lookup asks ``phone_mobile_search`` (Odoo's
own separator-insensitive search of phone and mobile, from its phone validation mixin) for
the national number, then keeps only partners whose phone or mobile is the same E.164
number once read with ``PHONE_REGION``. Tax ids are matched with and without the country
prefix and checked the same way. A name lookup asks ``ilike`` per word and keeps the
partners where each word starts a word of the name, as the local directory does — but
Odoo compares accents as typed (``perez`` does not find ``Pérez``) unless its database
runs with ``unaccent``.
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
from integrations.odoo import OdooClient
from store import phones
from store.callers import tax_ids
from store.callers.directory import fold, words

MODEL = "res.partner"
READ = ["name", "is_company", "parent_id", "commercial_partner_id", "phone", "mobile", "vat",
        "ref", "email"]
ROWS_PER_ACCOUNT = 20  # partner rows read per account allowed before "too many"
CONTACTS_READ = 500  # contacts read for the accounts of one lookup


class OdooDirectory:
    name = "Odoo"

    def __init__(self, client: OdooClient, region: str, web_url: str = "") -> None:
        self.client = client
        self.region = region
        self.web_url = web_url or client.endpoint.removesuffix("/jsonrpc")

    # ----------------------------------------------------------------- interface

    def find(self, field: str, value: str, limit: int) -> list[Account]:
        domain = self._domain(field, value)
        if domain is None:
            return []
        cap = limit * ROWS_PER_ACCOUNT + 1
        rows = self.client.search_read(MODEL, domain, READ, limit=cap, order="id")
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
        rows = self.client.search_read(MODEL, [["id", "=", number]], READ, limit=1)
        if not rows:
            return None
        found = self._load([_account_id(rows[0])], set(), set())
        return found[0] if found else None

    # ----------------------------------------------------------------- searching

    def _domain(self, field: str, value: str) -> list[Any] | None:
        if field == "phone":
            number = phonenumbers.parse(value, None)
            return [["phone_mobile_search", "ilike", str(number.national_number)]]
        if field == "tax_id":
            forms = tax_ids.variants(value)
            return [*(["|"] * (len(forms) - 1)), *(["vat", "=ilike", f] for f in forms)]
        if field == "crm_code":
            crm_id = account_number(value)
            return [["id", "=", crm_id]] if crm_id is not None else None
        if field == "erp_code":
            return [["ref", "=", value]]
        if field == "name":
            # As typed, accents included: Odoo's ilike ignores case but not accents (unless
            # its database has the unaccent extension enabled).
            query = re.findall(r"\w+", value)
            return [["name", "ilike", w] for w in query] or None
        raise ValueError(f"unknown field {field!r}")

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
        for name in ("phone", "mobile"):
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
        heads = {r["id"]: r for r in self.client.search_read(
            MODEL, [["id", "in", account_ids]], READ)}
        children = self.client.search_read(
            MODEL, [["commercial_partner_id", "in", account_ids], ["id", "not in", account_ids]],
            READ, limit=CONTACTS_READ, order="name")
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
