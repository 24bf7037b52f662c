"""Drafts: plan a week (the solve runs with no transaction open), store the draft, show
it, explain it, and publish it into the timetable.

Publishing replaces the week's timetable cell by cell: a cell whose turn has begun keeps
what it had; every other cell that changes is written and logged (action ``plan``, as
/assign logs its own), so /timetable log shows it. Shift notices, queue changes and
calendar feeds read the timetable, so they follow. Each person with turns in the week
gets a DM listing them; the coordinators hear how many cells changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from commands.core import COORDINATORS, CommandError, Reply, Section, Services, person_target
from commands.shifts.holidays import warn_planned_holidays
from commands.shifts.planning.apart import solve_apart
from commands.shifts.planning.inputs import Options, Planning, build
from commands.shifts.planning.model import Outcome, solve, total_cost
from commands.shifts.planning.said import render
from store import exports, i18n
from store.db import reading, transaction
from store.i18n import N_, _
from store.shifts import planning, timetable, timetable_io
from store.shifts.planning import PlanDraft
from store.shifts.timetable import (
    HOLIDAY,
    NOBODY,
    PERSON,
    TimetableCell,
    TimetableChange,
    TimetableWeek,
)
from store.shifts.timetable_io import HOLIDAY_KEY, NOBODY_KEY
from store.team import people
from store.team.people import language_of

PUBLISH_ACTION = "plan"


# --------------------------------------------------------------------------- making


def make_draft(services: Services, monday: date, options: Options,
               by_id: int | None = None) -> dict[str, Any]:
    """Solve the week and store it as its draft; returns the summary."""
    with reading(services.sessions) as session:
        plan = build(session, services.settings, monday, options)
    if services.settings.plan_apart:
        outcome = solve_apart(plan.week, time_limit=options.time_limit)
    else:
        outcome = solve(plan.week, time_limit=options.time_limit)
    if services.on_solve is not None:
        services.on_solve(outcome.status, outcome.seconds)
    cells = draft_cells(plan, outcome)
    summary = summarize(plan, outcome)
    with transaction(services.sessions) as session:
        row = planning.save_draft(session, monday, cells, summary, services.clock.now(), by_id)
        summary["serial"] = row.serial
        row.summary = dict(summary)
    return summary


def draft_cells(plan: Planning, outcome: Outcome) -> list[dict[str, Any]]:
    week = plan.week
    cells: list[dict[str, Any]] = []
    for s, slot in enumerate(week.slots):
        for n in range(slot.lines):
            key = outcome.grid.get((s, n))
            cells.append({"day": f"{slot.day:%Y-%m-%d}", "start": f"{slot.start:%H:%M}",
                          "end": f"{slot.end:%H:%M}", "line": week.line_name(n),
                          "position": n, "status": PERSON if key else NOBODY, "person": key})
    lines = max((s.lines for s in week.slots), default=len(week.line_names))
    for closed in plan.closed:
        for start, end in closed.turns:
            for n in range(max(lines, 1)):
                cells.append({"day": f"{closed.day:%Y-%m-%d}", "start": f"{start:%H:%M}",
                              "end": f"{end:%H:%M}", "line": week.line_name(n), "position": n,
                              "status": HOLIDAY, "person": None})
    cells.sort(key=lambda c: (c["day"], c["start"], c["position"]))
    return cells


def summarize(plan: Planning, outcome: Outcome) -> dict[str, Any]:
    week = plan.week
    loads = []
    for worker in week.workers:
        mine = outcome.planned(worker.key)
        loads.append({
            "key": worker.key, "name": worker.name, "ideal": worker.ideal,
            "prorated": worker.prorated, "bound": worker.bound, "planned": len(mine),
            "working_days": worker.working_days, "service_days": worker.service_days,
            "max_per_day": worker.max_per_day,
            "turns": [week.slots[s].label for s in mine],
            "blocked": {week.slots[s].label: why for s, why in sorted(worker.blocked.items())},
            "reluctant": {week.slots[s].label: why
                          for s, why in sorted(worker.reluctant.items())},
            "turns_said": [week.slots[s].said for s in mine],
            "blocked_said": [[week.slots[s].said, worker.why_blocked(s)]
                             for s in sorted(worker.blocked)],
            "reluctant_said": [[week.slots[s].said, why]
                               for s, why in sorted(worker.reluctant.items())],
        })
    filled = len(outcome.grid)
    return {
        "week": f"{plan.monday:%Y-%m-%d}", "status": outcome.status,
        "objective": outcome.objective, "bound": outcome.bound, "gap": outcome.gap,
        "seconds": round(outcome.seconds, 3), "time_limit": outcome.time_limit,
        "reason": outcome.reason, "capacity": list(outcome.capacity),
        "reason_said": outcome.reason_said, "capacity_said": list(outcome.capacity_said),
        "penalties": [p.as_dict() for p in outcome.penalties],
        "penalty_total": total_cost(outcome.penalties),
        "cells": sum(s.lines for s in week.slots), "filled": filled,
        "service_days": len({s.day for s in week.slots}),
        "closed": {f"{c.day:%Y-%m-%d}": c.why for c in plan.closed},
        "weights": week.weights.as_dict(), "loads": loads,
    }


# --------------------------------------------------------------------------- showing
#
# The summary keeps its texts twice: in English ("text", "capacity", "reason", the loads'
# "turns", "blocked" and "reluctant": the CLI's, the desk's and older drafts' only ones)
# and kept to be written in the reader's language ("said", "capacity_said", …), which is
# what chat shows when the draft has them.

_STATUS = {"optimal": N_("optimal"), "feasible": N_("feasible"),
           "infeasible": N_("infeasible"), "unknown": N_("unknown")}


def status_word(status: str) -> str:
    """The solver's status as the reader says it."""
    return _(_STATUS[status]) if status in _STATUS else status


