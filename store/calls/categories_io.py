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
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field
from sqlalchemy.orm import Session

from store.base import update_fields
from store.calls import registry
from store.calls.registry import TypificationCategory
from store.imports import (
    WORD_MAX,
    CodedEntry,
    ColumnLine,
    ImportRejected,
    ImportReport,
    Line,
    Problem,
    code_check,
    dump_yaml,
    flag,
    model_entries,
    yaml_entries,
)

CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
MAX_DEPTH = 5  # hierarchy levels


@dataclass
class CategoriesReport(ImportReport):
    disabled: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.disabled)} disabled (not in the "
                "file)")


_CODE = code_check(CODE, "up to 32 lowercase letters, digits, '.', '_' or '-'", fold=True)


def _name(value: str) -> str:
    if not value:
        raise ValueError("missing: every category needs a name")
    return value


def _keywords(value: Any) -> Any:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValueError("expected a list of words")
    return value


def _keyword(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip() or len(value) > WORD_MAX:
        raise ValueError(f"{value!r} is not a word of 1 to {WORD_MAX} characters")
    return value.strip().casefold()


def _color(value: Any) -> Any:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not COLOR.fullmatch(value):
        raise ValueError(f"{value!r} is not a colour (expected #rgb or #rrggbb)")
    return value


class CategoryEntry(CodedEntry):
    """One typification category of an import."""

    code: Annotated[str, BeforeValidator(_CODE)] = ""
    name: Annotated[str, ColumnLine(TypificationCategory, "name", blank=""),
                    AfterValidator(_name)] = ""
    parent: Annotated[str | None, Line(numbers=True, lower=True, blank=None)] = None
    keywords: Annotated[list[Annotated[str, Line(), BeforeValidator(_keyword)]],
                        BeforeValidator(_keywords)] = Field(default_factory=list)
    color: Annotated[str | None, BeforeValidator(_color)] = None
    enabled: Annotated[bool, BeforeValidator(flag)] = True

    def fields(self) -> dict[str, Any]:
        return {**self.model_dump(), "keywords": list(dict.fromkeys(self.keywords))}


FIELDS = tuple(CategoryEntry.model_fields)


def parse_categories(text: str) -> list[dict[str, Any]]:
    entries, problems = yaml_entries(text, "categories", "categories", one="category")
    valid, found, _ = model_entries(entries, CategoryEntry, _CODE)
    cleaned = [(label, entry.fields()) for label, entry in valid]
    problems += found + _hierarchy([(e.label, _link(e.raw)) for e in entries])
    if problems:
        raise ImportRejected(problems)
    return [fields for _, fields in cleaned]


def _link(raw: dict[Any, Any]) -> dict[str, Any]:
    """An entry's code and parent as far as they are readable, valid or not otherwise: a
    loop or a missing parent is reported with the entry's other problems."""
    try:
        code = _CODE(raw.get("code"))
    except ValueError:
        code = ""
    parent = raw.get("parent")
    return {"code": code,
            "parent": str(parent).strip().lower() if parent not in (None, "") else None}


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
