"""People import/export in YAML: a plain list, or Tomatic's ``persons.yaml`` layout.

An import is validated as a whole first; with any problem nothing is written and
every problem is reported with its entry, field and reason.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field
from sqlalchemy.orm import Session

from store import i18n
from store.base import update_fields
from store.imports import (
    WORD_MAX,
    ColumnLine,
    EntryModel,
    ImportRejected,
    ImportReport,
    Line,
    Problem,
    dump_yaml,
    flag,
    load_yaml,
    matching,
    shown,
    text_problem,
    validate_entry,
    whole_number,
)
from store.team import people
from store.team.people import ROLES, Person

__all__ = ["ImportRejected", "ImportReport", "Problem", "export_people", "export_tomatic",
           "import_people", "parse_yaml", "validate"]

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
EXTENSION = re.compile(r"^[0-9A-Za-z*#+_.-]{1,32}$")
GOOGLE_ID = re.compile(r"^users/[A-Za-z0-9_.@-]+$")
SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

# Tomatic persons.yaml maps → our field. Every map of that layout is listed: none is dropped.
TOMATIC_MAPS = {"names": "name", "extensions": "extension", "emails": "email",
                "tables": "desk", "colors": "color", "erpusers": "erp_user",
                "idealloads": "ideal_load", "languages": "language"}
ROLE_GROUPS = {"admin": "admin", "coordinator": "coordinator", "coordinators": "coordinator"}
# Sections real persons.yaml files carry that Switchboard has no use for: read, not stored.
TOMATIC_IGNORED = {"notoi_ids"}
# Timetable placeholders ("nobody", "holiday") that Tomàtic lists among persons for colors.
TOMATIC_PLACEHOLDERS = {"ningu", "festiu"}
# Tomàtic draws an empty cell with the ``ningu`` entry of persons.yaml: its name ``-`` and
# its colour. Switchboard stores no placeholder, so its export writes Tomàtic's own.
TOMATIC_NOBODY = {"names": "-", "colors": "ffffff"}


# ------------------------------------------------------------------------- reading


def parse_yaml(text: str) -> list[dict[str, Any]]:
    """Return one raw dict per person, whichever layout the file uses."""
    data = load_yaml(text)
    if isinstance(data, dict) and "people" in data:
        data = data["people"]
    if isinstance(data, dict) and isinstance(data.get("persons"), dict):
        data = data["persons"]
    if isinstance(data, list):
        return [e if isinstance(e, dict) else {"__bad__": e} for e in data]
    if isinstance(data, dict):
        return _from_tomatic(data)
    raise ImportRejected([Problem("file", "layout",
                                  "expected a list of people or Tomatic's persons.yaml maps")])


def _from_tomatic(data: dict[str, Any]) -> list[dict[str, Any]]:
    unknown = set(data) - set(TOMATIC_MAPS) - {"groups"} - TOMATIC_IGNORED
    if unknown:
        raise ImportRejected([Problem("file", name, "unknown persons.yaml section")
                              for name in sorted(unknown)])
    entries: dict[str, dict[str, Any]] = {}

    def entry(key: Any) -> dict[str, Any]:
        return entries.setdefault(str(key), {"key": str(key), "groups": []})

    for section, target in TOMATIC_MAPS.items():
        for key, value in (data.get(section) or {}).items():
            entry(key)[target] = value
    for group, members in (data.get("groups") or {}).items():
        for key in members or []:
            person = entry(key)
            if group in ROLE_GROUPS:
                if ROLE_GROUPS[group] == "admin" or person.get("role") != "admin":
                    person["role"] = ROLE_GROUPS[group]
            else:
                person["groups"].append(str(group))
    for key in TOMATIC_PLACEHOLDERS:
        entries.pop(key, None)
    for person in entries.values():
        # Tomàtic shows a person without a name as their key in title case.
        if not str(person.get("name") or "").strip():
            person["name"] = person["key"].title()
    return [entries[k] for k in sorted(entries)]


# ------------------------------------------------------------------------- validating


def _name(value: str) -> str:
    if not value:
        raise ValueError("missing: every person needs a display name")
    return value


def _role(value: str) -> str:
    if value not in ROLES:
        raise ValueError(f"{value!r} is not a role (expected one of {', '.join(ROLES)})")
    return value


def _groups(value: Any) -> Any:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(g, str) and g for g in value):
        raise ValueError("expected a list of group names")
    for group in value:
        why = text_problem(group, WORD_MAX)
        if why is not None:
            raise ValueError(f"group {group[:40]!r}: {why}")
    return sorted(set(value))


_WHOLE = BeforeValidator(whole_number("expected a whole number"))


def _language(value: str | None) -> str | None:
    if value is None:
        return None
    code = i18n.normalise(value)
    if code is None:
        raise ValueError(f"{value!r} is not a language Switchboard speaks (expected one of "
                         f"{', '.join(i18n.LANGUAGES)})")
    return code


def _pbx_name(value: str | None) -> str | None:
    if value is not None and "|" in value:
        raise ValueError("a member name has no '|' (the queue_log's separator)")
    return " ".join(value.split()) if value else value


class PersonEntry(EntryModel):
    """One person of an import, its fields in the order their problems are listed."""

    key: Annotated[str, Line(numbers=True, blank=""), matching(
        KEY, lambda _: "missing or malformed: lowercase letters, digits, '.', '_' or '-'")] = ""
    name: Annotated[str, ColumnLine(Person, "name", numbers=True, blank=""),
                    AfterValidator(_name)] = ""
    email: Annotated[str | None, ColumnLine(Person, "email", numbers=True, lower=True,
                                            blank=None), matching(
        EMAIL, lambda v: f"{v!r} is not a valid address (expected name@domain.tld)")] = None
    role: Annotated[str, Line(numbers=True, lower=True, blank="agent"),
                    AfterValidator(_role)] = "agent"
    extension: Annotated[str | None, ColumnLine(Person, "extension", numbers=True,
                                                blank=None), matching(
        EXTENSION, lambda v: f"{v!r} is not a PBX extension (digits, letters, *#+_.-)")] = None
    google_chat_id: Annotated[str | None, ColumnLine(Person, "google_chat_id", numbers=True,
                                                     blank=None), matching(
        GOOGLE_ID, lambda v: f"{v!r} is malformed (expected e.g. users/123456)")] = None
    slack_id: Annotated[str | None, ColumnLine(Person, "slack_id", numbers=True, blank=None),
                        matching(SLACK_ID,
                                 lambda v: f"{v!r} is malformed (expected e.g. U0123ABCD)")
                        ] = None
    groups: Annotated[list[str], BeforeValidator(_groups)] = Field(default_factory=list)
    active: Annotated[bool, BeforeValidator(flag)] = True
    color: Annotated[str | None, ColumnLine(Person, "color", numbers=True, blank=None)] = None
    erp_user: Annotated[str | None, ColumnLine(Person, "erp_user", numbers=True,
                                               blank=None)] = None
    ideal_load: Annotated[int | None, _WHOLE] = None
    desk: Annotated[int | None, _WHOLE] = None
    # The most turns a day the week planner gives them, where it differs from the team's.
    max_per_day: Annotated[int | None, _WHOLE] = None
    # The member name a queue_log names them by (Asterisk's log_membername_as_agent).
    pbx_name: Annotated[str | None, ColumnLine(Person, "pbx_name", numbers=True, blank=None),
                        AfterValidator(_pbx_name)] = None
    # The language they read (en, ca, es, pt); none: their chat platform's, else the team's.
    language: Annotated[str | None, Line(numbers=False, lower=True, blank=None),
                        AfterValidator(_language)] = None


FIELDS = tuple(PersonEntry.model_fields)


def validate(raw_entries: list[dict[str, Any]], session: Session) -> list[dict[str, Any]]:
    """Normalised entries, or ImportRejected with every problem found."""
    problems: list[Problem] = []
    clean: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_entries, start=1):
        label = f"entry {index}"
        if "__bad__" in raw:
            problems.append(Problem(label, "entry", "expected a mapping of fields"))
            continue
        if raw.get("key"):
            label += f" ({shown(raw['key'])})"
        entry, entry_problems = validate_entry(PersonEntry, raw, label)
        problems += entry_problems
        clean.append(entry.model_dump() if entry is not None else _comparable(raw))
    problems += _duplicates(clean, session)
    if problems:
        raise ImportRejected(problems)
    return clean


def _comparable(raw: dict[str, Any]) -> dict[str, Any]:
    """The key and unique fields of an entry with problems, as far as they are plain text,
    so that a clash with another entry is reported too."""
    out: dict[str, Any] = {"key": str(raw.get("key") or "").strip()}
    for name in ("email", "extension", "google_chat_id", "slack_id"):
        value = raw.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            text = str(value).strip()
            out[name] = text.lower() if name == "email" else text
    return out


def _duplicates(entries: list[dict[str, Any]], session: Session) -> list[Problem]:
    """Duplicates inside the file, and clashes with people already stored but not in the file."""
    problems: list[Problem] = []
    in_file = {e["key"] for e in entries}
    stored = {p.key: p for p in people.all_people(session)}
    for name in ("key", "email", "extension", "google_chat_id", "slack_id", "pbx_name"):
        # Member names match whatever their case and spacing, as the queue_log reads them.
        same = people.member_key if name == "pbx_name" else str
        seen: dict[str, str] = {}
        for p in stored.values():
            value = getattr(p, name)
            if value and p.key not in in_file:
                seen[same(value)] = f"stored person {p.key}"
        for index, e in enumerate(entries, start=1):
            value = e.get(name)
            if not value:
                continue
            label = f"entry {index} ({shown(e['key'])})" if e["key"] else f"entry {index}"
            value = same(value)
            if value in seen:
                why = f"duplicate {value!r}, also used by {seen[value]}"
                problems.append(Problem(label, name, why))
            else:
                seen[value] = label
    return problems


# ------------------------------------------------------------------------- applying


def import_people(session: Session, text: str, now: datetime) -> ImportReport:
    """Validate the whole file, then upsert by key. The caller owns the transaction."""
    entries = validate(parse_yaml(text), session)
    report = ImportReport()
    for entry in entries:
        person = people.by_key(session, entry["key"])
        if person is None:
            session.add(Person(created_at=now, **entry))
            report.created.append(entry["key"])
            continue
        changed = update_fields(person, entry)
        (report.updated if changed else report.unchanged).append(entry["key"])
    session.flush()
    return report


def export_tomatic(session: Session) -> str:
    """Everyone in Tomàtic's persons.yaml layout (parallel maps and groups), with the
    ``ningu`` entry Tomàtic draws empty cells with, so a team can go back; ``import`` reads
    it again to the same people."""
    maps: dict[str, dict[str, Any]] = {section: {} for section in TOMATIC_MAPS}
    groups: dict[str, list[str]] = {}
    for p in people.all_people(session):
        for section, name in TOMATIC_MAPS.items():
            value = getattr(p, name)
            if value not in (None, ""):
                maps[section][p.key] = value
        if p.role == "admin":
            groups.setdefault("admin", []).append(p.key)
        elif p.role == "coordinator":
            groups.setdefault("coordinators", []).append(p.key)
        for group in p.groups:
            groups.setdefault(group, []).append(p.key)
    for section, value in TOMATIC_NOBODY.items():
        maps[section]["ningu"] = value
    document: dict[str, Any] = {k: v for k, v in maps.items() if v}
    document["groups"] = {g: sorted(keys) for g, keys in sorted(groups.items())}
    return dump_yaml(document)


def export_people(session: Session) -> str:
    rows = []
    for p in people.all_people(session):
        row: dict[str, Any] = {name: getattr(p, name) for name in FIELDS}
        rows.append({k: v for k, v in row.items() if v not in (None, [])})
    return dump_yaml(rows)