def penalty_text(p: dict[str, Any]) -> str:
    """A penalty of a summary, in the reader's language (the desk may show them so too)."""
    return render(p["said"]) if "said" in p else str(p["text"])


def capacity_texts(summary: dict[str, Any]) -> list[str]:
    kept = summary.get("capacity_said")
    return [render(c) for c in kept] if kept is not None else list(summary["capacity"])


def reason_text(summary: dict[str, Any]) -> str:
    kept = summary.get("reason_said")
    return render(kept) if kept else str(summary.get("reason") or "")


def status_line(summary: dict[str, Any]) -> str:
    status = summary["status"]
    week = summary["week"]
    if status == "optimal":
        what = _("optimal, cost {cost} (proven)").format(cost=summary["objective"])
    elif status == "feasible":
        gap = summary.get("gap") or 0.0
        what = _("feasible, cost {cost}, {gap}% from the proven bound {bound} (time limit "
                 "reached)").format(cost=summary["objective"], gap=i18n.number(gap * 100, 1),
                                    bound=f"{summary['bound']:.0f}")
    else:
        what = "{status}: {reason}".format(
            status=status_word(status),
            reason=reason_text(summary) or _("no plan"))
    return _("Plan for the week of {week}: {what}.").format(week=week, what=what)


def summary_text(summary: dict[str, Any], *, full: bool = True) -> str:
    """The whole summary, for the CLI (in English, as the CLI writes)."""
    with i18n.speaking(i18n.ENGLISH):
        return _summary_text(summary, full=full)


