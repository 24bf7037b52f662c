"""Which field a lookup means, and identifying a caller from what the PBX hands over.

``/lookup`` guesses the field from the text: a valid tax id, then a phone number, then a
code (one word with a digit: CRM code, then ERP code), else a name. The field can also be
said first: ``/lookup nif 12345678Z``, ``/lookup crm:1001``, ``/lookup name Ana``.

A ringing call is identified from its associated data first — CRM code, ERP code, tax id,
name, in that order, the first that finds someone wins — and from the caller's number
last. A field that matches more accounts than the limit does not identify anyone, so the
next one is tried.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from commands.callers.card import field_label
from commands.core import UsageError
from commands.words import fold
from integrations.directory import FIELDS, Account, Directory, TooManyResults
from integrations.directory.fields import BadValue, normalize, try_normalize
from store.i18n import _

# Words that name a field when typed before the value, in English, Catalan, Spanish and
# Portuguese (folded: lowercase, no accents).
FIELD_WORDS = {
    "phone": ("phone", "tel", "telefono", "telefone", "movil", "mobile", "telefon", "mobil",
              "celular"),
    "tax_id": ("tax", "taxid", "tax_id", "vat", "nif", "cif", "nie", "dni", "cpf", "cnpj"),
    "crm_code": ("crm", "crm_code", "crmcode"),
    "erp_code": ("erp", "erp_code", "erpcode", "ref"),
    "name": ("name", "nombre", "nome", "nom"),
}
_FIELD_OF = {word: field for field, words in FIELD_WORDS.items() for word in words}
# Keys of the PBX's associated data, per field (the field names themselves and synonyms).
DATA_KEYS = {
    "crm_code": ("crm_code", "crm", "crm_id"),
    "erp_code": ("erp_code", "erp", "erp_id", "ref"),
    "tax_id": ("tax_id", "vat", "nif", "cif", "cpf", "cnpj"),
    "name": ("name", "customer_name"),
}
_PHONE_CHARS = re.compile(r"^[\d\s+().\-/]+$")


@dataclass(frozen=True)
class Candidate:
    field: str
    value: str  # normalized


@dataclass(frozen=True)
class Found:
    field: str
    value: str
    accounts: list[Account]
    tried: tuple[Candidate, ...] = ()


def candidates(query: str, region: str) -> list[Candidate]:
    """The fields the text may be, most likely first; UsageError when it is none."""
    text = query.strip()
    if not text:
        raise UsageError(_("Tell me what to look up: a phone number, tax id, CRM/ERP code or "
                           "name (e.g. /lookup 600 11 22 33, /lookup nif 12345678Z)."))
    explicit = _explicit(text)
    if explicit is not None:
        field, raw = explicit
        try:
            return [Candidate(field, normalize(field, raw, region))]
        except BadValue as exc:
            raise UsageError(_("That is not a {field}: {why}.").format(
                field=field_label(field), why=exc)) from None
    found: list[Candidate] = []
    for field in ("tax_id", "phone"):
        value = try_normalize(field, text, region)
        if value is not None:
            found.append(Candidate(field, value))
    one_word = not any(ch.isspace() for ch in text)
    if one_word and any(ch.isdigit() for ch in text) and len(text) <= 64:
        found += [Candidate("crm_code", text), Candidate("erp_code", text)]
    name = try_normalize("name", text, region) if any(ch.isalpha() for ch in text) else None
    if name is not None:
        found.append(Candidate("name", name))
    if not found:
        if _PHONE_CHARS.match(text) and sum(ch.isdigit() for ch in text) >= 3:
            try:
                normalize("phone", text, region)
            except BadValue as exc:
                raise UsageError(_("That is not a phone number I can look up: {why}."
                                   ).format(why=exc)) from None
        raise UsageError(_("I can't look up {text}: it is not a phone number, tax id, code or "
                           "name.").format(text=repr(text)))
    return found


def _explicit(text: str) -> tuple[str, str] | None:
    match = re.match(r"^([^\s:]+)\s*[:\s]\s*(\S.*)$", text)
    if match is None:
        return None
    field = _FIELD_OF.get(fold(match.group(1)))
    return (field, match.group(2)) if field else None


def lookup(directory: Directory, tried: list[Candidate], limit: int) -> Found:
    """The first candidate that finds accounts (TooManyResults stops the search: that field
    matched, too widely). With no match, the last candidate with nothing found."""
    for candidate in tried:
        accounts = directory.find(candidate.field, candidate.value, limit)
        if accounts:
            return Found(candidate.field, candidate.value, accounts, tuple(tried))
    last = tried[-1]
    return Found(last.field, last.value, [], tuple(tried))


def call_candidates(caller: str | None, data: Mapping[str, Any] | None,
                    region: str) -> list[Candidate]:
    """What a ringing call can be identified by, in the order it is tried."""
    found: list[Candidate] = []
    for field in FIELDS:
        if field == "phone":
            value = try_normalize("phone", caller or "", region)
            if value is not None:
                found.append(Candidate("phone", value))
            continue
        for raw in _data_values(data or {}, DATA_KEYS[field]):
            value = try_normalize(field, raw, region)
            if value is not None:
                found.append(Candidate(field, value))
                break
    return found


def _data_values(data: Mapping[str, Any], keys: tuple[str, ...]) -> list[str]:
    """The values under any of ``keys`` (text or whole numbers), in the keys' order."""
    values = []
    for key in keys:
        value = data.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            values.append(str(value).strip())
    return values


def identify_call(directory: Directory, tried: list[Candidate], limit: int) -> Found | None:
    """The first candidate that identifies someone; too many matches → the next one."""
    for candidate in tried:
        try:
            accounts = directory.find(candidate.field, candidate.value, limit)
        except TooManyResults:
            continue
        if accounts:
            return Found(candidate.field, candidate.value, accounts, tuple(tried))
    return None
