"""switchboard bench memory, briefly: gunicorn up, a few requests, a chart and a small
plan asked in chat, the workers' memory read from /proc at each moment and held to the
idle and planning targets."""

from __future__ import annotations

import re

from bench.memory import read_memory
from tests.bench.conftest import Bench

MOMENTS = ("started", "idle, 5 requests", "after a chart", "after the plan")
ROW = re.compile(r"^  (?P<moment>started|idle, 5 requests|after a chart|after the plan) +"
                 r"(?P<role>master|worker)"
                 r" +(?P<pid>\d+): RSS +(?P<rss>[\d.]+) MB", re.MULTILINE)


def test_memory_reads_each_worker_at_each_moment(bench: Bench) -> None:
    status, out, err = bench("memory", "--requests", "5", "--plan-people", "20")
    rows = ROW.findall(out)
    assert {(m, r) for m, r, _, _ in rows} == {
        (moment, role) for moment in MOMENTS for role in ("master", "worker")}, out
    workers = {pid for _, role, pid, _ in rows if role == "worker"}
    assert len(workers) == 1  # the app.yaml entrypoint's one worker
    assert all(float(rss) > 20 for _, _, _, rss in rows)
    match = re.search(r"target: idle worker ≤ 150 MB RSS: (met|MISSED) "
                      r"\(largest idle worker ([\d.]+) MB\)", out)
    assert match is not None, out
    peak = re.search(r"^  planning +worker +(\d+): peak RSS +([\d.]+) MB \(VmHWM since the "
                     r"plan was asked; sampled every 20 ms: ([\d.]+) MB", out, re.MULTILINE)
    assert peak is not None and peak[1] in workers, out
    # The solve ran in the worker's children (PLAN_APART): they are counted with it.
    together = re.search(r"^  planning +worker +(\d+) with its children: peak PSS +([\d.]+) MB "
                         r"\(its children alone, the fork server and the solver: ([\d.]+) MB",
                         out, re.MULTILINE)
    assert together is not None and together[1] == peak[1], out
    assert float(together[3]) > 20 and float(together[2]) > float(together[3])
    assert re.search(r"plan: 20 people × 20 lines, week of 2030-02-04, 400 cells, .*: "
                     r"optimal, ", out), out
    assert "switchboard_planner_solve_seconds_count optimal=1" in out
    planned = re.search(r"target: a worker's peak \(with its children\) during a plan of 20 "
                        r"people ≤ 350 MB \(its RSS; with its children, their PSS together\): "
                        r"(met|MISSED) \(peak ([\d.]+) MB\)", out)
    assert planned is not None, out
    assert float(planned[2]) == max(float(peak[2]), float(together[2])), out
    assert status == (0 if match[1] == planned[1] == "met" else 1), err


def test_without_a_plan_the_peak_is_not_measured(bench: Bench) -> None:
    status, out, err = bench("memory", "--requests", "0", "--plan-people", "0")
    assert "planner peak: not measured (--plan-people 0)" in out, out + err
    assert "after the plan" not in out
    idle = re.search(r"target: idle worker ≤ 150 MB RSS: (met|MISSED)", out)
    assert idle is not None, out
    assert status == (0 if idle[1] == "met" else 1), err  # the idle target alone decides


def test_memory_is_read_from_proc() -> None:
    import os

    own = read_memory(os.getpid())
    assert own is not None and own.rss_mb > 10
    assert read_memory(2**22 + 12345) is None  # no such process
