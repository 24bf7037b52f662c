"""The one safe way in for every file import (YAML and CSV): bounded, strict, all-or-nothing.

Every import (people, pause reasons, and every import a capability adds) goes through
here, so each gets the same guarantees:

- a size cap (``IMPORT_MAX_BYTES``) checked before anything is parsed;
- UTF-8 required; any other encoding is refused with a message naming what it looks like;
- YAML without aliases (a 540-byte "billion laughs" file cannot become gigabytes), without
  duplicate keys (a second ``role:`` cannot quietly win) and without deep nesting;
- CSV with line numbers, a bounded field size and normalised header names;
- each entry checked by a pydantic model of the import (``EntryModel``) whose errors
  ``validate_entry`` turns into problems the same way for every import;
- fields checked against their column's length (``column_length``: the table says it) and
  type, and every text field kept to one line (``text_problem``: no NUL, line break or
  other control character), so the database never answers with a traceback and no name
  adds a line to a reply or a calendar feed;
- every problem collected as (entry, field, why) and raised together: nothing is written.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    model_validator,
)
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase
from yaml.nodes import MappingNode, Node

DEFAULT_MAX_BYTES = 5_000_000
MAX_DEPTH = 50  # nesting levels a YAML import may use; real files use three or four
INT_RANGE = (-(2**31), 2**31 - 1)  # the narrowest integer column (PostgreSQL INTEGER)
WORD_MAX = 64  # a word of a list kept as JSON (aliases, keywords, groups): no column says it


@dataclass(frozen=True)
class Problem:
    entry: str
    field: str
    why: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.field}: {self.why}"


def line_number(entry: str) -> int:
    """The line a problem's entry names (``line 12`` → 12); 0 for any other entry."""
    digits = entry.removeprefix("line ")
    return int(digits) if digits != entry and digits.isdigit() else 0


