"""``switchboard bench plan`` runs end to end on a small size (the figures themselves are
measured by running it, not here)."""

from __future__ import annotations

import io
from datetime import date

from bench.plan import MONDAY, generate, store_week
from bot.cli.main import main
from commands.core import Services
from commands.shifts.planning.inputs import Options, build
from commands.shifts.planning.model import OPTIMAL, solve
from store.db import reading, transaction
from tests.conftest import T0


def test_the_benchmark_prints_its_figures_and_checks_determinism() -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(["bench", "plan", "--sizes", "8x2,10x2", "--time-limit", "10"],
                  environ={"DATABASE_URL": "sqlite://", "LOG_LEVEL": "warning"},
                  out=out, err=err)
    text = out.getvalue()
    assert status == 0, err.getvalue()
    rows = [line.split() for line in text.splitlines() if line.strip().startswith(("8×", "10×")) and "twice" not in line]
    assert [(r[0], r[1], r[4]) for r in rows] == [("8×2", "40", "optimal"),
                                                  ("10×2", "40", "optimal")]
    assert "8×2 solved twice: identical plans" in text


def test_generated_weeks_are_realistic() -> None:
    week = generate(50, 8)
    assert len(week.slots) == 20 and all(s.lines == 8 for s in week.slots)
    with_rules = [w for w in week.workers if any(not v.startswith("absent")
                                                 for v in w.blocked.values()) or w.reluctant]
    absent = [w for w in week.workers if any(v.startswith("absent") for v in w.blocked.values())]
    assert 8 <= len(with_rules) <= 25 and 1 <= len(absent) <= 12 and week.fixed
    outcome = solve(week, time_limit=30)
    assert outcome.status == OPTIMAL


def test_a_generated_week_stored_is_the_week_the_product_plans(demo: Services) -> None:
    """What ``bench memory`` plans through chat: the store gives back the generated week
    (its turns, people, loads, tables, hard and negotiable turns, days off, fixed turns)."""
    week = generate(40, 4)
    monday = date(2030, 2, 4)  # no holiday in that week
    with transaction(demo.sessions) as session:
        assert store_week(session, week, monday, T0) == 40
    with reading(demo.sessions) as session:
        planned = build(session, demo.settings, monday, Options()).week
    assert [(s.day - monday, s.turn, s.start, s.end, s.lines) for s in planned.slots] == [
        (s.day - MONDAY, s.turn, s.start, s.end, s.lines) for s in week.slots]
    assert [w.key for w in planned.workers] == [w.key for w in week.workers]  # nobody else
    for made, got in zip(week.workers, planned.workers, strict=True):
        assert (got.ideal, got.prorated, got.table) == (made.ideal, made.prorated, made.table)
        assert set(got.blocked) == set(made.blocked), made.key
        assert set(got.reluctant) == set(made.reluctant) - set(made.blocked), made.key
        assert got.bound <= made.bound
    assert planned.fixed == week.fixed
