"""The week planner's model: a week of turns, the people who may fill them, and the
CP-SAT model that fills them, with every penalty explained in words.

Nothing here reads the store: ``inputs.py`` builds a ``Week`` from it, and the benchmark
builds one from generated teams. OR-Tools is imported inside ``solve`` only, so loading
the application never loads the solver.

The model (see docs/planning.md):

- a boolean ``x[person, slot]`` for every turn a person may work (not absent, not
  hard-busy, a bound above zero); lines are interchangeable, so a person's line is chosen
  after the solve (their fixed line first, then the line they had the turn before);
- hard: at most ``lines`` people per turn, at most ``bound`` turns per person, at most
  ``max_per_day`` turns a day per person;
- penalties, each a term of one integer objective: empty lines (``holes × holes`` per
  turn, as a unary sum so the linear relaxation is exact), turns a day (``n(n−1)``), day
  patterns, negotiable turns used, fixed turns not placed, too many of one table or group.
"""

from __future__ import annotations

import itertools
import time as timing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import TYPE_CHECKING, Any

from commands.shifts.planning import said
from commands.shifts.planning.said import Said, english, joined, say, weekday
from store.i18n import N_

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN = "optimal", "feasible", "infeasible", "unknown"
SEED = 20261206  # any fixed number: the same inputs give the same plan


@dataclass(frozen=True)
class Weights:
    """The penalties' weights (Tomàtic's defaults)."""

    holes: int = 100  # × holes² per turn
    fixed: int = 50  # a fixed turn not placed
    per_day: int = 10  # × n(n−1) for n turns in a day
    marathon: int = 40  # three turns in a row
    gap_one: int = 30  # two turns with one free turn between (1010, 0101)
    gap_long: int = 20  # two turns with two or more free turns between (1001)
    no_break: int = 10  # only two adjacent middle turns (0110)
    negotiable: int = 5  # a turn someone would rather not work
    table: int = 5  # each person of a table over max_per_table, per turn
    group: int = 5  # each person of a group over its maximum, per turn

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Slot:
    """One turn of one day, with its number of lines."""

    day: date
    turn: int  # 0-based index among the day's turns
    start: time
    end: time
    lines: int

    @property
    def label(self) -> str:
        return f"{self.day:%a} {self.start:%H:%M}"

    @property
    def said(self) -> Said:
        """The label, kept to be written in the reader's language ("dl. 09:00")."""
        return joined(" ", [weekday(self.day), f"{self.start:%H:%M}"])


@dataclass
class Worker:
    key: str
    name: str
    ideal: int
    prorated: int
    bound: int
    max_per_day: int
    table: int | None = None
    groups: tuple[str, ...] = ()
    blocked: dict[int, str] = field(default_factory=dict)  # slot → why (hard)
    # slot → why, kept to be translated (inputs.py's reasons); else ``blocked``'s text
    blocked_said: dict[int, Said] = field(default_factory=dict)
    reluctant: dict[int, str] = field(default_factory=dict)  # slot → reason (negotiable)
    working_days: int = 0
    service_days: int = 0

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.key

    def why_blocked(self, slot: int) -> Said:
        return self.blocked_said.get(slot, self.blocked[slot])


@dataclass
class Week:
    slots: list[Slot]
    workers: list[Worker]
    fixed: dict[tuple[int, int], str] = field(default_factory=dict)  # (slot, line) → key
    weights: Weights = field(default_factory=Weights)
    max_per_table: int = 2
    group_max: dict[str, int] = field(default_factory=dict)
    line_names: list[str] = field(default_factory=list)

    def line_name(self, index: int) -> str:
        return self.line_names[index] if index < len(self.line_names) else f"L{index + 1}"

    def days(self) -> dict[date, list[int]]:
        """Each day's slot indexes, in turn order."""
        found: dict[date, list[int]] = {}
        for index, slot in sorted(enumerate(self.slots), key=lambda p: (p[1].day, p[1].turn)):
            found.setdefault(slot.day, []).append(index)
        return found

    def can(self, worker: Worker, slot: int) -> bool:
        return worker.bound > 0 and slot not in worker.blocked


@dataclass(frozen=True)
class Penalty:
    kind: str
    cost: int
    said: Said  # the explanation, written in the reader's language when shown
    who: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return english(self.said)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "cost": self.cost, "text": self.text, "said": self.said,
                "who": list(self.who)}


