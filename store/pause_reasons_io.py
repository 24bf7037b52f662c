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

from store import activity
from store.activity import PauseReason
from store.base import update_fields
from store.imports import (
    ImportRejected,
    ImportReport,
    Problem,
    check_columns,
    dump_yaml,
    duplicate_codes,
    unknown_fields,
    yaml_entries,
)

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
    clean: list[dict[str, Any]] = []
    for entry in entries:
        fields, entry_problems = _clean(entry.raw, entry.label)
        problems += entry_problems
        clean.append(fields | {"__label__": entry.label})
    problems += _clashes(clean)
    if problems:
        raise ImportRejected(problems)
    return [{k: v for k, v in e.items() if k != "__label__"} for e in clean]


def _clean(raw: dict[Any, Any], label: str) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []

    def bad(name: str, why: str) -> None:
        problems.append(Problem(label, name, why))

    problems += unknown_fields(raw, FIELDS, label)
    raw_code = raw.get("code")
    code = raw_code.strip() if isinstance(raw_code, str) else ""
    if not CODE.match(code):
        bad("code", f"{raw_code!r} is missing or malformed: a lowercase letter, then up to 31 "
                    "lowercase letters, digits, '_' or '-'")
        code = ""
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


def _clashes(entries: list[dict[str, Any]]) -> list[Problem]:
    """A word (code or alias) may name one reason only, or a typed reason would be ambiguous."""
    problems, owner = duplicate_codes([(e["__label__"], e["code"]) for e in entries])
    for entry in entries:
        for alias in entry["aliases"]:
            if alias in owner and owner[alias] != entry["__label__"]:
                problems.append(Problem(entry["__label__"], "aliases",
                                        f"{alias!r} already names {owner[alias]}"))
            else:
                owner[alias] = entry["__label__"]
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
