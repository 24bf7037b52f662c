"""The dialer CSV format, read and checked row by row (nothing is written here).

``;``-separated, a header row, columns ``name;phone1;phone2;phone3;email;company;tax_id;
crm_code;erp_code`` in any order, names case-insensitive, in English, Portuguese
(``nome``, ``telefone1``…, ``empresa``) or Spanish (``nombre``, ``telefono1``…,
``empresa``). Other columns are ignored (and named in the summary). Every row needs a name
and at least one valid phone, validated for the country it belongs to (``PHONE_REGION`` for
national forms); a row that contradicts an earlier one is bad too.
"""

from __future__ import annotations

import csv
import io
import re
from collections import deque
from collections.abc import Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import replace
from functools import lru_cache
from itertools import chain, islice
from typing import Any, NamedTuple, cast

import phonenumbers
from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from store import phones
from store.callers import tax_ids
from store.callers.directory import DirectoryAccount, DirectoryContact, fold, name_key
from store.imports import ImportRejected, Problem, check_columns, csv_rows, line_number
from store.workers import can_fork, forked_pool

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


class Row(NamedTuple):
    """A checked row (a tuple: a million of them are made and compared cheaply)."""

    line: str
    name: str
    phones: tuple[str, ...]
    email: str | None
    company: str | None
    tax_id: str | None
    crm_code: str | None
    erp_code: str | None


# ------------------------------------------------------------------------- the entry model


def _problem(why: str) -> PydanticCustomError:
    return PydanticCustomError("directory", "{why}", {"why": why})


def _region(info: ValidationInfo) -> str:
    return str((info.context or {}).get("region", "ES"))


@lru_cache(maxsize=1 << 14)
def _tax_id(raw: str, region: str) -> str:
    """Tax ids repeat (a company's on each of its contacts' rows): checked once each."""
    return tax_ids.normalize(raw, region)


