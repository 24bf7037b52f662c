"""What every benchmark prints: where it ran, and latency figures in one format."""

from __future__ import annotations

import logging
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from typing import TextIO


def quiet_logs() -> None:
    """Only errors on stderr while a benchmark prints its figures (unless LOG_LEVEL=debug):
    the runs provoke warnings on purpose (a PBX that never answers) and log every pass."""
    root = logging.getLogger()
    if root.level > logging.DEBUG:
        root.setLevel(logging.ERROR)


def machine() -> str:
    """The machine the figures belong to."""
    return (f"{os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews figures)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def header(out: TextIO, title: str, database: str, *notes: str) -> None:
    out.write(f"{title}\n")
    out.write(f"  database: {database}\n")
    out.write(f"  machine:  {machine()}; load average {load_average()}\n")
    for note in notes:
        out.write(f"  {note}\n")
    out.flush()


def footer(out: TextIO, started: float) -> None:
    out.write(f"  done in {time.monotonic() - started:.0f} s; "
              f"load average now {load_average()}\n")
    out.flush()


def timed(run: Callable[[], object], rounds: int) -> list[float]:
    """Seconds each of ``rounds`` calls took; only the call is inside the clock."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return samples


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of ``samples``."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def latency_line(name: str, samples: Sequence[float], target: float | None = None) -> str:
    """``name  n=…  p50 … ms  p95 … ms  max … ms`` and, with a target, whether max met it."""
    ms = [s * 1000 for s in samples]
    verdict = "" if target is None else (
        f"  target ≤ {target * 1000:.0f} ms: "
        f"{'met' if max(ms) <= target * 1000 else 'MISSED'}")
    return (f"{name:<46} n={len(ms):<5} p50 {statistics.median(ms):8.2f} ms  "
            f"p95 {percentile(ms, 95):8.2f} ms  max {max(ms):8.2f} ms{verdict}")