def _summary_text(summary: dict[str, Any], *, full: bool) -> str:
    lines = [status_line(summary)]
    lines.append(f"Solved in {summary['seconds']:.2f} s (limit {summary['time_limit']:g} s); "
                 f"{summary['filled']} of {summary['cells']} cells filled over "
                 f"{summary['service_days']} service days.")
    if not summary["cells"]:
        lines.append("The week has no turns to fill: import the turn definitions "
                     "(switchboard turns import), or give --tomatic-config with its hours.")
    if not summary["loads"]:
        lines.append("Nobody has a load (ideal_load, Tomàtic's idealloads): nobody was planned.")
    for day, why in sorted(summary.get("closed", {}).items()):
        lines.append(f"Closed {day}: {why}.")
    if summary["capacity"]:
        lines.append("Before solving, these turns could not be filled:")
        lines += [f"  - {text}" for text in summary["capacity"]]
    penalties = summary["penalties"]
    if penalties:
        lines.append(f"Penalties ({len(penalties)}, total {summary['penalty_total']}):")
        lines += [f"  - [{p['cost']}] {p['text']}" for p in penalties]
    else:
        lines.append("No penalties.")
    if full:
        lines.append("Loads (ideal / prorated / bound / planned):")
        for load in summary["loads"]:
            lines.append(f"  {load['key']:<12} {load['ideal']} / {load['prorated']} / "
                         f"{load['bound']} / {load['planned']}")
    return "\n".join(lines) + "\n"


def summary_card(summary: dict[str, Any], *, limit: int = 12) -> Reply:
    """The summary as a chat card, in the reader's language."""
    penalties = summary["penalties"]
    rows = tuple((f"[{p['cost']}]", penalty_text(p)) for p in penalties[:limit])
    if len(penalties) > limit:
        rows += (("…", _("and {n} more (switchboard plan show)").format(
            n=len(penalties) - limit)),)
    short = [load for load in summary["loads"] if load["planned"] < load["prorated"]]
    sections = [Section(title=_("Penalties"), rows=rows or (("", _("none")),))]
    capacity = capacity_texts(summary)
    if capacity:
        sections.insert(0, Section(title=_("Cannot be filled"),
                                   text="\n".join(capacity[:limit])))
    if short:
        sections.append(Section(title=_("Below their prorated load"), rows=tuple(
            (load["name"], _("{planned} of {prorated} (bound {bound})").format(
                planned=load["planned"], prorated=load["prorated"], bound=load["bound"]))
            for load in short[:limit])))
    text = _("{status} {filled} of {cells} cells filled, solved in {seconds} s.").format(
        status=status_line(summary), filled=summary["filled"], cells=summary["cells"],
        seconds=i18n.number(summary["seconds"], 1))
    return Reply(text, tuple(sections), private=True)


def _labelled(load: dict[str, Any], name: str) -> list[tuple[str, str]]:
    """A load's "blocked" or "reluctant" turns: (label, why), in the reader's language
    when the draft kept them so."""
    kept = load.get(f"{name}_said")
    if kept is not None:
        return [(render(label), render(why)) for label, why in kept]
    return [(label, why) for label, why in load[name].items()]


def explain_person(summary: dict[str, Any], key: str) -> str:
    """Why ``key`` has the turns the draft gives them, in the reader's language."""
    load = next((item for item in summary["loads"] if item["key"] == key), None)
    if load is None:
        return _("{key} is not in the plan of the week of {week}: only active people with a "
                 "load (ideal_load) are planned.").format(key=key, week=summary["week"])
    name = load["name"].split()[0]
    parts = [_("{name}: ideal {ideal} turns; prorated {prorated} ({working} working of "
               "{service} service days); bound {bound}; at most {most} a day.").format(
        name=name, ideal=load["ideal"], prorated=load["prorated"],
        working=load["working_days"], service=load["service_days"], bound=load["bound"],
        most=load["max_per_day"])]
    kept = load.get("turns_said")
    turns = [render(t) for t in kept] if kept is not None else list(load["turns"])
    parts.append(_("Planned {n}: {turns}.").format(
        n=load["planned"], turns=", ".join(turns) if turns else _("none")))
    if load["planned"] < load["bound"]:
        parts.append(_("Fewer than the bound: more turns would have cost more than leaving "
                       "them to others (or the lines were full when they are free)."))
    elif load["planned"] == load["bound"] and load["bound"] < load["prorated"]:
        parts.append(_("The bound is below the prorated load: their availability leaves "
                       "no more turns."))
    blocked = _labelled(load, "blocked")
    if blocked:
        parts.append(_("Cannot work: {turns}.").format(
            turns="; ".join(f"{label} ({why})" for label, why in blocked)))
    reluctant = _labelled(load, "reluctant")
    if reluctant:
        parts.append(_("Would rather not: {turns}.").format(
            turns="; ".join(f"{label} ('{why}')" for label, why in reluctant)))
    mine = [p for p in summary["penalties"] if key in p["who"]]
    if mine:
        parts.append(_("Penalised: {penalties}.").format(
            penalties="; ".join(f"{penalty_text(p)} [{p['cost']}]" for p in mine)))
    else:
        parts.append(_("Nothing about their turns was penalised."))
    return " ".join(parts)