@dataclass
class Outcome:
    status: str
    objective: int | None
    bound: float | None
    seconds: float
    time_limit: float
    grid: dict[tuple[int, int], str] = field(default_factory=dict)  # (slot, line) → key
    penalties: list[Penalty] = field(default_factory=list)
    capacity: list[str] = field(default_factory=list)
    reason: str = ""
    # The same two, kept to be written in the reader's language.
    capacity_said: list[Said] = field(default_factory=list)
    reason_said: Said = ""
    work: float = 0.0  # the solver's deterministic time: its effort, whatever the load

    @property
    def gap(self) -> float | None:
        """The relative distance to the proven bound (0 when optimal)."""
        if self.objective is None or self.bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / self.objective)

    def planned(self, key: str) -> list[int]:
        return sorted({s for (s, _), k in self.grid.items() if k == key})


# --------------------------------------------------------------------------- checks


def capacity_problems(week: Week) -> list[str]:
    """The turns that cannot be filled whatever the plan, and why (before solving)."""
    return [english(problem) for problem in capacity_said(week)]


def capacity_said(week: Week) -> list[Said]:
    """``capacity_problems``, kept to be written in the reader's language."""
    found: list[Said] = []
    for index, slot in enumerate(week.slots):
        free = [w for w in week.workers if week.can(w, index)]
        if len(free) >= slot.lines:
            continue
        found.append(said.ngettext(
            "{slot}: {missing} of {n} line cannot be filled — {free}{why}",
            "{slot}: {missing} of {n} lines cannot be filled — {free}{why}",
            slot.lines, slot=slot.said, missing=slot.lines - len(free),
            free=_only_free(len(free)), why=_why_not(week, index)))
    total = sum(s.lines for s in week.slots)
    bounds = sum(w.bound for w in week.workers)
    if bounds < total:
        found.append(say(N_("The week has {total} cells but the team's bounds add up to "
                            "{bounds}: at least {empty} will stay empty."),
                         total=total, bounds=bounds, empty=total - bounds))
    return found


def _only_free(n: int) -> Said:
    return said.ngettext("only {n} person is free then", "only {n} people are free then", n)


def _why_not(week: Week, index: int, limit: int = 6) -> Said:
    reasons: list[Said] = [joined(": ", [w.first_name, w.why_blocked(index)])
                           for w in week.workers if index in w.blocked]
    reasons += [say(N_("{name}: no turns this week"), name=w.first_name) for w in week.workers
                if w.bound <= 0 and index not in w.blocked and w.ideal > 0]
    return _listed(reasons, limit)


def _listed(reasons: list[Said], limit: int) -> Said:
    """" (a; b; c; and 2 more)", or nothing."""
    if not reasons:
        return ""
    shown = reasons[:limit]
    if len(reasons) > limit:
        shown.append(say(N_("and {n} more"), n=len(reasons) - limit))
    return joined("", [" (", joined("; ", shown), ")"])


# --------------------------------------------------------------------------- solving


@dataclass
class _Built:
    model: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]  # (worker, slot) → works it


def _build(week: Week) -> _Built:
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    w8 = week.weights
    # A complete hint (every variable, from a greedy plan) lets the solver start from a
    # plan at once; an incomplete one is only a preference.
    guess = _cheaper_guess(week)

    def hinted(var: cp_model.IntVar, value: int) -> cp_model.IntVar:
        model.add_hint(var, value)
        return var

    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for p, worker in enumerate(week.workers):
        for s in range(len(week.slots)):
            if week.can(worker, s):
                x[p, s] = hinted(model.new_bool_var(f"x{p}_{s}"), int((p, s) in guess))
    terms: list[Any] = []
    offset = 0
    by_slot: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for (p, s), var in x.items():
        by_slot.setdefault(s, []).append((p, var))
    for s, slot in enumerate(week.slots):
        vars_ = [v for _, v in by_slot.get(s, [])]
        holes = slot.lines - sum(1 for p, _ in by_slot.get(s, []) if (p, s) in guess)
        model.add(sum(vars_) <= slot.lines)
        # holes = lines − filled; holes² as a sum of increasing steps 1, 3, 5, …
        steps = [hinted(model.new_bool_var(f"h{s}_{k}"), int(k < holes))
                 for k in range(slot.lines)]
        model.add(sum(steps) + sum(vars_) >= slot.lines)
        for a, b in itertools.pairwise(steps):
            model.add_implication(b, a)
        terms += [w8.holes * (2 * k + 1) * step for k, step in enumerate(steps)]
    days = week.days()
    for p, worker in enumerate(week.workers):
        mine = [x[p, s] for s in range(len(week.slots)) if (p, s) in x]
        if not mine:
            continue
        model.add(sum(mine) <= worker.bound)
        for s, _reason in worker.reluctant.items():
            if (p, s) in x:
                terms.append(w8.negotiable * x[p, s])
        for day, slots in days.items():
            row = [x.get((p, s)) for s in slots]
            guessed = [int((p, s) in guess) for s in slots]
            present = [v for v in row if v is not None]
            if not present:
                continue
            cap = min(worker.max_per_day, len(present))
            model.add(sum(present) <= cap)
            if cap >= 2:  # n(n−1) = Σ_{k=2..n} 2(k−1)
                extra = [hinted(model.new_bool_var(f"d{p}_{day:%d}_{k}"),
                                int(sum(guessed) >= k)) for k in range(2, cap + 1)]
                model.add(sum(present) <= 1 + sum(extra))
                for a, b in itertools.pairwise(extra):
                    model.add_implication(b, a)
                terms += [w8.per_day * 2 * (k - 1) * v
                          for k, v in zip(range(2, cap + 1), extra, strict=True)]
                terms += _patterns(model, row, guessed, cap, w8, f"{p}_{day:%d}")
    offset += _fixed_terms(model, week, x, terms)
    _crowd_terms(model, week, x, guess, terms)
    model.minimize(sum(terms) + offset)
    return _Built(model, x)


