"""Pause reasons import/export in YAML: a list of {code, label, max_minutes, aliases}.

An import replaces the whole set. It is validated as a whole first; with any problem
nothing is written and every problem is reported with its entry, field and reason.
The pause log refers to reasons by code, so its rows stay as they are whatever the
new set holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from sqlalchemy.orm import Session

from store.base import update_fields
from store.imports import (
    INT_RANGE,
    WORD_MAX,
    CodedEntry,
    ImportRejected,
    ImportReport,
    Line,
    Problem,
    code_check,
    column_length,
    dump_yaml,
    model_entries,
    yaml_entries,
)
from store.queue import activity
from store.queue.activity import PauseReason

__all__ = ["FIELDS", "ImportRejected", "Problem", "ReasonsReport", "export_reasons",
           "import_reasons", "parse_reasons"]

CODE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


@dataclass
class ReasonsReport(ImportReport):
    removed: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------- validating


_CODE = code_check(CODE, "a lowercase letter, then up to 31 lowercase letters, digits, "
                         "'_' or '-'")
LABEL_MAX = column_length(PauseReason, "label")
ALIAS_MAX = WORD_MAX


def _label(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # a label is optional: the code, capitalised
    if not isinstance(value, str) or len(value.strip()) > LABEL_MAX:
        raise ValueError(f"expected a text of at most {LABEL_MAX} characters")
    return value


def _limit(value: Any) -> Any:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or not 0 < value <= INT_RANGE[1]):
        raise ValueError(f"{value!r} is not allowed: expected a positive whole number of "
                         "minutes, or null for no limit")
    return value


def _aliases(value: Any) -> Any:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValueError("expected a list of words")
    return value


def _alias(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip() or len(value) > ALIAS_MAX:
        raise ValueError(f"{value!r} is not a word of 1 to {ALIAS_MAX} characters")
    return value.strip().casefold()


class ReasonEntry(CodedEntry):
    """One pause reason of an import."""

    code: Annotated[str, BeforeValidator(_CODE)] = ""
    label: Annotated[str | None, Line(), BeforeValidator(_label)] = None
    max_minutes: Annotated[int | None, BeforeValidator(_limit)] = None
    aliases: Annotated[list[Annotated[str, Line(), BeforeValidator(_alias)]],
                       BeforeValidator(_aliases)] = Field(default_factory=list)

    def fields(self) -> dict[str, Any]:
        """The entry as the columns of its row."""
        words = [w for w in dict.fromkeys(self.aliases) if w != self.code]
        return {"code": self.code, "label": self.label or self.code.capitalize(),
                "max_minutes": self.max_minutes, "aliases": words}


FIELDS = tuple(ReasonEntry.model_fields)


def parse_reasons(text: str) -> list[dict[str, Any]]:
    """Normalised entries in file order, or ImportRejected naming every problem."""
    entries, problems = yaml_entries(text, "pause_reasons", "pause reasons",
                                     one="pause reason")
    valid, found, owner = model_entries(entries, ReasonEntry, _CODE)
    cleaned = [(label, entry.fields()) for label, entry in valid]
    problems += found + _alias_clashes([(e.label, _words(e.raw)) for e in entries], owner)
    if problems:
        raise ImportRejected(problems)
    return [fields for _, fields in cleaned]


def _words(raw: dict[Any, Any]) -> dict[str, Any]:
    """An entry's readable aliases, valid or not otherwise: a clash is reported with the
    entry's other problems."""
    try:
        code = _CODE(raw.get("code"))
    except ValueError:
        code = ""
    words: list[str] = []
    aliases = raw.get("aliases")
    for alias in aliases if isinstance(aliases, list) else []:
        try:
            word = _alias(alias)
        except ValueError:
            continue
        if word != code and word not in words:
            words.append(word)
    return {"aliases": words}


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