def load_draft(session: Session, monday: date) -> PlanDraft:
    row = planning.draft(session, monday)
    if row is None:
        raise CommandError(_("There is no draft for the week of {week}: make one first "
                             "(/plan next week, or switchboard plan WEEK).").format(
            week=f"{monday:%Y-%m-%d}"))
    return row


# --------------------------------------------------------------------------- exporting


def draft_timetable_cells(row: PlanDraft, ids: dict[str, int]) -> list[TimetableCell]:
    """The draft's cells as (unsaved) timetable cells."""
    return [TimetableCell(day=date.fromisoformat(c["day"]), start=time.fromisoformat(c["start"]),
                          end=time.fromisoformat(c["end"]), line=c["line"],
                          position=c["position"], status=c["status"],
                          person_id=ids.get(c["person"]) if c["person"] else None)
            for c in row.cells]


def week_document(session: Session, row: PlanDraft) -> dict[str, Any]:
    """The draft in Tomàtic's weekly layout, written as ``timetable export`` writes a week."""
    team = people.all_people(session)
    cells = draft_timetable_cells(row, {p.key: p.id for p in team})
    return timetable_io.week_document(row.monday, cells, None, {p.id: p.key for p in team})


def csv_text(row: PlanDraft) -> str:
    """The draft in the timetable CSV's layout, written by the shared writer (a line name
    with a comma stays one cell; one a spreadsheet would run is neutralised)."""
    return exports.csv_text([("date", "start", "end", "line", "person"), *(
        (c["day"], c["start"], c["end"], c["line"],
         HOLIDAY_KEY if c["status"] == HOLIDAY else c["person"] or NOBODY_KEY)
        for c in row.cells)])


# --------------------------------------------------------------------------- publishing


@dataclass
class Published:
    monday: date
    changed: int = 0
    kept_past: int = 0
    told: list[str] = field(default_factory=list)

    def text(self) -> str:
        """What was done, in the reader's language."""
        if self.kept_past:
            text = _("Published the week of {week}: {changed} cells changed; {kept} cells of "
                     "turns already begun kept as they were; {told} people told their turns.")
        else:
            text = _("Published the week of {week}: {changed} cells changed; {told} people "
                     "told their turns.")
        return text.format(week=f"{self.monday:%Y-%m-%d}", changed=self.changed,
                           kept=self.kept_past, told=len(self.told))


