"""switchboard bench doors, with a few rounds: figures for every door, nothing left behind."""

from __future__ import annotations

import re

from tests.bench.conftest import Bench

LINES = ("console /queue (8 members)", "console /pause lunch + /resume (sim PBX)",
         "POST /chat/google /whoami (signed)", "POST /chat/google /queue (signed)",
         "POST /slack/events /switchboard whoami", "POST /slack/events /switchboard queue",
         "/pause, PBX silent (PBX_TIMEOUT=0.2 s)")


def test_doors_prints_latency_of_each_door(bench: Bench) -> None:
    status, out, err = bench("doors", "--rounds", "3", "--silent-rounds", "1")
    assert status == 0, err
    assert f"database: {'SQLite' if bench.backend == 'sqlite' else 'PostgreSQL'}" in out
    assert re.search(r"machine:  \d+ CPUs", out)
    for name in LINES:
        [line] = [x for x in out.splitlines() if x.startswith(name)]
        p50 = float(re.search(r"p50 +([\d.]+) ms", line).group(1))  # type: ignore[union-attr]
        assert p50 > 0, line
        assert "n=3" in line or "PBX silent" in line
    assert "target ≤ 1200 ms: met" in out  # the silent PBX gave up within PBX_TIMEOUT + 1 s
    assert re.search(r"outbox: console messages delivered +n=3 +\d+ messages/s", out)
    bench.assert_nothing_left()


def test_doors_refuses_nonsense_rounds(bench: Bench) -> None:
    status, _, err = bench("doors", "--rounds", "0")
    assert status == 2 and "--rounds" in err
