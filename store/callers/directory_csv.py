"""The dialer CSV format, read and checked row by row (nothing is written here).

``;``-separated, a header row, columns ``name;phone1;phone2;phone3;email;company;tax_id;
crm_code;erp_code`` in any order, names case-insensitive, in English, Portuguese
(``nome``, ``telefone1``…, ``empresa``) or Spanish (``nombre``, ``telefono1``…,
``empresa``). Other columns are ignored (and named in the summary). Every row needs a name
and at least one valid phone, validated for the country it belongs to (``PHONE_REGION`` for
national forms); a row that contradicts an earlier one is bad too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers

from store import phones
from store.callers import tax_ids
from store.callers.directory import DirectoryAccount, DirectoryContact, fold, name_key
from store.imports import Problem, check_columns, read_csv

COLUMNS = ("name", "phone1", "phone2", "phone3", "email", "company", "tax_id", "crm_code",
           "erp_code")
PHONE_COLUMNS = ("phone1", "phone2", "phone3")
# Header names as folded by ``_header`` (lowercase, no accents, no spaces/_/-).
_ALIASES = {
    "name": ("name", "nome", "nombre", "fullname", "nombrecompleto", "nomecompleto"),
    "phone1": ("phone1", "telefone1", "telefono1", "phone", "telefone", "telefono", "tel1"),
    "phone2": ("phone2", "telefone2", "telefono2", "tel2"),
    "phone3": ("phone3", "telefone3", "telefono3", "tel3"),
    "email": ("email", "mail", "correo", "correoelectronico"),
    "company": ("company", "empresa", "compania", "companhia"),
    "tax_id": ("taxid", "vat", "nif", "cif", "nie", "cpf", "cnpj", "cpfcnpj", "nifcif",
               "documento"),
    "crm_code": ("crmcode", "codigocrm", "crm"),
    "erp_code": ("erpcode", "codigoerp", "erp"),
}
_HEADER = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}
EMAIL = re.compile(r"^[^@\s;]+@[^@\s;]+\.[^@\s.;]+$")


def _header(raw: str) -> str:
    return fold(raw).replace(" ", "")


@dataclass(frozen=True)
class Row:
    line: str
    name: str
    phones: tuple[str, ...]
    email: str | None
    company: str | None
    tax_id: str | None
    crm_code: str | None
    erp_code: str | None


def account_keys(rows: Sequence[Row]) -> list[tuple[str, ...]]:
    """Which account each row belongs to, found the way ``find_account`` finds a stored
    one: the first of its ERP code, CRM code, tax id and company name that an earlier row
    already gave an account, else a new account. Every identifier of the row then names
    that account too, so rows of one company that carry different sets of codes (one with
    ERP and CRM codes, one with the CRM code only, one with just the company) are one
    account, in a first import as in a re-import."""
    known: dict[tuple[str, str], tuple[str, ...]] = {}
    keys: list[tuple[str, ...]] = []
    for row in rows:
        names = [(kind, value) for kind, value in (
            ("erp", row.erp_code), ("crm", row.crm_code), ("tax", row.tax_id),
            ("company", name_key(row.company) if row.company else None)) if value]
        if not names:  # a private customer without codes: by name and first number
            keys.append(("person", name_key(row.name), row.phones[0] if row.phones else ""))
            continue
        key = next((known[name] for name in names if name in known), names[0])
        for name in names:
            known.setdefault(name, key)
        keys.append(key)
    return keys


# ------------------------------------------------------------------------- validating


def parse_rows(text: str, region: str) -> tuple[list[Row], list[Problem], list[str]]:
    """Clean rows, the problems of the bad ones, and the ignored column names."""
    ignored: list[str] = []

    def header(name: str) -> str | None:
        column = _HEADER.get(_header(name))
        if column is None and name.strip():
            ignored.append(name.strip())
        return column

    rows: list[Row] = []
    problems: list[Problem] = []
    for csv_row in read_csv(text, delimiter=";", header=header, required=("name", "phone1")):
        row, row_problems = _clean(csv_row.label, csv_row.values, region)
        if row_problems:
            problems += row_problems
        elif row is not None:
            rows.append(row)
    rows, clashes = _clashes(rows)
    return rows, problems + clashes, ignored


def _clean(label: str, values: dict[str, str], region: str) -> tuple[Row | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(name: str, why: str) -> None:
        problems.append(Problem(label, name, why))

    if "__extra__" in values:
        bad("row", "more cells than columns in the header (a ';' inside a value?)")
    name = values.get("name", "")
    if not name:
        bad("name", "missing: every row needs a name")
    numbers: list[str] = []
    for column in PHONE_COLUMNS:
        raw = values.get(column, "")
        if not raw:
            continue
        try:
            number = phones.e164(raw, region)
        except phones.BadPhone as exc:
            bad(column, _phone_hint(raw, region) or str(exc))
            continue
        if number not in numbers:
            numbers.append(number)
    if not numbers and not any(values.get(c) for c in PHONE_COLUMNS):
        bad("phone1", "missing: every row needs at least one valid phone")
    email = values.get("email") or None
    if email and not EMAIL.match(email):
        bad("email", f"{email!r} is not an email address (expected name@domain.tld)")
    tax_id = None
    if values.get("tax_id"):
        try:
            tax_id = tax_ids.normalize(values["tax_id"], region)
        except tax_ids.BadTaxId as exc:
            bad("tax_id", str(exc))
    company = values.get("company") or None
    crm_code = values.get("crm_code") or None
    erp_code = values.get("erp_code") or None
    problems += check_columns(DirectoryAccount, {"name": company or name, "email": email,
                                                 "crm_code": crm_code, "erp_code": erp_code},
                              label)
    if company:
        problems += check_columns(DirectoryContact, {"name": name}, label)
    if problems:
        return None, problems
    return Row(label, name, tuple(numbers), email.lower() if email else None, company, tax_id,
               crm_code, erp_code), []


def _phone_hint(raw: str, region: str) -> str | None:
    """A clearer reason for Brazil's old 8-digit mobiles (the 9 became mandatory in 2016)."""
    try:
        number = phonenumbers.parse(raw, region.upper())
    except phonenumbers.NumberParseException:
        return None
    national = str(number.national_number)
    if number.country_code == 55 and len(national) == 10 and national[2] in "6789":
        fixed = f"+55{national[:2]}9{national[2:]}"
        return (f"{raw!r} looks like an old 8-digit Brazilian mobile: mobiles have 13 digits "
                f"with the country code and a 9 in fifth place (did you mean {fixed}?)")
    return None


