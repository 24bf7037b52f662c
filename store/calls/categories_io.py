"""Typification categories import/export in YAML.

A list of ``{code, name, parent, keywords, color, enabled}``; ``parent`` is the code of
another category in the file, which gives the hierarchy (``Billing › Invoices › Copy``).
The file is the whole set: a stored category left out is disabled, not deleted, because
past calls were typified with it. Validated as a whole; any problem and nothing is
written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from store.base import update_fields
from store.calls import registry
from store.calls.registry import TypificationCategory
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

CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
FIELDS = ("code", "name", "parent", "keywords", "color", "enabled")
MAX_DEPTH = 5  # hierarchy levels


@dataclass
class CategoriesReport(ImportReport):
    disabled: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.disabled)} disabled (not in the "
                "file)")


def parse_categories(text: str) -> list[dict[str, Any]]:
    entries, problems = yaml_entries(text, "categories", "categories", one="category")
    cleaned, found, _ = clean_entries(entries, _clean)
    problems += found + _hierarchy(cleaned)
    if problems:
        raise ImportRejected(problems)
    return [fields for _, fields in cleaned]


def _clean(raw: dict[Any, Any], label: str) -> tuple[dict[str, Any], list[Problem]]:
    code, problems = coded_entry(raw, label, FIELDS, CODE, "up to 32 lowercase letters, "
                                 "digits, '.', '_' or '-'", fold=True)

    def bad(name: str, why: str) -> None:
        problems.append(Problem(label, name, why))

    raw_name = raw.get("name")
    name = raw_name.strip() if isinstance(raw_name, str) else ""
    if not name:
        bad("name", "missing: every category needs a name")
    parent = raw.get("parent")
    parent = str(parent).strip().lower() if parent not in (None, "") else None
    keywords_raw = raw.get("keywords") or []
    keywords: list[str] = []
    if not isinstance(keywords_raw, list):
        bad("keywords", "expected a list of words")
    else:
        for word in keywords_raw:
            if not isinstance(word, str) or not word.strip() or len(word) > 64:
                bad("keywords", f"{word!r} is not a word of 1 to 64 characters")
            elif word.strip().casefold() not in keywords:
                keywords.append(word.strip().casefold())
    color = raw.get("color")
    if color not in (None, "") and (not isinstance(color, str) or not COLOR.match(color)):
        bad("color", f"{color!r} is not a colour (expected #rgb or #rrggbb)")
        color = None
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        bad("enabled", "expected true or false")
    entry = {"code": code, "name": name, "parent": parent, "keywords": keywords,
             "color": color or None, "enabled": enabled is not False}
    columns = {k: v for k, v in entry.items() if k not in ("parent", "keywords")}
    return entry, problems + check_columns(TypificationCategory, columns, label)


def _hierarchy(cleaned: list[tuple[str, dict[str, Any]]]) -> list[Problem]:
    problems: list[Problem] = []
    parents = {e["code"]: e["parent"] for _, e in cleaned if e["code"]}
    for label, entry in cleaned:
        parent = entry["parent"]
        if parent is None or not entry["code"]:
            continue
        if parent not in parents:
            problems.append(Problem(label, "parent",
                                    f"{parent!r} is not a category code in this file"))
            continue
        chain, node = [entry["code"]], parent
        while node is not None and node not in chain and len(chain) <= MAX_DEPTH:
            chain.append(node)
            node = parents.get(node)
        if node is not None and node in chain:
            problems.append(Problem(label, "parent",
                                    "a loop: " + " → ".join([*chain, node])))
        elif len(chain) > MAX_DEPTH:
            problems.append(Problem(label, "parent",
                                    f"more than {MAX_DEPTH} levels deep"))
    return problems


def import_categories(session: Session, text: str) -> CategoriesReport:
    entries = parse_categories(text)
    report = CategoriesReport()
    stored = {c.code: c for c in registry.categories(session)}
    rows: dict[str, TypificationCategory] = {}
    for position, entry in enumerate(entries, start=1):
        values = {k: v for k, v in entry.items() if k != "parent"} | {"position": position}
        category = stored.get(entry["code"])
        if category is None:
            category = TypificationCategory(**values)
            session.add(category)
            report.created.append(entry["code"])
        elif update_fields(category, values):
            report.updated.append(entry["code"])
        else:
            report.unchanged.append(entry["code"])
        rows[entry["code"]] = category
    session.flush()
    for entry in entries:
        category = rows[entry["code"]]
        parent_id = rows[entry["parent"]].id if entry["parent"] else None
        if category.parent_id != parent_id:
            category.parent_id = parent_id
            if entry["code"] in report.unchanged:
                report.unchanged.remove(entry["code"])
                report.updated.append(entry["code"])
    for code, category in stored.items():
        if code not in rows and category.enabled:
            category.enabled = False
            report.disabled.append(code)
    session.flush()
    return report


def export_categories(session: Session) -> str:
    stored = registry.categories(session)
    by_id = {c.id: c for c in stored}
    rows = []
    for c in stored:
        row: dict[str, Any] = {"code": c.code, "name": c.name}
        if c.parent_id and c.parent_id in by_id:
            row["parent"] = by_id[c.parent_id].code
        row["keywords"] = list(c.keywords)
        if c.color:
            row["color"] = c.color
        row["enabled"] = c.enabled
        rows.append(row)
    return dump_yaml(rows)