def _cheaper_guess(week: Week) -> set[tuple[int, int]]:
    """The cheaper of two greedy plans: one that ignores tables, one that spreads them."""
    best: tuple[int, set[tuple[int, int]]] | None = None
    for spread in (False, True):
        guess = _greedy(week, spread_tables=spread)
        chosen: dict[int, list[str]] = {}
        for p, s in sorted(guess):
            chosen.setdefault(s, []).append(week.workers[p].key)
        cost = total_cost(explain(week, place_lines(week, chosen)))
        if best is None or cost < best[0]:
            best = (cost, guess)
    assert best is not None
    return best[1]


def _greedy(week: Week, *, spread_tables: bool) -> set[tuple[int, int]]:
    """A quick plan to start the search from: each turn in order takes its fixed people
    first, then those with the fewest turns that day, free of negotiable rules, with the
    most of their bound left. Returns the (worker, slot) pairs it chose."""
    left = [w.bound for w in week.workers]
    chosen: set[tuple[int, int]] = set()
    index = {w.key: p for p, w in enumerate(week.workers)}
    for _day, slots in week.days().items():
        today = [0] * len(week.workers)
        for s in slots:
            fixed = {index[k] for (fs, _), k in week.fixed.items() if fs == s and k in index}

            def rank(p: int, s: int = s, fixed: set[int] = fixed,
                     today: list[int] = today) -> tuple[bool, int, bool, int, int]:
                return (p not in fixed, today[p], s in week.workers[p].reluctant, -left[p], p)

            free = sorted((p for p, w in enumerate(week.workers)
                           if week.can(w, s) and left[p] > 0 and today[p] < w.max_per_day),
                          key=rank)
            # First those whose table has room (and fixed people), then anyone.
            at_table: dict[int, int] = {}
            taken: list[int] = []
            for relaxed in (False, True):
                for p in free:
                    if len(taken) == week.slots[s].lines:
                        break
                    if p in taken or (spread_tables and not relaxed and p not in fixed
                                      and _table_full(week, p, at_table)):
                        continue
                    _table_full(week, p, at_table, add=True)
                    taken.append(p)
            for p in taken:
                chosen.add((p, s))
                left[p] -= 1
                today[p] += 1
    return chosen


def _table_full(week: Week, p: int, at_table: dict[int, int], *, add: bool = False) -> bool:
    """Whether ``p``'s table already has ``max_per_table`` people in the turn (``add``:
    count ``p`` in)."""
    table = week.workers[p].table
    if table is None or table < 0:
        return False
    if add:
        at_table[table] = at_table.get(table, 0) + 1
        return False
    return at_table.get(table, 0) >= week.max_per_table