def _clashes(rows: list[Row]) -> tuple[list[Row], list[Problem]]:
    """Rows that contradict an earlier row: the same contact twice, an account's own row
    twice, or one account given two different names, codes or tax ids. (A row without a
    company whose codes are a company's is that company's own row: its phones.)"""
    problems: list[Problem] = []
    kept: list[Row] = []
    accounts: dict[tuple[str, ...], Row] = {}
    contacts: dict[tuple[tuple[str, ...], str], Row] = {}
    own: dict[tuple[str, ...], Row] = {}  # accounts' own rows (no company column)
    for row, account_key in zip(rows, account_keys(rows), strict=True):
        first = accounts.get(account_key)
        why = None
        if first is not None:
            for name in ("tax_id", "crm_code", "erp_code", "company"):
                mine, theirs = getattr(row, name), getattr(first, name)
                if name == "company":
                    mine, theirs = name_key(mine or ""), name_key(theirs or "")
                if mine and theirs and mine != theirs:
                    why = (name, f"{getattr(row, name)!r} differs from {getattr(first, name)!r} "
                                 f"given for the same account on {first.line}")
                    break
            if why is None and not row.company:
                # The account's own row (its phones) may come once, under its own name.
                if account_key in own:
                    why = ("name", f"the same customer is already on "
                                   f"{own[account_key].line}")
                elif first.company and name_key(first.company) != name_key(row.name):
                    why = ("name", f"{row.name!r} differs from {first.company!r} given for "
                                   f"the same account on {first.line}")
        if why is None and row.company:
            key = (account_key, name_key(row.name))
            if key in contacts:
                why = ("name", f"{row.name!r} at {row.company!r} is already on "
                               f"{contacts[key].line}")
            else:
                contacts[key] = row
        if why is not None:
            problems.append(Problem(row.line, *why))
            continue
        accounts.setdefault(account_key, row)
        if not row.company:
            own.setdefault(account_key, row)
        kept.append(row)
    return kept, problems
