"""A plan solved in a process of its own, so a serving process never keeps the solver.

OR-Tools' CP-SAT, with the pandas and numpy it imports, adds about 120 MB to the process
that solves, and most of it stays there after the solve (measured by ``switchboard bench
memory``). A long-lived web worker therefore solves in a child made for that one solve:
forked from a small fork server that has loaded only the planner's model (never the app,
never OR-Tools), the child imports OR-Tools, solves, hands the outcome back and exits.
The solve itself is the same function, so the plan is the same (it is deterministic).
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import ForkServerContext

from commands.shifts.planning.model import Outcome, Week, solve

_lock = threading.Lock()
_context: ForkServerContext | None = None


def _forkserver() -> ForkServerContext:
    global _context
    with _lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            assert isinstance(context, ForkServerContext)
            # Only the model: the default would load __main__ (gunicorn's, say) there.
            context.set_forkserver_preload(["commands.shifts.planning.model"])
            _context = context
        return _context


def solve_apart(week: Week, *, time_limit: float) -> Outcome:
    """``solve(week)`` in a child process that exits when it is done."""
    with ProcessPoolExecutor(max_workers=1, mp_context=_forkserver()) as pool:
        return pool.submit(solve, week, time_limit=time_limit).result()
