"""``switchboard bench queue-log-stats``: one day's figures from a large queue_log file.

Writes a synthetic queue_log of ``--lines`` lines (default 1,000,000: about four weeks of
a call every 8 seconds, ``bench.stats.queue_log_lines``) in time order to a temporary
file, untimed. Then runs the product's own command in a child process, exactly as a user
would::

    switchboard stats --queue-log FILE --date DAY

and prints its wall time and its peak resident memory (the child's ``ru_maxrss``), with
the targets: at most 5 s and 300 MB. DAY defaults to a day in the middle of the file.
"""

from __future__ import annotations

import argparse
import heapq
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from bench.report import header, load_average
from bench.stats import queue_log_lines
from bot.cli.base import EXIT_FAILED, EXIT_OK, Cli, Subparsers

TARGET_SECONDS, TARGET_MB = 5.0, 300
FIRST_DAY = date(2026, 1, 5)  # the synthetic log's first day (a Monday)
SPAN = 1000  # seconds: no line is logged later than this after its call's entry


def add_parser(sub: Subparsers) -> None:
    bench = sub.add_parser("queue-log-stats",
                           help="stats --queue-log for one day of a million-line log")
    bench.add_argument("--lines", type=int, default=1_000_000, help="queue_log lines")
    bench.add_argument("--date", metavar="YYYY-MM-DD",
                       help="the day asked for (default: one in the middle of the file)")
    bench.set_defaults(handler=run)


def in_time_order(lines: Iterable[str]) -> Iterator[str]:
    """The generator's lines sorted by time, holding only the last ``SPAN`` seconds."""
    pending: list[tuple[int, int, str]] = []
    for number, line in enumerate(lines):
        at = int(line.split("|", 1)[0])
        heapq.heappush(pending, (at, number, line))
        while pending and pending[0][0] < at - SPAN:
            yield heapq.heappop(pending)[2]
    while pending:
        yield heapq.heappop(pending)[2]


def write_log(path: Path, lines: int, first_day: date, cli: Cli) -> tuple[date, date]:
    """The synthetic log at ``path``; its first and last day."""
    first = last = None
    with open(path, "w", encoding="utf-8") as handle:
        for line in in_time_order(queue_log_lines(lines, first_day, cli.settings.timezone)):
            handle.write(line + "\n")
            at = int(line.split("|", 1)[0])
            first = first if first is not None else at
            last = at
    assert first is not None and last is not None
    tz = cli.settings.timezone
    return (datetime.fromtimestamp(first, tz).date(), datetime.fromtimestamp(last, tz).date())


def run(cli: Cli, args: argparse.Namespace) -> int:
    out = cli.out
    header(out, "switchboard bench queue-log-stats",
           "none (stats --queue-log works in a throwaway in-memory SQLite)")
    with tempfile.TemporaryDirectory(prefix="swb-bench-qlog-") as folder:
        path = Path(folder) / "queue_log"
        started = time.perf_counter()
        begin, end = write_log(path, args.lines, FIRST_DAY, cli)
        out.write(f"wrote {args.lines:,} lines ({path.stat().st_size / 1e6:.0f} MB, "
                  f"{begin} to {end}) in {time.perf_counter() - started:.1f} s (untimed)\n")
        day = args.date or (begin + (end - begin) / 2).isoformat()
        command = [sys.executable, "-m", "bot.cli", "stats", "--queue-log", str(path),
                   "--date", day]
        out.write("timed: switchboard " + " ".join(command[3:]) + "\n")
        # As installed: Python's compiled modules are written once, by an untimed run.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([*command[:3], "--help"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        seconds, cpu, peak_mb, code, output = _measure(command, Path(folder) / "out", env)
    received = next((line.strip() for line in output.splitlines() if "ffered" in line), "")
    out.write(f"exit {code}; {received}\n")
    out.write(f"{'stats --queue-log, one day':<40} {seconds:6.2f} s   peak RSS "
              f"{peak_mb:6.0f} MB   (CPU {cpu:.2f} s; load average now {load_average()})\n")
    met = code == 0 and seconds <= TARGET_SECONDS and peak_mb <= TARGET_MB
    out.write(f"{f'target: <= {TARGET_SECONDS:.0f} s and <= {TARGET_MB} MB':<40} "
              f"{'met' if met else 'MISSED'}\n")
    return EXIT_OK if met else EXIT_FAILED


def _measure(command: list[str], output: Path,
             env: dict[str, str]) -> tuple[float, float, float, int, str]:
    """Wall seconds, CPU seconds, peak RSS in MB (the child's own, from ``wait4``), exit
    code, output."""
    with open(output, "wb") as sink:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT,
                                 env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
    return (seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode,
            output.read_text(encoding="utf-8", errors="replace"))
