"""``switchboard bench queue-log-stats`` runs end to end on a small scale (the figures
themselves are measured by running it, not here), and its log is in time order."""

from __future__ import annotations

import io
from datetime import date

from bench.queue_log_stats import in_time_order
from bench.stats import queue_log_lines
from bot.cli.main import main
from tests.conftest import MADRID


def test_the_synthetic_log_is_in_time_order() -> None:
    lines = list(in_time_order(queue_log_lines(5000, date(2026, 1, 5), MADRID)))
    times = [int(line.split("|", 1)[0]) for line in lines]
    assert len(lines) == 5000 and times == sorted(times)


def test_the_benchmark_times_the_command_and_prints_its_figures() -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(["bench", "queue-log-stats", "--lines", "3000"],
                  environ={"DATABASE_URL": "sqlite://", "LOG_LEVEL": "warning",
                           "TIMEZONE": "Europe/Madrid"}, out=out, err=err)
    text = out.getvalue()
    assert status in (0, 1), err.getvalue()
    assert "timed: switchboard stats --queue-log" in text and "--date 2026-01-05" in text
    assert "exit 0; Calls Mon 05 Jan 2026:" in text
    assert "stats --queue-log, one day" in text and "peak RSS" in text
    assert "target: <= 5 s and <= 300 MB" in text