class DirectoryEntry(BaseModel):
    """One row of a dialer CSV, checked: a name, E.164 phones, an email that looks like
    one, a normalized tax id, every value fitting its column. Its errors are the import's
    problems (``field``, ``why``); ``problems`` turns a ValidationError into them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    phone1: str | None = None  # E.164 once validated
    phone2: str | None = None
    phone3: str | None = None
    email: str | None = None
    company: str | None = None
    tax_id: str | None = None
    crm_code: str | None = None
    erp_code: str | None = None

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value:
            raise _problem("missing: every row needs a name")
        return value

    @field_validator("phone1", "phone2", "phone3")
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        region = _region(info)
        try:
            return phones.e164_many(value, region)
        except phones.BadPhone as exc:
            raise _problem(_phone_hint(value, region) or str(exc)) from None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not EMAIL.match(value):
            raise _problem(f"{value!r} is not an email address (expected name@domain.tld)")
        return value.lower() if value else None

    @field_validator("tax_id")
    @classmethod
    def _tax(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        try:
            return _tax_id(value, _region(info))
        except tax_ids.BadTaxId as exc:
            raise _problem(str(exc)) from None

    @field_validator("company", "crm_code", "erp_code")
    @classmethod
    def _optional(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="wrap")
    @classmethod
    def _whole_row(cls, values: Any, handler: ModelWrapValidatorHandler[DirectoryEntry]
                   ) -> DirectoryEntry:
        """The checks across cells, and every problem of the row at once."""
        found: list[tuple[str, str]] = []
        if "__extra__" in values:
            found.append(("row", "more cells than columns in the header (a ';' inside a "
                                 "value?)"))
        if not any(values.get(c) for c in PHONE_COLUMNS):
            found.append(("phone1", "missing: every row needs at least one valid phone"))
        company = values.get("company") or None
        if not _fit(values):
            found += [(p.field, p.why) for p in check_columns(
                DirectoryAccount, {"name": company or values.get("name", ""),
                                   "email": values.get("email") or None,
                                   "crm_code": values.get("crm_code") or None,
                                   "erp_code": values.get("erp_code") or None}, "")]
            if company:
                found += [(p.field, p.why) for p in check_columns(
                    DirectoryContact, {"name": values.get("name", "")}, "")]
        try:
            entry = handler(values)
        except ValidationError as exc:
            found += [(str(e["loc"][0]) if e["loc"] else "row", e["msg"])
                      for e in exc.errors(include_url=False)]
        else:
            if not found:
                return entry
        found.sort(key=lambda problem: _ORDER.get(problem[0], len(_ORDER)))
        raise ValidationError.from_exception_data(cls.__name__, [
            InitErrorDetails(type=_problem(why), loc=(name,), input=values.get(name))
            for name, why in found])

    def row(self, line: str) -> Row:
        numbers: list[str] = []
        for number in (self.phone1, self.phone2, self.phone3):
            if number and number not in numbers:
                numbers.append(number)
        return Row(line, self.name, tuple(numbers), self.email, self.company, self.tax_id,
                   self.crm_code, self.erp_code)


# The shortest column each cell may be stored in (a name is an account's or a contact's).
def _length(model: type[DirectoryAccount | DirectoryContact], column: str) -> int:
    return int(getattr(model.__table__.c[column].type, "length", 0) or 0)


_LIMITS = {"name": min(_length(DirectoryAccount, "name"), _length(DirectoryContact, "name")),
           "company": _length(DirectoryAccount, "name"),
           **{name: _length(DirectoryAccount, name) for name in ("email", "crm_code",
                                                                 "erp_code")}}
_SURROGATE = re.compile("[\ud800-\udfff]")


def _fit(values: dict[str, str]) -> bool:
    """True when no cell can fail ``check_columns`` (the common case, checked cheaply: one
    look at the whole row for NULs and surrogates, then the lengths)."""
    joined = "".join(values.values())
    if "\x00" in joined or (not joined.isascii() and _SURROGATE.search(joined)):
        return _fit_each(values)
    for name, limit in _LIMITS.items():
        value = values.get(name)
        if value and len(value) > limit:
            return False
    return True


def _fit_each(values: dict[str, str]) -> bool:
    for name, limit in _LIMITS.items():
        value = values.get(name)
        if value and (len(value) > limit or "\x00" in value
                      or (not value.isascii() and _SURROGATE.search(value))):
            return False
    return True


_ORDER = {name: i for i, name in enumerate(("row", "name", *PHONE_COLUMNS, "email", "tax_id",
                                            "company", "crm_code", "erp_code"))}


def problems(exc: ValidationError, label: str) -> list[Problem]:
    return [Problem(label, str(e["loc"][0]), e["msg"]) for e in exc.errors(include_url=False)]


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
    """Clean rows, the problems of the bad ones, and the ignored column names (the whole
    file in memory: for tests and small files; the import streams with ``entries``)."""
    ignored: list[str] = []
    rows: list[Row] = []
    found: list[Problem] = []
    for _label, row, row_problems in entries(io.StringIO(text, newline=""), region, ignored):
        found += row_problems
        if row is not None:
            rows.append(row)
    rows, clashed = clashes(rows)
    return rows, found + clashed, ignored


Entry = tuple[str, Row | None, list[Problem]]  # (label, the row or None, its problems)


def entries(lines: Iterable[str], region: str, ignored: list[str], *, workers: int = 0
            ) -> Iterator[Entry]:
    """(label, row or None, its problems) for each row of the file, in file order; the
    names of ignored columns are added to ``ignored``. Only checks a row on its own:
    ``clashes`` compares the rows of one account.

    With ``workers`` (and a file of more than a couple of blocks, on a platform that
    forks), the blocks of rows are read and checked by that many forked processes
    (``store.workers``) while the caller goes on with the rows before them; the rows, their
    labels and their problems are the same as read here."""
    if workers < 1 or not can_fork():
        yield from _entries(lines, region, ignored)
        return
    blocks = _blocks(lines)
    _first, head = next(blocks, (1, []))
    for _entry in _entries(head, region, ignored):  # the header's checks; it has no rows
        pass
    opening = list(islice(blocks, 2))
    if len(opening) < 2:  # a small file: not worth a process
        for first, block in opening:
            yield from _entries_of(head, first, block, region)
        return
    pending: deque[Future[list[Sent] | list[Problem]]] = deque()
    with forked_pool(workers) as pool:
        for first, block in chain(opening, blocks):
            pending.append(pool.submit(_block_entries, head, first, block, region))
            if len(pending) > 2 * workers:  # bounded: a few blocks ahead of the caller
                yield from _taken(pending.popleft())
        while pending:
            yield from _taken(pending.popleft())


BLOCK_LINES = 5_000  # lines a worker reads at a time…
BLOCK_CHARS = 4 << 20  # …or fewer, when they hold this many characters


def _blocks(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(its first line's number, its lines): the header's record first, then blocks of
    about BLOCK_LINES lines that each end where a record does. A record may span lines
    (a quoted value with a line break): a block ends only outside a quoted value
    (``_still_quoted``). A quote that never closes would hold the rest of the file: past
    csv's field size limit the block goes as it is, and its reader fails at the line the
    whole-file one would. A few blocks are in memory at once, so a block also ends at
    BLOCK_CHARS characters."""
    block: list[str] = []
    first = number = 1
    quoted = False
    quoted_chars = block_chars = 0
    limit = csv.field_size_limit()
    header = True
    for number, line in enumerate(lines, start=1):
        block.append(line)
        block_chars += len(line)
        if quoted or '"' in line:
            opened = not quoted
            quoted = _still_quoted(line, quoted)
            if quoted and opened:
                quoted_chars = 0
        if quoted:
            quoted_chars += len(line)
            if quoted_chars <= limit:
                continue
        if header or len(block) >= BLOCK_LINES or block_chars >= BLOCK_CHARS or quoted:
            yield first, block
            block, first, header, quoted, block_chars = [], number + 1, False, False, 0
    if block or header:
        yield first, block


