"""Operations import/export in YAML: a list of {code, name, url, asks_detail, enabled}.

An import makes the stored set the file's, with one exception: the default operations
(``builtin: true`` in an export) are never deleted. Leaving one out of the file keeps it
as it is; to hide it, import it with ``enabled: false``. The file's order is the order of
the buttons on a card. Validated as a whole; any problem and nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationInfo, field_validator
from sqlalchemy.orm import Session

from store.base import update_fields
from store.callers import operations
from store.callers.operations import PLACEHOLDERS, Operation
from store.imports import (
    CodedEntry,
    ColumnLine,
    ImportRejected,
    ImportReport,
    code_check,
    dump_yaml,
    flag,
    model_entries,
    yaml_entries,
)

CODE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


@dataclass
class OperationsReport(ImportReport):
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # defaults the file left out

    def summary(self) -> str:
        text = (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.removed)} removed")
        if self.kept:
            text += f"; defaults kept as they were: {', '.join(self.kept)}"
        return text


_CODE = code_check(CODE, "a lowercase letter, then up to 31 lowercase letters, digits, "
                         "'_' or '-'")


def _required(why: str) -> Any:
    def check(value: str) -> str:
        if not value:
            raise ValueError(why)
        return value
    return AfterValidator(check)


def _text_or_blank(value: Any) -> Any:
    return value if isinstance(value, str) else ""


def _url(value: str) -> str:
    if not value.startswith(("https://", "http://", "/")):
        raise ValueError("expected an http(s):// address, or a path starting with / "
                         "(relative to the CRM's web address)")
    try:
        used = operations.template_fields(value)
    except ValueError as exc:
        raise ValueError(f"not a valid template: {exc}") from None
    unknown = [name for name in used if name not in PLACEHOLDERS]
    if unknown:
        raise ValueError(", ".join(f"unknown placeholder {{{name}}}" for name in unknown)
                         + " (known: " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS) + ")")
    return value


def _builtin_flag(value: Any) -> Any:
    return value if value is None or isinstance(value, bool) else None  # read, not stored


class OperationEntry(CodedEntry):
    """One operation of an import. The context gives ``builtin`` (the default codes)."""

    code: Annotated[str, BeforeValidator(_CODE)] = ""
    name: Annotated[str, ColumnLine(Operation, "name"), BeforeValidator(_text_or_blank),
                    _required("missing: the button's label")] = ""
    url: Annotated[str, ColumnLine(Operation, "url"), BeforeValidator(_text_or_blank),
                   _required("missing: the URL template"), AfterValidator(_url)] = ""
    asks_detail: Annotated[bool, BeforeValidator(flag)] = False
    enabled: Annotated[bool, BeforeValidator(flag)] = True
    builtin: Annotated[bool | None, BeforeValidator(_builtin_flag)] = None

    @field_validator("asks_detail")
    @classmethod
    def _detail_in_url(cls, value: bool, info: ValidationInfo) -> bool:
        url = info.data.get("url")
        if url is not None and value != ("detail_code" in operations.template_fields(url)):
            raise ValueError("true exactly when the URL uses {detail_code}")
        return value

    @field_validator("builtin")
    @classmethod
    def _only_defaults(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        codes = (info.context or {}).get("builtin", set())
        code = info.data.get("code")
        if value is True and code and code not in codes:
            raise ValueError("only the default operations are built in ("
                             + ", ".join(sorted(codes)) + ")")
        return value

    def fields(self) -> dict[str, Any]:
        return self.model_dump(exclude={"builtin"})


FIELDS = tuple(OperationEntry.model_fields)


def parse_operations(text: str, builtin_codes: set[str]) -> list[dict[str, Any]]:
    entries, problems = yaml_entries(text, "operations", "operations")
    valid, found, _ = model_entries(entries, OperationEntry, _CODE,
                                    context={"builtin": builtin_codes})
    problems += found
    if problems:
        raise ImportRejected(problems)
    return [entry.fields() for _, entry in valid]


def import_operations(session: Session, text: str) -> OperationsReport:
    stored = {op.code: op for op in operations.all_operations(session)}
    builtin = {code for code, op in stored.items() if op.builtin}
    entries = parse_operations(text, builtin)
    report = OperationsReport()
    wanted = {e["code"] for e in entries}
    for code, op in stored.items():
        if code in wanted:
            continue
        if op.builtin:
            report.kept.append(code)
        else:
            session.delete(op)
            report.removed.append(code)
    session.flush()
    position = 0
    for entry in entries:
        position += 1
        existing = stored.get(entry["code"])
        if existing is None:
            session.add(Operation(position=position, builtin=False, **entry))
            report.created.append(entry["code"])
            continue
        changed = update_fields(existing, {**entry, "position": position})
        (report.updated if changed else report.unchanged).append(entry["code"])
    for code in report.kept:  # defaults left out go after the file's, in their old order
        position += 1
        stored[code].position = position
    session.flush()
    return report


def export_operations(session: Session) -> str:
    rows = []
    for op in operations.all_operations(session):
        row: dict[str, Any] = {"code": op.code, "name": op.name, "url": op.url,
                               "asks_detail": op.asks_detail, "enabled": op.enabled}
        if op.builtin:
            row["builtin"] = True
        rows.append(row)
    return dump_yaml(rows)
