"""Callback capacity in YAML: ``switchboard slots import FILE`` / ``export [FILE]``.

    templates:                  # callbacks allowed per 30-minute interval
      standard: {"09:00": 5, "09:30": 5, "10:00": 4}
    weekly:
      normal: {mon: standard, tue: standard, wed: standard, thu: standard, fri: standard}
    queues:
      soporte: {schedule: normal}
    campaigns:
      renewals: {schedule: normal}
    overrides:
      - {date: 2026-12-24, queue: soporte, template: standard}
      - {date: 2026-12-31, queue: soporte, closed: true}

An import replaces the whole configuration. It is validated as a whole first (every
problem listed as entry/field/why); with any problem nothing is written. What is booked
(the interval counters, the callbacks) is not touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.callbacks import capacity as cap
from store.callbacks.capacity import (
    CAMPAIGN,
    QUEUE,
    WEEKDAYS,
    CapacityOverride,
    CapacityPool,
    CapacityTemplate,
    WeekDay,
    WeeklySchedule,
)
from store.imports import (
    EntryModel,
    ImportRejected,
    Problem,
    dump_yaml,
    flag,
    load_yaml,
    shown,
    validate_entry,
)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
SECTIONS = ("templates", "weekly", "queues", "campaigns", "overrides")
MAX_PER_INTERVAL = 10_000
NAME_RULE = "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"


@dataclass
class Plan:
    """A validated capacity configuration, ready to store."""

    templates: dict[str, dict[str, int]] = field(default_factory=dict)
    weekly: dict[str, dict[str, str]] = field(default_factory=dict)
    pools: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, name) → week
    overrides: list[tuple[str, str, date, bool, str | None]] = field(default_factory=list)

    def summary(self) -> str:
        queues = sum(1 for kind, _ in self.pools if kind == QUEUE)
        return (f"{len(self.templates)} templates, {len(self.weekly)} weekly schedules, "
                f"{queues} queues, {len(self.pools) - queues} campaigns, "
                f"{len(self.overrides)} overrides")


def interval_key(raw: Any) -> str | None:
    """"09:30" as written; YAML 1.1 reads an unquoted 10:30 as the number 630."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        raw = f"{raw // 60:02d}:{raw % 60:02d}"
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if len(text) == 4 and text[1] == ":":
        text = "0" + text
    match = HHMM.match(text)
    if not match or int(match.group(2)) % cap.INTERVAL_MINUTES:
        return None
    return text


# ------------------------------------------------------------------------- validating


def parse_plan(text: str) -> Plan:
    data = load_yaml(text)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ImportRejected([Problem("file", "layout", "expected a mapping with "
                                      + ", ".join(SECTIONS))])
    problems: list[Problem] = []
    for key in sorted(shown(k) for k in data if k not in SECTIONS):
        problems.append(Problem("file", key, "unknown section (expected "
                                + ", ".join(SECTIONS) + ")"))
    plan = Plan()
    _templates(data.get("templates"), plan, problems)
    _weekly(data.get("weekly"), plan, problems)
    for section, kind in (("queues", QUEUE), ("campaigns", CAMPAIGN)):
        _pools(data.get(section), section, kind, plan, problems)
    _overrides(data.get("overrides"), plan, problems)
    if problems:
        raise ImportRejected(problems)
    return plan


def _mapping(value: Any, entry: str, problems: list[Problem]) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(Problem(entry, "layout", "expected a mapping"))
        return {}
    return value


def _name_ok(name: Any, entry: str, problems: list[Problem]) -> bool:
    if isinstance(name, str) and NAME.fullmatch(name):
        return True
    problems.append(Problem(entry, "name", f"{name!r} is not a name: {NAME_RULE}"))
    return False


def _templates(raw: Any, plan: Plan, problems: list[Problem]) -> None:
    for name, slots in _mapping(raw, "templates", problems).items():
        entry = f"templates.{shown(name)}"
        if not _name_ok(name, entry, problems):
            continue
        clean: dict[str, int] = {}
        for key, value in _mapping(slots, entry, problems).items():
            start = interval_key(key)
            if start is None:
                problems.append(Problem(entry, shown(key), "not an interval start: write HH:MM "
                                        "on the hour or half hour, e.g. \"09:30\""))
            elif start in clean:
                problems.append(Problem(entry, start, "given twice"))
            elif isinstance(value, bool) or not isinstance(value, int) \
                    or not 0 <= value <= MAX_PER_INTERVAL:
                problems.append(Problem(entry, start, f"{value!r} is not a number of callbacks "
                                        f"(0 to {MAX_PER_INTERVAL})"))
            else:
                clean[start] = value
        plan.templates[name] = dict(sorted(clean.items()))


def _weekly(raw: Any, plan: Plan, problems: list[Problem]) -> None:
    for name, days in _mapping(raw, "weekly", problems).items():
        entry = f"weekly.{shown(name)}"
        if not _name_ok(name, entry, problems):
            continue
        clean: dict[str, str] = {}
        for day, template in _mapping(days, entry, problems).items():
            label = str(day).lower()
            if label not in WEEKDAYS:
                problems.append(Problem(entry, shown(day), "not a weekday (mon, tue, wed, thu, "
                                        "fri, sat, sun)"))
            elif not isinstance(template, str) or template not in plan.templates:
                problems.append(Problem(entry, label, f"no template named {template!r}"))
            else:
                clean[label] = str(template)
        plan.weekly[name] = {d: clean[d] for d in WEEKDAYS if d in clean}


class PoolEntry(EntryModel):
    """A queue's or a campaign's capacity. The context gives ``weekly`` (the file's weekly
    schedules)."""

    schedule: Any = None

    @field_validator("schedule")
    @classmethod
    def _known_week(cls, value: Any, info: ValidationInfo) -> str:
        if not isinstance(value, str) or value not in (info.context or {}).get("weekly", {}):
            raise ValueError(f"no weekly schedule named {value!r}")
        return value


def _pools(raw: Any, section: str, kind: str, plan: Plan, problems: list[Problem]) -> None:
    for name, spec in _mapping(raw, section, problems).items():
        entry = f"{section}.{shown(name)}"
        if not _name_ok(name, entry, problems):
            continue
        pool, found = validate_entry(PoolEntry, _mapping(spec, entry, problems), entry,
                                     context={"weekly": plan.weekly})
        problems += found
        if pool is not None:
            plan.pools[(kind, name)] = pool.schedule


def _override_day(value: Any) -> date:
    day = _date(value)
    if day is None:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    return day


def _wrong(field_name: str, why: str) -> PydanticCustomError:
    return PydanticCustomError("import", "{why}", {"why": why, "at": (field_name,)})


class OverrideEntry(EntryModel):
    """One day of a queue or a campaign given another template, or closed. The context
    gives ``pools`` ((kind, name) pairs) and ``templates`` (names) of the file."""

    date: Annotated[date, BeforeValidator(_override_day)]
    queue: Any = None
    campaign: Any = None
    closed: Annotated[bool, BeforeValidator(flag)] = False
    template: Any = None

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> OverrideEntry:
        context = info.context or {}
        targets = [kind for kind in (QUEUE, CAMPAIGN) if getattr(self, kind) is not None]
        if len(targets) != 1:
            raise _wrong("queue", "name exactly one queue or campaign")
        kind = targets[0]
        if not isinstance(self.target, str) or (kind, self.target) not in context.get("pools", {}):
            raise _wrong(kind, f"no {kind} named {self.target!r} in this file")
        if self.closed == (self.template is not None):
            raise _wrong("template", "give either closed: true or a template")
        if self.template is not None and (not isinstance(self.template, str)
                                          or self.template not in context.get("templates", {})):
            raise _wrong("template", f"no template named {self.template!r}")
        return self

    @property
    def kind(self) -> str:
        return QUEUE if self.queue is not None else CAMPAIGN

    @property
    def target(self) -> Any:
        return self.queue if self.queue is not None else self.campaign


def _overrides(raw: Any, plan: Plan, problems: list[Problem]) -> None:
    if raw is None:
        return
    if not isinstance(raw, list):
        problems.append(Problem("overrides", "layout", "expected a list"))
        return
    seen: set[tuple[str, str, date]] = set()
    context = {"pools": plan.pools, "templates": plan.templates}
    for index, item in enumerate(raw, start=1):
        entry = f"overrides[{index}]"
        if not isinstance(item, dict):
            problems.append(Problem(entry, "entry", "expected a mapping"))
            continue
        override, found = validate_entry(OverrideEntry, item, entry, context=context)
        problems += found
        if override is None:
            continue
        kind, name, day = override.kind, str(override.target), override.date
        if (kind, name, day) in seen:
            problems.append(Problem(entry, "date", f"{day} of {kind} {name} is given twice"))
            continue
        seen.add((kind, name, day))
        plan.overrides.append((kind, name, day, override.closed,
                               None if override.template is None else str(override.template)))


def _date(raw: Any) -> date | None:
    if isinstance(raw, datetime):
        return None
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            return None
    return None


# ------------------------------------------------------------------------- applying


def import_capacity(session: Session, text: str) -> Plan:
    """Validate the whole file, then make the stored configuration exactly the file's."""
    plan = parse_plan(text)
    store_plan(session, plan)
    return plan


def store_plan(session: Session, plan: Plan) -> None:
    for model in (CapacityOverride, CapacityPool, WeekDay, WeeklySchedule, CapacityTemplate):
        session.execute(delete(model))
    templates = {name: CapacityTemplate(name=name, slots=slots)
                 for name, slots in plan.templates.items()}
    weeks = {name: WeeklySchedule(name=name) for name in plan.weekly}
    session.add_all([*templates.values(), *weeks.values()])
    session.flush()
    for name, days in plan.weekly.items():
        session.add_all(WeekDay(week_id=weeks[name].id, weekday=WEEKDAYS.index(day),
                                template_id=templates[template].id)
                        for day, template in days.items())
    pools = {key: CapacityPool(kind=key[0], name=key[1], week_id=weeks[week].id)
             for key, week in plan.pools.items()}
    session.add_all(pools.values())
    session.flush()
    session.add_all(CapacityOverride(
        pool_id=pools[(kind, name)].id, day=day, closed=closed,
        template_id=templates[template].id if template else None)
        for kind, name, day, closed, template in plan.overrides)
    session.flush()


def export_capacity(session: Session) -> str:
    templates = cap.templates(session)
    weeks = {w.id: w for w in session.scalars(select(WeeklySchedule).order_by(
        WeeklySchedule.name))}
    data: dict[str, Any] = {"templates": {t.name: dict(t.slots) for t in templates.values()},
                            "weekly": {}, "queues": {}, "campaigns": {}, "overrides": []}
    for week in weeks.values():
        days = cap.week_days(session, week.id)
        data["weekly"][week.name] = {WEEKDAYS[d]: templates[days[d]].name
                                     for d in sorted(days)}
    by_id: dict[int, CapacityPool] = {}
    for pool in cap.pools(session):
        section = "queues" if pool.kind == QUEUE else "campaigns"
        data[section][pool.name] = {"schedule": weeks[pool.week_id].name}
        by_id[pool.id] = pool
    for row in session.scalars(select(CapacityOverride).order_by(
            CapacityOverride.day, CapacityOverride.pool_id)):
        pool = by_id[row.pool_id]
        item: dict[str, Any] = {"date": row.day.isoformat(), pool.kind: pool.name}
        if row.closed:
            item["closed"] = True
        else:
            assert row.template_id is not None
            item["template"] = templates[row.template_id].name
        data["overrides"].append(item)
    return dump_yaml(data)


# ------------------------------------------------------------------------- chat edits


def set_override(session: Session, pool: CapacityPool, day: date, *, closed: bool,
                 template: CapacityTemplate | None = None) -> None:
    """Close ``day`` of the pool, or give it ``template`` (replacing any override)."""
    row = session.scalar(select(CapacityOverride).where(CapacityOverride.pool_id == pool.id,
                                                        CapacityOverride.day == day))
    if row is None:
        row = CapacityOverride(pool_id=pool.id, day=day)
        session.add(row)
    row.closed = closed
    row.template_id = None if template is None else template.id
    session.flush()


def clear_override(session: Session, pool: CapacityPool, day: date) -> bool:
    """Back to the weekly schedule; True when there was an override."""
    result = session.execute(delete(CapacityOverride).where(
        CapacityOverride.pool_id == pool.id, CapacityOverride.day == day))
    return bool(result.rowcount)  # type: ignore[attr-defined]


# ------------------------------------------------------------------------- demo

DEMO_CAPACITY = """\
templates:
  weekday: {"09:00": 3, "09:30": 3, "10:00": 3, "10:30": 3, "11:00": 3, "11:30": 3,
            "12:00": 2, "12:30": 2, "16:00": 2, "16:30": 2, "17:00": 2, "17:30": 2}
  saturday: {"10:00": 2, "10:30": 2, "11:00": 2, "11:30": 2}
weekly:
  office: {mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday,
           sat: saturday}
queues:
  support: {schedule: office}
campaigns:
  renewals: {schedule: office}
"""


def load_demo_capacity(session: Session, now: datetime) -> Plan | None:
    """The demo's capacity for the queue ``support`` (PBX_QUEUE's default) and a campaign,
    unless some capacity is configured already."""
    del now  # the demo capacity is weekly; it does not depend on the day it is loaded
    if cap.pools(session):
        return None
    return import_capacity(session, DEMO_CAPACITY)