def _still_quoted(line: str, quoted: bool) -> bool:
    """Whether the record goes on past ``line`` inside a quoted value, as csv reads it
    (``quoted``: the line starts inside one): a quote opens a value only at its start
    (``O"Brien`` is a name), inside one a doubled quote is a quote, and a single one
    closes it."""
    at_start = not quoted
    position, end = 0, len(line)
    while position < end:
        char = line[position]
        if quoted:
            if char == '"':
                if position + 1 < end and line[position + 1] == '"':
                    position += 1  # an escaped quote
                else:
                    quoted = False
        elif char == ";":
            at_start = True
        elif char == '"' and at_start:
            quoted, at_start = True, False
        else:
            at_start = False
        position += 1
    return quoted


def _entries_of(head: list[str], first: int, block: list[str], region: str
                ) -> Iterator[Entry]:
    """The entries of one block, labelled with the lines they have in the whole file."""
    return _entries([*head, *block], region, [], offset=first - len(head) - 1)


Sent = tuple[str, tuple[Any, ...] | None, list[Problem]]  # an Entry, its row a plain tuple


def _block_entries(head: list[str], first: int, block: list[str], region: str
                   ) -> list[Sent] | list[Problem]:
    """In a worker: the block's entries, their rows as plain tuples (a named tuple takes
    three times as long to pickle and unpickle), or the problems of a block that is not
    CSV (returned, not raised: ImportRejected does not survive the trip back)."""
    try:
        return [(label, None if row is None else tuple(row), found)
                for label, row, found in _entries_of(head, first, block, region)]
    except ImportRejected as exc:
        offset = first - len(head) - 1
        return [replace(p, entry=f"line {line_number(p.entry) + offset}")
                if line_number(p.entry) else p for p in exc.problems]


def _taken(future: Future[list[Sent] | list[Problem]]) -> Iterator[Entry]:
    found = future.result()
    if found and isinstance(found[0], Problem):
        raise ImportRejected(found)
    make = tuple.__new__
    for label, row, problems in cast(list[Sent], found):
        yield label, None if row is None else make(Row, row), problems


def _entries(lines: Iterable[str], region: str, ignored: list[str], offset: int = 0
             ) -> Iterator[Entry]:
    def header(name: str) -> str | None:
        column = _HEADER.get(_header(name))
        if column is None and name.strip():
            ignored.append(name.strip())
        return column

    context = {"region": region}
    validate = DirectoryEntry.model_validate
    for csv_row in csv_rows(lines, delimiter=";", header=header, required=("name", "phone1")):
        label = f"line {csv_row.line + offset}"
        row = clean_row(csv_row.values, region, label)
        if row is not None:
            yield label, row, []
            continue
        try:
            entry = validate(csv_row.values, context=context)
        except ValidationError as exc:
            yield label, None, problems(exc, label)
            continue
        yield label, entry.row(label), []


def clean_row(values: dict[str, str], region: str, line: str) -> Row | None:
    """The row ``DirectoryEntry`` makes of ``values`` when it finds nothing wrong, checked
    the same way without building the model (a third of the cost of a row); None when any
    check fails, and ``DirectoryEntry`` then says what (its errors are the problems). The
    equality with ``DirectoryEntry(...).row(line)`` is a test."""
    name = values.get("name")
    if not name or "__extra__" in values or not _fit(values):
        return None
    numbers: list[str] = []
    for column in PHONE_COLUMNS:
        raw = values.get(column)
        if raw:
            try:
                number = phones.e164_many(raw, region)
            except phones.BadPhone:
                return None
            if number not in numbers:
                numbers.append(number)
    if not numbers:
        return None
    email = values.get("email") or None
    if email is not None:
        if not EMAIL.match(email):
            return None
        email = email.lower()
    tax_id = values.get("tax_id") or None
    if tax_id is not None:
        try:
            tax_id = _national_id(tax_id, region) or _tax_id(tax_id, region)
        except tax_ids.BadTaxId:
            return None
    return Row(line, name, tuple(numbers), email, values.get("company") or None, tax_id,
               values.get("crm_code") or None, values.get("erp_code") or None)


_DNI = re.compile(r"[0-9]{8}[A-Za-z]")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _national_id(raw: str, region: str) -> str | None:
    """A Spanish DNI as ``tax_ids.normalize`` gives it (``ES12345678Z``), read without
    python-stdnum: private customers' DNIs do not repeat, so the cache of ``_tax_id`` does
    not help them. None for anything else (left to ``_tax_id``)."""
    if region not in ("ES", "BR") or not _DNI.fullmatch(raw):
        return None
    letter = raw[8].upper()
    if _DNI_LETTERS[int(raw[:8]) % 23] != letter:
        return None
    return "ES" + raw[:8] + letter


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


def clashes(rows: list[Row], keys: Sequence[Hashable] | None = None
            ) -> tuple[list[Row], list[Problem]]:
    """Rows that contradict an earlier row: the same contact twice, an account's own row
    twice, or one account given two different names, codes or tax ids. (A row without a
    company whose codes are a company's is that company's own row: its phones.)"""
    problems: list[Problem] = []
    kept: list[Row] = []
    accounts: dict[Hashable, Row] = {}
    contacts: dict[tuple[Hashable, str], Row] = {}
    own: dict[Hashable, Row] = {}  # accounts' own rows (no company column)
    for row, account_key in zip(rows, account_keys(rows) if keys is None else keys,
                                strict=True):
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