def publish(services: Services, monday: date, by_id: int | None) -> Published:
    """Replace the week's timetable with its draft (one transaction)."""
    tz = services.settings.timezone
    now = services.clock.now()
    report = Published(monday)
    with transaction(services.sessions) as session:
        row = load_draft(session, monday)
        if row.summary.get("status") not in ("optimal", "feasible"):
            raise CommandError(_("The draft of the week of {week} has no plan ({status}): "
                                 "make another first.").format(
                week=f"{monday:%Y-%m-%d}", status=row.summary.get("status")))
        ids = {p.key: p.id for p in people.all_people(session)}
        names = {p.id: p for p in people.all_people(session)}
        existing = {(c.day, c.start, c.line): c
                    for c in timetable.cells_between(session, monday, monday + timedelta(days=6))}
        wanted: dict[tuple[date, time, str], dict[str, Any]] = {}
        for c in row.cells:
            wanted[date.fromisoformat(c["day"]), time.fromisoformat(c["start"]), c["line"]] = c

        def begun(day: date, start: time) -> bool:
            return datetime.combine(day, start, tz) <= now

        for key, c in sorted(wanted.items()):
            day, start, line = key
            status = c["status"]
            person_id = ids.get(c["person"]) if c["person"] else None
            if status == PERSON and person_id is None:
                status = NOBODY
            cell = existing.get(key)
            if begun(day, start):
                report.kept_past += 1 if cell is not None else 0
                continue
            if cell is not None and (cell.status, cell.person_id) == (status, person_id):
                continue
            before_status, before_id = (cell.status, cell.person_id) if cell else (NOBODY, None)
            if cell is None:
                cell = TimetableCell(day=day, start=start, end=time.fromisoformat(c["end"]),
                                     line=line, position=c["position"], status=status,
                                     person_id=person_id)
                session.add(cell)
            else:
                cell.status, cell.person_id = status, person_id
                cell.end, cell.position = time.fromisoformat(c["end"]), c["position"]
            _log(session, now, by_id, day, start, line, before_status, before_id, status,
                 person_id)
            report.changed += 1
        for key, cell in sorted(existing.items(), key=lambda kv: kv[0]):
            if key in wanted or begun(cell.day, cell.start):
                report.kept_past += 1 if key not in wanted else 0
                continue
            _log(session, now, by_id, cell.day, cell.start, cell.line, cell.status,
                 cell.person_id, NOBODY, None)
            session.delete(cell)
            report.changed += 1
        document = week_document(session, row)
        header = timetable.week(session, monday)
        if header is None:
            session.add(TimetableWeek(monday=monday, days=document["days"],
                                      hours=document["hours"], lines=document["turns"],
                                      imported_at=now))
        else:
            header.days, header.hours, header.lines = (document["days"], document["hours"],
                                                       document["turns"])
        session.flush()
        report.told = _tell(session, services, row, names, ids, now)
        row.published_at = now
        with i18n.speaking(None):  # the coordinators' space reads the team's language
            told_coordinators = Reply(report.text())
        services.notifier.send(session, COORDINATORS, told_coordinators,
                               key=f"plan-publish:{monday:%Y-%m-%d}:{row.serial}")
        warn_planned_holidays(session, services, monday, monday + timedelta(days=6))
    return report


def _log(session: Session, now: datetime, by_id: int | None, day: date, start: time,
         line: str, from_status: str, from_id: int | None, to_status: str,
         to_id: int | None) -> None:
    timetable.log_change(session, TimetableChange(
        at=now, by_id=by_id, action=PUBLISH_ACTION, day=day, start=start, line=line,
        from_id=from_id, to_id=to_id, from_status=from_status, to_status=to_status))


def _tell(session: Session, services: Services, row: PlanDraft, names: dict[int, Any],
          ids: dict[str, int], now: datetime) -> list[str]:
    tz = services.settings.timezone
    turns: dict[str, list[tuple[date, dict[str, Any]]]] = {}
    for c in row.cells:
        day = date.fromisoformat(c["day"])
        if c["status"] != PERSON or not c["person"] or \
                datetime.combine(day, time.fromisoformat(c["start"]), tz) <= now:
            continue
        turns.setdefault(c["person"], []).append((day, c))
    told = []
    for key, mine in sorted(turns.items()):
        person = names.get(ids.get(key, -1))
        if person is None:
            continue
        with i18n.speaking(language_of(person)):  # a DM: in its reader's language
            listed = "; ".join(_("{day} {start}–{end} (line {line})").format(
                day=i18n.day(day), start=c["start"], end=c["end"], line=c["line"])
                for day, c in mine)
            text = _("Your turns for the week of {week}: {turns}.").format(
                week=i18n.day(row.monday), turns=listed)
        services.notifier.send(session, person_target(person), Reply(text, private=True),
                               key=f"plan-turns:{row.monday:%Y-%m-%d}:{row.serial}:{key}")
        told.append(key)
    return told

