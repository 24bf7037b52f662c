"""The planner's model: small weeks whose optimum is known by hand, the optimum checked
against every possible plan of tiny weeks, and the hard rules of every plan produced."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import date, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.shifts.planning.model import (
    INFEASIBLE,
    OPTIMAL,
    Slot,
    Week,
    Worker,
    capacity_problems,
    explain,
    place_lines,
    solve,
    total_cost,
)

MONDAY = date(2030, 1, 7)
STARTS = (time(9), time(10, 15), time(11, 30), time(12, 45), time(14))


def slots(days: int, turns: int, lines: int) -> list[Slot]:
    return [Slot(MONDAY + timedelta(days=d), t, STARTS[t], STARTS[t + 1], lines)
            for d in range(days) for t in range(turns)]


def worker(key: str, bound: int, max_per_day: int = 2, **extra: object) -> Worker:
    return Worker(key=key, name=key.title(), ideal=bound, prorated=bound, bound=bound,
                  max_per_day=max_per_day, **extra)  # type: ignore[arg-type]


def turns_of(outcome_grid: dict[tuple[int, int], str], key: str) -> list[int]:
    return sorted(s for (s, _), k in outcome_grid.items() if k == key)


def test_two_people_over_one_day_of_four_turns() -> None:
    # Each must work two turns (or leave holes at 100 each). Two turns a day cost 20 per
    # person; the cheapest patterns are adjacent turns that touch the day's edge
    # (1100 and 0011): a gap costs 30 or 20 more, 0110 costs 10 more.
    week = Week(slots(1, 4, 1), [worker("anna", 2), worker("pau", 2)])
    outcome = solve(week, time_limit=10)
    assert (outcome.status, outcome.objective) == (OPTIMAL, 40)
    assert {tuple(turns_of(outcome.grid, k)) for k in ("anna", "pau")} == {(0, 1), (2, 3)}
    assert sorted(p.text for p in outcome.penalties) == ["Anna works 2 turns on Mon",
                                                         "Pau works 2 turns on Mon"]
    assert total_cost(outcome.penalties) == outcome.objective


def test_empty_lines_cost_the_square_of_the_holes_and_say_why() -> None:
    week = Week(slots(1, 1, 3), [worker("anna", 1),
                                 worker("pau", 1, blocked={0: "hard-busy, 'school run'"}),
                                 worker("joan", 1, blocked={0: "absent, vacation"})])
    outcome = solve(week, time_limit=10)
    assert outcome.objective == 400  # two of three lines empty: 100 × 2²
    assert [p.text for p in outcome.penalties] == [
        "Mon 09:00: 2 lines empty — only 1 person is free then (Pau: hard-busy, "
        "'school run'; Joan: absent, vacation)"]
    assert capacity_problems(week) == [
        "Mon 09:00: 2 of 3 lines cannot be filled — only 1 person is free then (Pau: "
        "hard-busy, 'school run'; Joan: absent, vacation)"]


def test_a_fixed_turn_is_placed_on_its_line_unless_the_person_is_hard_busy() -> None:
    week = Week(slots(1, 2, 2), [worker("anna", 1), worker("pau", 1), worker("marta", 1,
                blocked={1: "hard-busy, 'team meeting'"})],
                fixed={(0, 1): "pau", (1, 0): "marta"}, line_names=["T1", "T2"])
    outcome = solve(week, time_limit=10)
    assert outcome.grid[0, 1] == "pau"
    assert "marta" not in outcome.grid.values() or turns_of(outcome.grid, "marta") == [0]
    fixed = [p for p in outcome.penalties if p.kind == "fixed"]
    assert [(p.cost, p.text) for p in fixed] == [
        (0, "Marta's fixed turn Mon 10:15 not placed: hard-busy, 'team meeting' then")]
    # Without the rule, leaving Pau's fixed turn out would cost 50 more.
    assert total_cost(outcome.penalties) == outcome.objective


def test_a_negotiable_turn_is_used_only_when_cheaper_than_a_hole() -> None:
    week = Week(slots(1, 2, 1), [worker("anna", 1, reluctant={0: "gym"})])
    outcome = solve(week, time_limit=10)
    assert turns_of(outcome.grid, "anna") == [1]
    assert outcome.objective == 100
    week = Week(slots(1, 2, 1), [worker("anna", 2, reluctant={0: "gym"})])
    outcome = solve(week, time_limit=10)
    assert turns_of(outcome.grid, "anna") == [0, 1]
    assert outcome.objective == 5 + 20  # the negotiable turn and two turns that day
    assert [p.text for p in outcome.penalties if p.kind == "negotiable"] == [
        "Anna works Mon 09:00 though they would rather not ('gym')"]


def test_tables_and_groups_over_their_maximum_are_penalised() -> None:
    team = [worker(k, 1, table=3, groups=("matins",)) for k in ("anna", "pau", "joan")]
    week = Week(slots(1, 1, 3), team, max_per_table=2, group_max={"matins": 1})
    outcome = solve(week, time_limit=10)
    # Leaving a line empty costs 100; one over the table costs 5, two over the group 10.
    assert outcome.objective == 5 + 10
    assert [p.text for p in outcome.penalties] == [
        "Mon 09:00: 3 of table 3 phoning at once (at most 2): Anna, Pau, Joan",
        "Mon 09:00: 3 of group matins phoning at once (at most 1): Anna, Pau, Joan"]


def test_three_in_a_row_and_gaps_with_three_turns_a_day_allowed() -> None:
    week = Week(slots(1, 4, 1), [worker("anna", 3, max_per_day=3)])
    outcome = solve(week, time_limit=10)
    # Three turns: 60 for the day, plus the cheapest pattern of 1110/0111 (marathon 40),
    # 1101/1011 (one-turn gap 30): 90, and one hole: 100.
    assert outcome.objective == 60 + 30 + 100
    kinds = sorted(p.kind for p in outcome.penalties)
    assert kinds == ["gap_one", "holes", "per_day"]


def test_a_line_left_empty_while_people_are_free_says_what_holds_them() -> None:
    week = Week(slots(1, 3, 1), [worker("anna", 1), worker("pau", 1)])
    outcome = solve(week, time_limit=10)
    [hole] = [p.text for p in outcome.penalties if p.kind == "holes"]
    assert hole.endswith("1 line empty — 2 people are free then, and those left out are at a "
                         "limit or cost more elsewhere (Anna: 1 of bound 1; Pau: 1 of bound 1)")


def test_loading_the_application_does_not_load_the_solver() -> None:
    code = ("import sys, bot.app, bot.cli.main, commands.registry; "
            "print(any(m.startswith('ortools') for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def test_nobody_at_all_is_a_plan_with_every_line_empty() -> None:
    week = Week(slots(1, 1, 2), [worker("anna", 0)])
    outcome = solve(week, time_limit=5)
    assert outcome.status == OPTIMAL and outcome.objective == 400 and outcome.grid == {}
    assert outcome.status != INFEASIBLE


def test_the_same_week_gives_the_same_plan() -> None:
    def make() -> Week:
        team = [worker(f"p{n}", 3, table=n // 3, reluctant={n % 8: "x"}) for n in range(12)]
        return Week(slots(2, 4, 4), team, fixed={(0, 0): "p3", (5, 1): "p7"})

    first, second = solve(make(), time_limit=10), solve(make(), time_limit=10)
    assert first.grid == second.grid and first.objective == second.objective
    # Two workers interleaved (what large weeks use) are deterministic too.
    third, fourth = (solve(make(), time_limit=10, workers=2),
                     solve(make(), time_limit=10, workers=2))
    assert third.grid == fourth.grid and third.objective == first.objective


# --------------------------------------------------------------------------- properties


@st.composite
def weeks(draw: st.DrawFn, max_people: int = 5) -> Week:
    days = draw(st.integers(1, 2))
    turns = draw(st.integers(1, 4))
    lines = draw(st.integers(1, 3))
    week_slots = slots(days, turns, lines)
    team = []
    for n in range(draw(st.integers(1, max_people))):
        blocked = draw(st.sets(st.integers(0, len(week_slots) - 1), max_size=3))
        reluctant = draw(st.sets(st.integers(0, len(week_slots) - 1), max_size=2))
        team.append(worker(f"p{n}", draw(st.integers(0, 4)), draw(st.integers(1, 3)),
                           blocked={s: "hard-busy, 'x'" for s in blocked},
                           reluctant={s: "y" for s in reluctant - blocked},
                           table=draw(st.sampled_from([None, 1, 2]))))
    fixed = {}
    for _ in range(draw(st.integers(0, 2))):
        fixed[draw(st.integers(0, len(week_slots) - 1)), draw(st.integers(0, lines - 1))] = \
            draw(st.sampled_from([w.key for w in team]))
    return Week(week_slots, team, fixed=fixed, max_per_table=1)


def check_hard_rules(week: Week, grid: dict[tuple[int, int], str]) -> None:
    by_key = {w.key: w for w in week.workers}
    seen: set[tuple[int, str]] = set()
    for (s, line), key in grid.items():
        assert 0 <= line < week.slots[s].lines
        assert (s, key) not in seen, "a person twice in one turn"
        seen.add((s, key))
        assert s not in by_key[key].blocked, "a person on a blocked turn"
    for w in week.workers:
        mine = [s for s, k in seen if k == w.key]
        assert len(mine) <= w.bound
        for day in {week.slots[s].day for s in mine}:
            assert sum(1 for s in mine if week.slots[s].day == day) <= w.max_per_day


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weeks())
def test_every_plan_keeps_every_hard_rule_and_its_reasons_add_up(week: Week) -> None:
    outcome = solve(week, time_limit=10)
    assert outcome.status == OPTIMAL
    check_hard_rules(week, outcome.grid)
    assert total_cost(outcome.penalties) == outcome.objective


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weeks(max_people=2))
def test_the_optimum_is_the_cheapest_of_every_possible_plan(week: Week) -> None:
    outcome = solve(week, time_limit=10)
    options = [[s for s in range(len(week.slots)) if week.can(w, s)] for w in week.workers]
    best = None
    for choice in itertools.product(*(
            [c for r in range(len(opts) + 1) for c in itertools.combinations(opts, r)]
            for opts in options)):
        chosen: dict[int, list[str]] = {}
        for w, picked in zip(week.workers, choice, strict=True):
            for s in picked:
                chosen.setdefault(s, []).append(w.key)
        if any(len(keys) > week.slots[s].lines for s, keys in chosen.items()):
            continue
        grid = place_lines(week, chosen)
        try:
            check_hard_rules(week, grid)
        except AssertionError:
            continue
        cost = total_cost(explain(week, grid))
        best = cost if best is None else min(best, cost)
    assert outcome.objective == best
