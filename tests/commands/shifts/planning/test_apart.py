"""A plan solved apart: the same plan as in place, and the serving process never loads
the solver (PLAN_APART, the default)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from bench.plan import generate
from commands.shifts.planning.apart import solve_apart
from commands.shifts.planning.model import solve

ROOT = Path(__file__).resolve().parents[4]


def test_the_child_finds_the_same_plan() -> None:
    week = generate(12, 3)
    here, apart = solve(week, time_limit=10), solve_apart(week, time_limit=10)
    assert (apart.status, apart.objective, apart.grid) == (here.status, here.objective,
                                                           here.grid)
    assert [p.text for p in apart.penalties] == [p.text for p in here.penalties]


def test_a_plan_leaves_the_solver_out_of_the_process(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys
        from datetime import date
        from bot.runtime import build_services
        from bot.settings import Settings
        from commands.shifts.planning.drafts import make_draft
        from commands.shifts.planning.inputs import Options
        from store import migrate
        from store.db import make_engine, transaction
        from store.demo.team import load_demo

        url = "sqlite:///{tmp_path / 'plan.db'}"
        migrate.upgrade(make_engine(url))
        services = build_services(Settings.load(environ={{"DATABASE_URL": url}},
                                                app_yaml=None))
        with transaction(services.sessions) as session:
            load_demo(session, services.clock.now())
        summary = make_draft(services, date(2030, 2, 4), Options())
        print(summary["status"], "ortools" in sys.modules, "pandas" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["optimal", "False", "False"]
