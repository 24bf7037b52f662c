"""switchboard bench ivr, for a fraction of a second: gunicorn up, every endpoint driven in
both loops, bookings stored, the targets judged, nothing left behind."""

from __future__ import annotations

import io
import re

from bench.ivr import BARE, BOOKING, SLOTS, verdicts
from bench.loadgen import Run
from tests.bench.conftest import Bench

ROW = re.compile(r"(?P<load>closed, 2 clients|open, 20/s) +(?P<rate>[\d.]+) +(?P<share>[\d.]+%)? +"
                 r"(?P<p50>[\d.]+) +(?P<p99>[\d.]+) +(?P<max>[\d.]+) +(?P<errors>\d+) ")
BOOKINGS = re.compile(r"bookings: (\d+) answered 201 in the runs and (\d+) in the warm-up; "
                      r"stored: (\d+) callbacks, 0 refused for capacity")
TARGET = re.compile(r"target: (.+): (met|MISSED)$")


def test_ivr_drives_slots_and_bookings_under_gunicorn(bench: Bench) -> None:
    status, out, err = bench("ivr", "--clients", "2", "--seconds", "0.2", "--rate", "20",
                             "--workers", "2", "--threads", "2")
    assert status == 0, err
    assert "server:   gunicorn --bind fd://" in out and "--workers 2 --threads 2" in out, out
    for endpoint in (BARE, SLOTS, BOOKING):
        rows = [ROW.search(line) for line in out.splitlines() if line.startswith(endpoint)]
        assert len(rows) == 2 and all(rows), out
        closed, opened = rows
        assert closed is not None and opened is not None
        assert closed["load"].startswith("closed") and opened["load"].startswith("open")
        for row in (closed, opened):
            assert float(row["rate"]) > 0 and float(row["p50"]) > 0
            assert row["errors"] == "0", out
    booked = BOOKINGS.search(out)
    assert booked is not None, out
    timed, warm, stored = (int(n) for n in booked.groups())
    assert timed > 0 and stored == timed + warm
    targets = [m.group(1, 2) for line in out.splitlines() if (m := TARGET.search(line))]
    assert [label.split(":")[0] for label, _ in targets] == [
        "slots p99 under 25 ms", "booking p99 under 50 ms",
        "slots throughput at least half the bare endpoint's"]
    assert "the targets are set at 50 clients; this run had 2" in out
    bench.assert_nothing_left()


def run(name: str, rate: int, p99_ms: float) -> Run:
    """``rate`` answers in a second, the slowest 5 % of them taking ``p99_ms``."""
    slow = rate // 20
    return Run(name, "closed, 50 clients", elapsed=1.0,
               latencies=[0.001] * (rate - slow) + [p99_ms / 1000] * slow)


def test_each_target_is_judged_from_the_closed_loop() -> None:
    out = io.StringIO()
    runs = [run(BARE, 1000, 20), Run(BARE, "open, 100/s", 1.0, [0.5]),
            run(SLOTS, 600, 24), run(BOOKING, 100, 60)]
    verdicts(out, runs, 50)
    lines = out.getvalue().splitlines()
    assert "  target: slots p99 under 25 ms: 24.0 ms: met" in lines
    assert "  target: booking p99 under 50 ms: 60.0 ms: MISSED" in lines
    assert "  target: slots throughput at least half the bare endpoint's: 600 vs 1000 req/s " \
           "(60%): met" in lines
    out = io.StringIO()
    verdicts(out, [run(BARE, 1000, 1), run(SLOTS, 400, 30), run(BOOKING, 100, 10)], 50)
    assert "(40%): MISSED" in out.getvalue() and "30.0 ms: MISSED" in out.getvalue()
    assert "booking p99 under 50 ms: 10.0 ms: met" in out.getvalue()
