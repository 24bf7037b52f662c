"""Operations import/export in YAML: a list of {code, name, url, asks_detail, enabled}.

An import makes the stored set the file's, with one exception: the default operations
(``builtin: true`` in an export) are never deleted. Leaving one out of the file keeps it
as it is; to hide it, import it with ``enabled: false``. The file's order is the order of
the buttons on a card. Validated as a whole; any problem and nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from store.base import update_fields
from store.callers import operations
from store.callers.operations import PLACEHOLDERS, Operation
from store.imports import (
    ImportRejected,
    ImportReport,
    Problem,
    check_columns,
    clean_entries,
    coded_entry,
    dump_yaml,
    yaml_entries,
)

CODE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
FIELDS = ("code", "name", "url", "asks_detail", "enabled", "builtin")


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


def parse_operations(text: str, builtin_codes: set[str]) -> list[dict[str, Any]]:
    entries, problems = yaml_entries(text, "operations", "operations")
    cleaned, found, _ = clean_entries(
        entries, lambda raw, label: _clean(raw, label, builtin_codes))
    problems += found
    if problems:
        raise ImportRejected(problems)
    return [fields for _, fields in cleaned]


def _clean(raw: dict[Any, Any], label: str,
           builtin_codes: set[str]) -> tuple[dict[str, Any], list[Problem]]:
    code, problems = coded_entry(raw, label, FIELDS, CODE, "a lowercase letter, then up to "
                                 "31 lowercase letters, digits, '_' or '-'")

    def bad(name: str, why: str) -> None:
        problems.append(Problem(label, name, why))

    raw_name = raw.get("name")
    name = raw_name.strip() if isinstance(raw_name, str) else ""
    if not name:
        bad("name", "missing: the button's label")
    raw_url = raw.get("url")
    asks_detail = raw.get("asks_detail", False)
    enabled = raw.get("enabled", True)
    for flag, value in (("asks_detail", asks_detail), ("enabled", enabled)):
        if not isinstance(value, bool):
            bad(flag, "expected true or false")
    url = raw_url.strip() if isinstance(raw_url, str) else ""
    if not url:
        bad("url", "missing: the URL template")
    else:
        problems += _check_url(url, bool(asks_detail), label)
    if raw.get("builtin") is True and code and code not in builtin_codes:
        bad("builtin", "only the default operations are built in ("
                       + ", ".join(sorted(builtin_codes)) + ")")
    entry = {"code": code, "name": name, "url": url,
             "asks_detail": asks_detail is True, "enabled": enabled is not False}
    return entry, problems + check_columns(Operation, entry, label)


def _check_url(url: str, asks_detail: bool, label: str) -> list[Problem]:
    if not url.startswith(("https://", "http://", "/")):
        return [Problem(label, "url", "expected an http(s):// address, or a path starting "
                                      "with / (relative to the CRM's web address)")]
    try:
        used = operations.template_fields(url)
    except ValueError as exc:
        return [Problem(label, "url", f"not a valid template: {exc}")]
    problems = [Problem(label, "url", f"unknown placeholder {{{name}}} (known: "
                                      + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS) + ")")
                for name in used if name not in PLACEHOLDERS]
    if asks_detail != ("detail_code" in used):
        problems.append(Problem(label, "asks_detail",
                                "true exactly when the URL uses {detail_code}"))
    return problems


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
