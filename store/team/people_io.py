"""People import/export in YAML: a plain list, or Tomatic's ``persons.yaml`` layout.

An import is validated as a whole first; with any problem nothing is written and
every problem is reported with its entry, field and reason.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from store.base import update_fields
from store.imports import (
    ImportRejected,
    ImportReport,
    Problem,
    check_columns,
    dump_yaml,
    load_yaml,
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

FIELDS = ("key", "name", "email", "role", "extension", "google_chat_id", "slack_id", "groups",
          "active", "color", "erp_user", "ideal_load", "desk", "max_per_day")
# Tomatic persons.yaml maps → our field. Every map of that layout is listed: none is dropped.
TOMATIC_MAPS = {"names": "name", "extensions": "extension", "emails": "email",
                "tables": "desk", "colors": "color", "erpusers": "erp_user",
                "idealloads": "ideal_load"}
ROLE_GROUPS = {"admin": "admin", "coordinator": "coordinator", "coordinators": "coordinator"}
# Sections real persons.yaml files carry that Switchboard has no use for: read, not stored.
TOMATIC_IGNORED = {"notoi_ids"}
# Timetable placeholders ("nobody", "holiday") that Tomàtic lists among persons for colors.
TOMATIC_PLACEHOLDERS = {"ningu", "festiu"}


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
            label += f" ({raw['key']})"
        entry, entry_problems = _clean(raw, label)
        problems += entry_problems
        clean.append(entry)
    problems += _duplicates(clean, session)
    if problems:
        raise ImportRejected(problems)
    return clean


def _clean(raw: dict[str, Any], label: str) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []

    def bad(name: str, why: str) -> None:
        problems.append(Problem(label, name, why))

    for name in sorted(set(raw) - set(FIELDS)):
        bad(name, "unknown field (expected one of " + ", ".join(FIELDS) + ")")
    out: dict[str, Any] = {}
    key = str(raw.get("key") or "").strip()
    if not KEY.match(key):
        bad("key", "missing or malformed: lowercase letters, digits, '.', '_' or '-'")
    out["key"] = key
    name = str(raw.get("name") or "").strip()
    if not name:
        bad("name", "missing: every person needs a display name")
    out["name"] = name
    email = raw.get("email")
    out["email"] = None
    if email not in (None, ""):
        email = str(email).strip().lower()
        if not EMAIL.match(email):
            bad("email", f"{email!r} is not a valid address (expected name@domain.tld)")
        out["email"] = email
    role = str(raw.get("role") or "agent").strip().lower()
    if role not in ROLES:
        bad("role", f"{role!r} is not a role (expected one of {', '.join(ROLES)})")
    out["role"] = role
    extension = raw.get("extension")
    out["extension"] = None
    if extension not in (None, ""):
        extension = str(extension).strip()
        if not EXTENSION.match(extension):
            bad("extension", f"{extension!r} is not a PBX extension (digits, letters, *#+_.-)")
        out["extension"] = extension
    for name_, pattern, example in (("google_chat_id", GOOGLE_ID, "users/123456"),
                                    ("slack_id", SLACK_ID, "U0123ABCD")):
        value = raw.get(name_)
        out[name_] = None
        if value not in (None, ""):
            if not pattern.match(str(value)):
                bad(name_, f"{value!r} is malformed (expected e.g. {example})")
            out[name_] = str(value)
    groups = raw.get("groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
        bad("groups", "expected a list of group names")
        groups = []
    out["groups"] = sorted(set(groups))
    active = raw.get("active", True)
    if not isinstance(active, bool):
        bad("active", "expected true or false")
    out["active"] = bool(active)
    for name_ in ("ideal_load", "desk", "max_per_day"):
        value = raw.get(name_)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            bad(name_, "expected a whole number")
            value = None
        out[name_] = value
    for name_ in ("color", "erp_user"):
        value = raw.get(name_)
        out[name_] = None if value in (None, "") else str(value)
    problems += check_columns(Person, out, label)
    return out, problems


def _duplicates(entries: list[dict[str, Any]], session: Session) -> list[Problem]:
    """Duplicates inside the file, and clashes with people already stored but not in the file."""
    problems: list[Problem] = []
    in_file = {e["key"] for e in entries}
    stored = {p.key: p for p in people.all_people(session)}
    for name in ("key", "email", "extension", "google_chat_id", "slack_id"):
        seen: dict[str, str] = {}
        for p in stored.values():
            value = getattr(p, name)
            if value and p.key not in in_file:
                seen[str(value)] = f"stored person {p.key}"
        for index, e in enumerate(entries, start=1):
            value = e.get(name)
            if not value:
                continue
            label = f"entry {index} ({e['key']})" if e["key"] else f"entry {index}"
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
    """Everyone in Tomàtic's persons.yaml layout (parallel maps and groups), so a team
    can go back; ``import`` reads it again to the same people."""
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
    document: dict[str, Any] = {k: v for k, v in maps.items() if v}
    document["groups"] = {g: sorted(keys) for g, keys in sorted(groups.items())}
    return dump_yaml(document)


def export_people(session: Session) -> str:
    rows = []
    for p in people.all_people(session):
        row: dict[str, Any] = {name: getattr(p, name) for name in FIELDS}
        rows.append({k: v for k, v in row.items() if v not in (None, [])})
    return dump_yaml(rows)
