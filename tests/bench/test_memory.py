"""switchboard bench memory, briefly: gunicorn up, a few requests and a chart, the
workers' memory read from /proc at each moment and held to the idle target."""

from __future__ import annotations

import re

from bench.memory import read_memory
from tests.bench.conftest import Bench

ROW = re.compile(r"^  (?P<moment>started|idle, 5 requests|after a chart) +(?P<role>master|worker)"
                 r" +(?P<pid>\d+): RSS +(?P<rss>[\d.]+) MB", re.MULTILINE)


def test_memory_reads_each_worker_at_each_moment(bench: Bench) -> None:
    status, out, err = bench("memory", "--requests", "5")
    rows = ROW.findall(out)
    assert {(m, r) for m, r, _, _ in rows} == {
        (moment, role) for moment in ("started", "idle, 5 requests", "after a chart")
        for role in ("master", "worker")}, out
    workers = {pid for _, role, pid, _ in rows if role == "worker"}
    assert len(workers) == 1  # the app.yaml entrypoint's one worker
    assert all(float(rss) > 20 for _, _, _, rss in rows)
    match = re.search(r"target: idle worker ≤ 150 MB RSS: (met|MISSED) "
                      r"\(largest idle worker ([\d.]+) MB\)", out)
    assert match is not None, out
    assert status == (0 if match[1] == "met" else 1), err
    assert "planner peak" in out


def test_memory_is_read_from_proc() -> None:
    import os

    own = read_memory(os.getpid())
    assert own is not None and own.rss_mb > 10
    assert read_memory(2**22 + 12345) is None  # no such process