def _patterns(model: cp_model.CpModel, row: Sequence[Any], guessed: Sequence[int], cap: int,
              w8: Weights, name: str) -> list[Any]:
    """The day-pattern penalties of one person's day (``row``: the turns' variables, None
    where they cannot work; ``guessed``: the greedy plan's values, for the hint)."""
    terms: list[Any] = []
    n = len(row)
    g = guessed

    def var(t: int) -> Any:
        return row[t] if row[t] is not None else 0

    def penalise(weight: int, lower: Any, value: int, label: str) -> None:
        flag = model.new_bool_var(label)
        model.add(flag >= lower)
        model.add_hint(flag, int(value > 0))
        terms.append(weight * flag)

    if cap >= 3:
        for t in range(n - 2):
            if all(row[u] is not None for u in (t, t + 1, t + 2)):
                penalise(w8.marathon, var(t) + var(t + 1) + var(t + 2) - 2,
                         g[t] + g[t + 1] + g[t + 2] - 2, f"m{name}_{t}")
    for t in range(n):
        for u in range(t + 2, n):
            if row[t] is None or row[u] is None:
                continue
            between = [var(v) for v in range(t + 1, u)]
            weight = w8.gap_one if u - t == 2 else w8.gap_long
            penalise(weight, var(t) + var(u) - 1 - sum(between),
                     g[t] + g[u] - 1 - sum(g[t + 1:u]), f"g{name}_{t}_{u}")
    for t in range(1, n - 2):
        if row[t] is None or row[t + 1] is None:
            continue
        others = [var(v) for v in range(n) if v not in (t, t + 1)]
        rest = sum(g) - g[t] - g[t + 1]
        penalise(w8.no_break, var(t) + var(t + 1) - 1 - sum(others),
                 g[t] + g[t + 1] - 1 - rest, f"b{name}_{t}")
    return terms


def _fixed_terms(model: cp_model.CpModel, week: Week, x: dict[tuple[int, int], Any],
                 terms: list[Any]) -> int:
    """A fixed turn not placed costs ``fixed``: 50 − 50·x, unless the person cannot take
    it (hard-busy or absent: no cost). Returns the constant part."""
    offset = 0
    index = {w.key: p for p, w in enumerate(week.workers)}
    for s, key in sorted({(s, k) for (s, _), k in week.fixed.items()}):
        p = index.get(key)
        if p is None or s in week.workers[p].blocked:
            continue
        offset += week.weights.fixed
        if (p, s) in x:
            terms.append(-week.weights.fixed * x[p, s])
    return offset


def _crowd_terms(model: cp_model.CpModel, week: Week, x: dict[tuple[int, int], Any],
                 guess: set[tuple[int, int]], terms: list[Any]) -> None:
    for s in range(len(week.slots)):
        for _label, limit, weight, members in _crowds(week, s):
            present = [p for p in members if (p, s) in x]
            if len(present) <= limit:
                continue
            over = model.new_int_var(0, len(present) - limit, f"c{s}_{len(terms)}")
            model.add(over >= sum(x[p, s] for p in present) - limit)
            model.add_hint(over, max(0, sum(1 for p in present if (p, s) in guess) - limit))
            terms.append(weight * over)


def _crowds(week: Week, s: int) -> Iterable[tuple[Said, int, int, list[int]]]:
    """(label, limit, weight, worker indexes) for each table and each limited group."""
    tables: dict[int, list[int]] = {}
    groups: dict[str, list[int]] = {}
    for p, worker in enumerate(week.workers):
        if worker.table is not None and worker.table >= 0:
            tables.setdefault(worker.table, []).append(p)
        for group in worker.groups:
            if group in week.group_max:
                groups.setdefault(group, []).append(p)
    for table, members in sorted(tables.items()):
        yield say(N_("table {table}"), table=table), week.max_per_table, week.weights.table, \
            members
    for group, members in sorted(groups.items()):
        yield say(N_("group {group}"), group=group), week.group_max[group], \
            week.weights.group, members


SINGLE_UP_TO = 10_000  # person-turn variables; above, two interleaved workers