class ImportRejected(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported")


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged")


def reject(entry: str, name: str, why: str) -> ImportRejected:
    return ImportRejected([Problem(entry, name, why)])


# ------------------------------------------------------------------------- bytes → text


def read_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The file's text, refusing it unread past ``max_bytes`` and unless it is UTF-8.

    OSError (missing, unreadable) is left to the caller, which reports it as a usage error.
    """
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    return decode(data, max_bytes)


def decode(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    if len(data) > max_bytes:
        raise reject("file", "size", f"larger than {max_bytes:,} bytes (IMPORT_MAX_BYTES); "
                                     "split it or raise the limit")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise reject("file", "encoding",
                     f"not UTF-8 (byte {exc.start + 1}): {apparent_encoding(data)}; "
                     "save it as UTF-8 and import it again") from None
    if "\x00" in text:
        raise reject("file", "encoding", "contains NUL characters: it looks like a binary "
                                         "file, not text")
    return text


def check_text_start(sample: bytes) -> None:
    """Refuse a file streamed line by line whose first bytes show it is not UTF-8 text
    (NUL bytes: binary, UTF-16 or UTF-32), as ``decode`` refuses a whole one."""
    if b"\x00" in sample:
        raise reject("file", "encoding", f"not UTF-8 text: {apparent_encoding(sample)}; "
                                         "save it as UTF-8 and import it again")


def apparent_encoding(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16's:
        return "it looks like UTF-32"  # UTF-32 LE's BOM starts with UTF-16 LE's
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "it looks like UTF-16"
    sample = data[:4096]
    if sample.count(b"\x00") > len(sample) // 4:
        return "it looks like UTF-16 or a binary file"
    if b"\x00" in sample:
        return "it looks like a binary file"
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return "its encoding is unknown"
    return "it looks like Latin-1 / Windows-1252"


# ------------------------------------------------------------------------- YAML


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases, duplicate keys or unbounded nesting."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(f"line {line}: aliases (*name) are not "
                           "accepted in imports; write the value out")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(f"line {line}: anchors (&{anchor}) are not "
                           "accepted in imports; write the value out")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"line {line}: nested more than {MAX_DEPTH} "
                           "levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise _Refused(f"line {key_node.start_mark.line + 1}: a mapping key must be "
                               "a plain value") from None
            if key in seen:
                raise _Refused(f"line {key_node.start_mark.line + 1}: duplicate key {key!r} "
                               f"(first on line {seen[key]}); each key may appear once")
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


class _Refused(Exception):
    pass


def load_yaml(text: str) -> Any:
    """The parsed document, or ImportRejected saying why it is not acceptable YAML."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as exc:
        raise reject("file", "yaml", str(exc)) from None
    except yaml.YAMLError as exc:
        raise reject("file", "yaml", f"not valid YAML: {exc}") from None
    except (RecursionError, ValueError, OverflowError) as exc:
        raise reject("file", "yaml", f"not acceptable YAML: {type(exc).__name__}") from None


@dataclass(frozen=True)
class Entry:
    """One entry of a YAML list import: its label for problems ("entry 3 (lunch)")."""

    label: str
    raw: dict[Any, Any]


def yaml_entries(text: str, section: str, what: str, *,
                 one: str | None = None) -> tuple[list[Entry], list[Problem]]:
    """The entries of a YAML list of coded mappings (optionally under ``section:``), each
    labelled with its position and code; an entry that is not a mapping is a problem.
    ImportRejected when the file is not such a list at all, or (given ``one``, the singular
    of ``what``) when the list is empty."""
    data = load_yaml(text)
    if isinstance(data, dict) and section in data:
        data = data[section]
    if not isinstance(data, list):
        raise reject("file", "layout", f"expected a list of {what}")
    if one is not None and not data:
        raise reject("file", "layout", f"the list is empty: at least one {one} is needed")
    entries: list[Entry] = []
    problems: list[Problem] = []
    for index, raw in enumerate(data, start=1):
        label = f"entry {index}"
        if not isinstance(raw, dict):
            problems.append(Problem(label, "entry", "expected a mapping of fields"))
            continue
        code = raw.get("code")
        if isinstance(code, str | int) and not isinstance(code, bool) and str(code).strip():
            label += f" ({shown(str(code).strip())})"
        entries.append(Entry(label, raw))
    return entries, problems


def unknown_fields(raw: dict[Any, Any], fields: tuple[str, ...], label: str) -> list[Problem]:
    expected = ("one of " if len(fields) > 1 else "") + ", ".join(fields)
    return [Problem(label, name, f"unknown field (expected {expected})")
            for name in sorted(shown(k) for k in set(raw) - set(fields))]


def shown(key: Any) -> str:
    """A key of the file as a problem names it: as written when it is one plain line,
    quoted (repr) when it is empty or holds what a line cannot."""
    text = str(key)
    return text if text.strip() and text_problem(text) is None else repr(text)


def code_check(pattern: re.Pattern[str], rule: str, *,
               fold: bool = False) -> Callable[[Any], str]:
    """The check every coded entry's code goes through: stripped (given ``fold``, also
    lower-cased and taken from a number), or ValueError saying what a code looks like
    (``rule``)."""

    def check(value: Any) -> str:
        if fold:
            code = str(value or "").strip().lower()
        else:
            code = value.strip() if isinstance(value, str) else ""
        if not pattern.fullmatch(code):
            raise ValueError(f"{value!r} is missing or malformed: {rule}")
        return code

    return check


M = TypeVar("M", bound=BaseModel)


def model_entries(entries: list[Entry], model: type[M], code: Callable[[Any], str], *,
                  context: Mapping[str, Any] | None = None
                  ) -> tuple[list[tuple[str, M]], list[Problem], dict[str, str]]:
    """Each entry as a ``model``: the (label, entry) pairs of the valid ones in file order,
    every problem found (a code used twice among them too, whether or not its entries are
    valid otherwise), and code → the label of the entry that has it."""
    cleaned: list[tuple[str, M]] = []
    problems: list[Problem] = []
    codes: list[tuple[str, str]] = []
    for entry in entries:
        value, found = validate_entry(model, entry.raw, entry.label, context=context)
        problems += found
        if value is not None:
            cleaned.append((entry.label, value))
        with contextlib.suppress(ValueError):
            codes.append((entry.label, code(entry.raw.get("code"))))
    duplicates, owner = duplicate_codes(codes)
    return cleaned, problems + duplicates, owner


def duplicate_codes(labelled: list[tuple[str, str]]) -> tuple[list[Problem], dict[str, str]]:
    """(label, code) pairs → a problem for each code used twice, and code → first label."""
    owner: dict[str, str] = {}
    problems: list[Problem] = []
    for label, code in labelled:
        if not code:
            continue
        if code in owner:
            problems.append(Problem(label, "code", f"duplicate {code!r}, also used by "
                                                   f"{owner[code]}"))
        else:
            owner[code] = label
    return problems, owner


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# ------------------------------------------------------------------------- CSV


@dataclass(frozen=True)
class CsvRow:
    line: int  # the line of the file the row starts on (the header is line 1)
    values: dict[str, str]

    @property
    def label(self) -> str:
        return f"line {self.line}"


def read_csv(text: str, *, delimiter: str = ",",
             header: Callable[[str], str | None] = lambda name: name.strip().lower(),
             required: tuple[str, ...] = ()) -> Iterator[CsvRow]:
    """Rows as dicts keyed by ``header(name)`` (None drops a column).

    ImportRejected for a missing header, a missing required column, a duplicated column or
    a line that is not CSV (an unterminated quote, a field past csv's size limit)."""
    return csv_rows(io.StringIO(text, newline=""), delimiter=delimiter, header=header,
                    required=required)


def csv_rows(lines: Iterable[str], *, delimiter: str = ",",
             header: Callable[[str], str | None] = lambda name: name.strip().lower(),
             required: tuple[str, ...] = ()) -> Iterator[CsvRow]:
    """``read_csv`` of lines as they come (an open text file: any size, read as a stream;
    open it with ``newline=""``)."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        names = next(reader, None)
        if not names or not any(n.strip() for n in names):
            raise reject("file", "header", "the first line must name the columns")
        columns = [header(n) for n in names]
        present = [c for c in columns if c]
        duplicated = sorted({c for c in present if present.count(c) > 1})
        if duplicated:
            raise reject("file", "header", "column named twice: " + ", ".join(duplicated))
        missing = [c for c in required if c not in present]
        if missing:
            raise reject("file", "header", "missing column(s): " + ", ".join(missing))
        start = reader.line_num + 1
        kept = [(i, c) for i, c in enumerate(columns) if c]
        width = len(columns)
        for cells in reader:
            if not "".join(cells).strip():  # blank (a million-row file: no per-cell loop)
                start = reader.line_num + 1
                continue
            if len(cells) >= width:
                values = {c: cells[i].strip() for i, c in kept}
                if len(cells) > width and "".join(cells[width:]).strip():
                    values["__extra__"] = ";".join(cells[width:])
            else:
                values = {c: (cells[i].strip() if i < len(cells) else "") for i, c in kept}
            yield CsvRow(start, values)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise reject(f"line {reader.line_num}", "csv", f"not valid CSV: {exc}") from None


# ------------------------------------------------------------------------- columns


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_columns(model: type[DeclarativeBase], values: Mapping[str, Any],
                  entry: str) -> list[Problem]:
    """Problems with ``values`` against ``model``'s columns: strings longer than the column,
    integers outside the column's range, text with characters a database cannot store."""
    problems: list[Problem] = []
    table = model.__table__
    for name, value in values.items():
        if name not in table.c or value is None:
            continue
        column_type = table.c[name].type
        if isinstance(value, str):
            if "\x00" in value:
                problems.append(Problem(entry, name, "contains a NUL character"))
            elif not value.isascii() and _SURROGATE.search(value):
                problems.append(Problem(entry, name, "contains an unpaired surrogate"))
            length = getattr(column_type, "length", None)
            if isinstance(column_type, String) and length and len(value) > length:
                problems.append(Problem(entry, name, f"too long: {len(value):,} characters, "
                                                     f"at most {length}"))
        elif isinstance(value, int) and not isinstance(value, bool) \
                and isinstance(column_type, Integer) \
                and not INT_RANGE[0] <= value <= INT_RANGE[1]:
            problems.append(Problem(entry, name, f"out of range: {value}"))
    return problems


# ------------------------------------------------------------------------- entry models
#
# Each import describes one entry of its file as a pydantic model; ``validate_entry`` runs
# it and turns whatever pydantic finds into the same (entry, field, why) problems as
# everything above. A validator raises ValueError with the reason in the project's words;
# pydantic's own errors (a wrong type, a bound) are translated below.


class EntryModel(BaseModel):
    """Base of every import's entry model: fields are checked strictly (no "20" taken as
    20), fields the model does not know are reported by ``validate_entry`` first."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, validate_default=True)


class CodedEntry(EntryModel):
    """An entry named by its ``code``: a missing code is checked (and named) as None."""

    @model_validator(mode="before")
    @classmethod
    def _code_given(cls, data: Any) -> Any:
        return {"code": None, **data} if isinstance(data, dict) else data


def column_length(model: type[DeclarativeBase], name: str) -> int:
    """The length limit of ``model``'s string column ``name``: the one place it is said."""
    length = getattr(model.__table__.c[name].type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{name} is not a string column with a length")
    return length


# Characters no single-line text may hold: control characters (NUL, tab, CR, LF, the C1
# block), the Unicode line and paragraph separators, and unpaired surrogates (which no
# database stores).
_NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def text_problem(value: str, max_length: int | None = None) -> str | None:
    """Why ``value`` cannot be one line of stored text, or None when it can."""
    bad = _NOT_IN_A_LINE.search(value)
    if bad is not None:
        ch = bad.group()
        if ch == "\x00":
            return "contains a NUL character"
        if "\ud800" <= ch <= "\udfff":
            return "contains an unpaired surrogate"
        if ch in "\r\n\u2028\u2029":
            return "contains a line break: it must be one line"
        return f"contains a control character (U+{ord(ch):04X})"
    if max_length is not None and len(value) > max_length:
        return f"too long: {len(value):,} characters, at most {max_length}"
    return None


_KEEP: Any = object()


def line_text(max_length: int | None = None, *, numbers: bool = False, lower: bool = False,
              blank: Any = _KEEP) -> Callable[[Any], Any]:
    """A before-validator for one line of text: stripped (``lower``: lower-cased), a number
    taken as its digits when ``numbers`` (YAML reads 3001 as a number), ``blank`` for
    nothing (None or only spaces) when given, refused with the reason when it holds a line
    break, a control character or NUL, or is longer than ``max_length``. Anything that is
    not text is passed on for the field's type to refuse."""

    def check(value: Any) -> Any:
        if numbers and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if blank is not _KEEP and (value is None or (isinstance(value, str)
                                   and not value.strip())):
            return blank
        if not isinstance(value, str):
            return value
        value = value.strip()
        why = text_problem(value, max_length)
        if why is not None:
            raise ValueError(why)
        return value.lower() if lower else value

    return check


def Line(max_length: int | None = None, *, numbers: bool = False,
         lower: bool = False, blank: Any = _KEEP) -> BeforeValidator:
    """``line_text`` as the metadata of an ``Annotated[str, ...]`` field."""
    return BeforeValidator(line_text(max_length, numbers=numbers, lower=lower, blank=blank))


def ColumnLine(model: type[DeclarativeBase], name: str, *,
               numbers: bool = False, lower: bool = False,
               blank: Any = _KEEP) -> BeforeValidator:
    """A ``Line`` as long as ``model``'s column ``name`` allows."""
    return Line(column_length(model, name), numbers=numbers, lower=lower, blank=blank)


def matching(pattern: re.Pattern[str], why: Callable[[str], str]) -> AfterValidator:
    """An after-validator: the text (None passes) must match ``pattern`` as a whole."""

    def check(value: Any) -> Any:
        if value is not None and not pattern.fullmatch(value):
            raise ValueError(why(value))
        return value

    return AfterValidator(check)


def _why(error: Mapping[str, Any]) -> str:
    """A pydantic error in the project's words."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "import":  # a PydanticCustomError("import", "{why}", {"why": ...})
        return str(ctx["why"])
    if kind == "missing":
        return "missing"
    if kind in ("bool_type", "bool_parsing"):
        return "expected true or false"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{value!r} is not a whole number"
    if kind in ("string_type", "string_sub_type"):
        return f"{value!r} is not a text"
    if kind in ("list_type", "tuple_type"):
        return "expected a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "expected a mapping of fields"
    if kind == "string_too_long":
        return f"too long: {len(value or ''):,} characters, at most {ctx['max_length']}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {"greater_than_equal": "at least", "greater_than": "more than",
                 "less_than_equal": "at most", "less_than": "less than"}[kind]
        bound = next(iter(ctx.values()))
        return f"{value!r} is out of range: expected {words} {bound}"
    return str(error["msg"])


Where = Callable[[tuple[str | int, ...]], tuple[str, str]]


def field_path(loc: tuple[str | int, ...]) -> str:
    """A pydantic error location as a reader writes it: ``aliases[2]`` for the second item
    (counted from 1), ``a.b`` for a nested field."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        elif not part.startswith(("function-", "union[")):  # a type wrapper's own step
            text += ("." if text else "") + part
    return text


def problems_from(exc: ValidationError, entry: str, where: Where | None = None
                  ) -> list[Problem]:
    """Every error of a pydantic validation as (entry, field path, why); ``where`` names the
    (entry, field) of a location itself, for a document whose parts are entries of their
    own (a timetable's days and turns)."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        # A validator's own error may point inside its field ("at": hours[2]).
        loc = tuple(error["loc"]) + tuple((error.get("ctx") or {}).get("at", ()))
        if where is not None:
            label, name = where(loc)
        else:
            label, name = entry, field_path(loc) or "entry"
        problems.append(Problem(label, name, _why(error)))
    return problems


def validate_entry(model: type[M], raw: Mapping[Any, Any], entry: str, *,
                   context: Mapping[str, Any] | None = None,
                   unknown: bool = True) -> tuple[M | None, list[Problem]]:
    """``raw`` as a ``model``: (the entry, []) or (None, every problem: given ``unknown``,
    the fields the model does not know first, then each field's)."""
    fields = tuple(info.alias or name for name, info in model.model_fields.items())
    problems = unknown_fields(dict(raw), fields, entry) if unknown else []
    known = {k: v for k, v in raw.items() if k in fields}
    try:
        value = model.model_validate(known, context=dict(context or {}))
    except ValidationError as exc:
        return None, problems + problems_from(exc, entry)
    return (None if problems else value), problems


def whole_number(why: str, low: int = INT_RANGE[0], high: int = INT_RANGE[1], *,
                 optional: bool = True) -> Callable[[Any], Any]:
    """A before-validator for a whole number (never a boolean or a text): ``why`` when it
    is not one or is outside ``low``…``high`` (given ``optional``, None passes)."""

    def check(value: Any) -> Any:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            if isinstance(value, int) and not isinstance(value, bool) \
                    and (low, high) == INT_RANGE:
                raise ValueError(f"out of range: {value}")
            raise ValueError(why)
        return value

    return check


def flag(value: Any) -> Any:
    """A before-validator for true or false."""
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value
