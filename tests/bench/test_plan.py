"""``switchboard bench plan`` runs end to end on a small size (the figures themselves are
measured by running it, not here)."""

from __future__ import annotations

import io

from bench.plan import generate
from bot.cli.main import main
from commands.shifts.planning.model import OPTIMAL, solve


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