def solve(week: Week, *, time_limit: float = 30.0, workers: int | None = None) -> Outcome:
    """The best plan found within ``time_limit`` (the solver's deterministic time, about a
    second each; a wall-clock stop at twice that is a backstop), with its reasons.

    Deterministic either way: one worker (the default up to ``SINGLE_UP_TO`` variables,
    where it proves the optimum with the least work), or ``workers`` interleaved in
    deterministic batches (the default above it, where the portfolio finds plans faster)."""
    from ortools.sat.python import cp_model

    began = timing.perf_counter()
    capacity = capacity_said(week)
    built = _build(week)
    if workers is None:
        workers = 1 if len(built.x) <= SINGLE_UP_TO else 2
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = workers
    if workers > 1:
        params.interleave_search = True  # deterministic, whatever the number of workers
    params.random_seed = SEED
    params.max_deterministic_time = time_limit
    params.max_time_in_seconds = 2 * time_limit
    code = solver.solve(built.model)
    seconds = timing.perf_counter() - began
    if code == cp_model.INFEASIBLE or code == cp_model.MODEL_INVALID:
        reason = _infeasible_reason(week, capacity, solver.status_name(code))
        return Outcome(INFEASIBLE, None, None, seconds, time_limit,
                       capacity=[english(c) for c in capacity], reason=english(reason),
                       capacity_said=capacity, reason_said=reason)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        reason = say(N_("no plan found within {limit} s: raise --time-limit"),
                     limit=f"{time_limit:g}")
        return Outcome(UNKNOWN, None, None, seconds, time_limit,
                       capacity=[english(c) for c in capacity], reason=english(reason),
                       capacity_said=capacity, reason_said=reason)
    chosen = {s: sorted(p for (p, t), v in built.x.items() if t == s and solver.value(v))
              for s in range(len(week.slots))}
    grid = place_lines(week, {s: [week.workers[p].key for p in ps] for s, ps in chosen.items()})
    penalties = explain(week, grid)
    objective = round(solver.objective_value)
    status = OPTIMAL if code == cp_model.OPTIMAL else FEASIBLE
    bound = float(solver.best_objective_bound)
    return Outcome(status, objective, objective if status == OPTIMAL else bound, seconds,
                   time_limit, grid=grid, penalties=penalties,
                   capacity=[english(c) for c in capacity], capacity_said=capacity,
                   work=float(solver.deterministic_time))


def _infeasible_reason(week: Week, capacity: list[Said], status: str) -> Said:
    if capacity:
        return say(N_("no plan keeps every hard rule: {problems}"),
                   problems=joined(" ", capacity))
    return say(N_("no plan keeps every hard rule (solver status {status})"), status=status)


# --------------------------------------------------------------------------- lines


def place_lines(week: Week, chosen: dict[int, list[str]]) -> dict[tuple[int, int], str]:
    """Each turn's people on its lines: a fixed person on their fixed line, then each on
    the line they had the turn before that day, then the first free line."""
    grid: dict[tuple[int, int], str] = {}
    for _day, slots in week.days().items():
        before: dict[str, int] = {}
        for s in slots:
            people = chosen.get(s, [])
            taken: dict[int, str] = {}
            for key in people:
                for (fs, line), fixed_key in sorted(week.fixed.items()):
                    if fs == s and fixed_key == key and line not in taken \
                            and line < week.slots[s].lines:
                        taken[line] = key
                        break
            placed = set(taken.values())
            for key in people:
                if key in placed:
                    continue
                line = before.get(key, -1)
                if line < 0 or line in taken or line >= week.slots[s].lines:
                    line = next(n for n in range(week.slots[s].lines) if n not in taken)
                taken[line] = key
            for line, key in taken.items():
                grid[s, line] = key
            before = {key: line for line, key in taken.items()}
    return grid


# --------------------------------------------------------------------------- reasons


