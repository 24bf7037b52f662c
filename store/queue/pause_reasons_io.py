"""Pause reasons import/export in YAML: a list of {code, label, max_minutes, aliases}.

An import replaces the whole set. It is validated as a whole first; with any problem
nothing is written and every problem is reported with its entry, field and reason.
The pause log refers to reasons by code, so its rows stay as they are whatever the
new set holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from store.base import update_fields
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
from store.queue import activity
from store.queue.activity import PauseReason

__all__ = ["FIELDS", "ImportRejected", "Problem", "ReasonsReport", "export_reasons",
           "import_reasons", "parse_reasons"]

CODE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
FIELDS = ("code", "label", "max_minutes", "aliases")
LABEL_MAX, ALIAS_MAX = 100, 64


@dataclass
class ReasonsReport(ImportReport):
    removed: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------- validating


def parse_reasons(text: str) -> list[dict[str, Any]]:
    """Normalised entries in file order, or ImportRejected naming every problem."""
    entries, problems = yaml_entries(text, "pause_reasons", "pause reasons",
                                     one="pause reason")
    cleaned, found, owner = clean_entries(entries, _clean)
    problems += found + _alias_clashes(cleaned, owner)
    if problems:
        raise ImportRejected(problems)
    return [fields for _, fields in cleaned]


def _clean(raw: dict[Any, Any], label: str) -> tuple[dict[str, Any], list[Problem]]:
    code, problems = coded_entry(raw, label, FIELDS, CODE, "a lowercase letter, then up to "
                                 "31 lowercase letters, digits, '_' or '-'")

    def bad(name: str, why: str) -> None:
        problems.append(Problem(label, name, why))

    raw_label = raw.get("label")
    if raw_label is None or (isinstance(raw_label, str) and not raw_label.strip()):
        name = code.capitalize()  # a label is optional: the code, capitalised
    elif not isinstance(raw_label, str) or len(raw_label.strip()) > LABEL_MAX:
        bad("label", f"expected a text of at most {LABEL_MAX} characters")
        name = code
    else:
        name = raw_label.strip()
    limit = raw.get("max_minutes")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit <= 0):
        bad("max_minutes", f"{limit!r} is not allowed: expected a positive whole number of "
                           "minutes, or null for no limit")
        limit = None
    aliases_raw = raw.get("aliases") or []
    aliases: list[str] = []
    if not isinstance(aliases_raw, list):
        bad("aliases", "expected a list of words")
    else:
        for alias in aliases_raw:
            if not isinstance(alias, str) or not alias.strip() or len(alias) > ALIAS_MAX:
                bad("aliases", f"{alias!r} is not a word of 1 to {ALIAS_MAX} characters")
                continue
            word = alias.strip().casefold()
            if word != code and word not in aliases:
                aliases.append(word)
    entry = {"code": code, "label": name, "max_minutes": limit, "aliases": aliases}
    return entry, problems + check_columns(PauseReason, entry, label)


def _alias_clashes(cleaned: list[tuple[str, dict[str, Any]]],
                   owner: dict[str, str]) -> list[Problem]:
    """A word (code or alias) may name one reason only, or a typed reason would be ambiguous."""
    problems: list[Problem] = []
    for label, entry in cleaned:
        for alias in entry["aliases"]:
            if alias in owner and owner[alias] != label:
                problems.append(Problem(label, "aliases",
                                        f"{alias!r} already names {owner[alias]}"))
            else:
                owner[alias] = label
    return problems


# ------------------------------------------------------------------------- applying


def import_reasons(session: Session, text: str) -> ReasonsReport:
    """Validate the whole file, then make the stored set exactly the file's.

    The caller owns the transaction; a reason keeps its row (by code) when it stays.
    """
    entries = parse_reasons(text)
    report = ReasonsReport()
    stored = {r.code: r for r in activity.reasons(session)}
    wanted = {e["code"] for e in entries}
    for code, old in stored.items():
        if code not in wanted:
            session.delete(old)
            report.removed.append(code)
    session.flush()
    for position, entry in enumerate(entries, start=1):
        reason = stored.get(entry["code"])
        if reason is None:
            session.add(PauseReason(position=position, **entry))
            report.created.append(entry["code"])
            continue
        changed = update_fields(reason, {**entry, "position": position})
        (report.updated if changed else report.unchanged).append(entry["code"])
    session.flush()
    return report


def export_reasons(session: Session) -> str:
    rows = [{"code": r.code, "label": r.label, "max_minutes": r.max_minutes,
             "aliases": list(r.aliases)} for r in activity.reasons(session)]
    return dump_yaml(rows)
