"""switchboard bench load, for a fraction of a second: gunicorn up, every endpoint driven,
figures printed, nothing left behind."""

from __future__ import annotations

import re

from tests.bench.conftest import Bench

ENDPOINTS = ("GET /healthz (floor)", "POST /chat/google /whoami", "POST /chat/google /queue",
             "POST /slack/events /switchboard queue")
ROW = re.compile(r"(?P<load>closed, 2 clients|open, 20/s) +(?P<rate>[\d.]+) +(?P<share>[\d.]+%)? +"
                 r"(?P<p50>[\d.]+) +(?P<p99>[\d.]+) +(?P<max>[\d.]+) +(?P<errors>\d+) ")


def test_load_drives_every_endpoint_under_gunicorn(bench: Bench) -> None:
    status, out, err = bench("load", "--clients", "2", "--seconds", "0.2", "--rate", "20")
    assert status == 0, err
    assert "server:   gunicorn --bind fd://" in out and "bot.app:create_app()" in out
    for endpoint in ENDPOINTS:
        rows = [ROW.search(line) for line in out.splitlines() if line.startswith(endpoint)]
        assert len(rows) == 2 and all(rows), out
        closed, opened = rows
        assert closed is not None and opened is not None
        assert closed["load"].startswith("closed") and opened["load"].startswith("open")
        for row in rows:
            assert row is not None
            assert float(row["rate"]) > 0 and float(row["p50"]) > 0
            assert row["errors"] == "0", out
        assert closed["share"] is not None and opened["share"] is None
    assert "100.0%" in next(x for x in out.splitlines() if x.startswith(ENDPOINTS[0]))
    assert "missed the acknowledgement (sent to response_url): 0" in out
    bench.assert_nothing_left()