def explain(week: Week, grid: dict[tuple[int, int], str]) -> list[Penalty]:
    """Every penalty of the plan, in words, with its cost (their sum is the objective)."""
    w8 = week.weights
    found: list[Penalty] = []
    works: dict[str, set[int]] = {}
    for (s, _line), key in grid.items():
        works.setdefault(key, set()).add(s)
    by_key = {w.key: w for w in week.workers}
    for s, slot in enumerate(week.slots):
        filled = sum(1 for (t, _), _k in grid.items() if t == s)
        holes = slot.lines - filled
        if holes <= 0:
            continue
        free = [w for w in week.workers if week.can(w, s)]
        why: Said
        if len(free) < slot.lines:
            why = joined("", [_only_free(len(free)), _why_not(week, s)])
        else:
            idle = [w for w in free if s not in works.get(w.key, set())]
            why = joined("", [say(N_("{n} people are free then, and those left out are at a "
                                     "limit or cost more elsewhere"), n=len(free)),
                              _limits(week, idle, works, slot.day)])
        text = said.ngettext("{slot}: {n} line empty — {why}", "{slot}: {n} lines empty — {why}",
                             holes, slot=slot.said, why=why)
        found.append(Penalty("holes", w8.holes * holes * holes, text))
    for s, key in sorted({(s, k) for (s, _), k in week.fixed.items()}):
        worker = by_key.get(key)
        slot = week.slots[s]
        if worker is None or s in works.get(key, set()):
            continue
        if s in worker.blocked:
            found.append(Penalty("fixed", 0, say(
                N_("{name}'s fixed turn {slot} not placed: {why} then"),
                name=worker.first_name, slot=slot.said, why=worker.why_blocked(s)), (key,)))
            continue
        if worker.bound <= 0:
            why = say(N_("{name}'s fixed turn {slot} not placed: no turns this week"),
                      name=worker.first_name, slot=slot.said)
        else:
            why = say(N_("{name}'s fixed turn {slot} not placed"), name=worker.first_name,
                      slot=slot.said)
        found.append(Penalty("fixed", w8.fixed, why, (key,)))
    days = week.days()
    for worker in week.workers:
        mine = works.get(worker.key, set())
        for s in sorted(mine):
            if s in worker.reluctant:
                found.append(Penalty("negotiable", w8.negotiable, say(
                    N_("{name} works {slot} though they would rather not ('{reason}')"),
                    name=worker.first_name, slot=week.slots[s].said,
                    reason=worker.reluctant[s]), (worker.key,)))
        for day, slots in days.items():
            row = [s in mine for s in slots]
            found += _day_penalties(week, worker, day, slots, row)
    for s, slot in enumerate(week.slots):
        for what, limit, weight, members in _crowds(week, s):
            on = [week.workers[p] for p in members if s in works.get(week.workers[p].key, set())]
            if len(on) > limit:
                found.append(Penalty("crowd", weight * (len(on) - limit), say(
                    N_("{slot}: {n} of {crowd} phoning at once (at most {limit}): {names}"),
                    slot=slot.said, n=len(on), crowd=what, limit=limit,
                    names=", ".join(w.first_name for w in on)), tuple(w.key for w in on)))
    return found


def _day_penalties(week: Week, worker: Worker, day: date, slots: list[int],
                   row: list[bool]) -> list[Penalty]:
    w8 = week.weights
    found: list[Penalty] = []
    n = sum(row)
    name, key, on = worker.first_name, (worker.key,), weekday(day)
    if n >= 2:
        found.append(Penalty("per_day", w8.per_day * n * (n - 1), say(
            N_("{name} works {n} turns on {day}"), name=name, n=n, day=on), key))
    starts = [f"{week.slots[s].start:%H:%M}" for s in slots]
    for t in range(len(row) - 2):
        if row[t] and row[t + 1] and row[t + 2]:
            found.append(Penalty("marathon", w8.marathon, say(
                N_("{name} works three turns in a row on {day} from {start}"), name=name,
                day=on, start=starts[t]), key))
    worked = [t for t, on_it in enumerate(row) if on_it]
    for a, b in itertools.pairwise(worked):
        if b - a == 2:
            found.append(Penalty("gap_one", w8.gap_one, say(
                N_("{name} has a one-turn gap on {day} ({first} and {second})"), name=name,
                day=on, first=starts[a], second=starts[b]), key))
        elif b - a >= 3:
            found.append(Penalty("gap_long", w8.gap_long, say(
                N_("{name} has a long gap on {day} ({first} and {second})"), name=name,
                day=on, first=starts[a], second=starts[b]), key))
    if len(worked) == 2 and worked[1] == worked[0] + 1 and worked[0] >= 1 \
            and worked[1] <= len(row) - 2:
        found.append(Penalty("no_break", w8.no_break, say(
            N_("{name} works only {first} and {second} on {day} (no break)"), name=name,
            first=starts[worked[0]], second=starts[worked[1]], day=on), key))
    return found


def _limits(week: Week, idle: list[Worker], works: dict[str, set[int]], day: date,
            limit: int = 6) -> Said:
    days = week.days()
    parts: list[Said] = []
    for w in idle:
        planned = len(works.get(w.key, set()))
        today = len(works.get(w.key, set()) & set(days.get(day, [])))
        if planned >= w.bound:
            parts.append(say(N_("{name}: {planned} of bound {bound}"), name=w.first_name,
                             planned=planned, bound=w.bound))
        elif today >= w.max_per_day:
            parts.append(say(N_("{name}: {n} turns that day already"), name=w.first_name,
                             n=today))
        else:
            parts.append(say(N_("{name}: placing them costs more elsewhere"),
                             name=w.first_name))
    return _listed(parts, limit)


def total_cost(penalties: Iterable[Penalty]) -> int:
    return sum(p.cost for p in penalties)
