"""switchboard bench history, on a few hundred rows: both runs timed, the ratio printed."""

from __future__ import annotations

import re

from tests.bench.conftest import Bench


def test_history_times_each_command_without_and_with_history(bench: Bench) -> None:
    status, out, err = bench("history", "--rows", "600", "--rounds", "2")
    assert status == 0, err
    assert "team:     50 people, 47 agents in the queue, 7 paused" in out
    assert "this week: 750 rows of the log" in out
    assert re.search(r"history: +600 rows from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d loaded, then "
                     r"ANALYZE", out)
    for command in ("/queue", "/breaks week", "/overdue"):
        [line] = [x for x in out.splitlines() if x.startswith(command + " ")]
        assert re.fullmatch(rf"{command} +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +[\d.]+×",
                            line), line
    [month] = [x for x in out.splitlines() if x.startswith("/breaks month")]
    assert re.search(r"[\d.]+×$", month) or "not available: " in month
    bench.assert_nothing_left()


def test_history_without_statistics_says_so(bench: Bench) -> None:
    status, out, err = bench("history", "--rows", "0", "--rounds", "1", "--no-analyze")
    assert status == 0, err
    assert "history:  0 rows" in out and "no ANALYZE (--no-analyze)" in out
    bench.assert_nothing_left()
