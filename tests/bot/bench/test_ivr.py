"""bench ivr's own parts (the benchmark itself is run by hand: `switchboard bench ivr`)."""

from __future__ import annotations

import io

from bot.bench.ivr import Run, _request, closed_loop, gunicorn_command, report
from bot.cli.base import Cli
from tests.conftest import make_settings
from tests.support.http import LocalServer, Request, Response


def test_gunicorn_runs_as_app_yaml_says_on_a_port_of_its_own() -> None:
    command = gunicorn_command(8123)
    assert command[1:5] == ["-m", "gunicorn", "--bind", "127.0.0.1:8123"]
    assert "bot.app:create_app()" in command and ":$PORT" not in command


def test_the_closed_loop_counts_answers_and_failures() -> None:
    def handler(request: Request) -> Response:
        return Response(200 if request.path == "/ok" else 404, {"ok": True})

    with LocalServer(handler) as server:
        address = ("127.0.0.1", server.port)
        good = closed_loop(address, lambda n: _request("GET", "/ok"), {200}, clients=3,
                           seconds=0.3, name="ok")
        bad = closed_loop(address, lambda n: _request("GET", "/nope"), {200}, clients=2,
                          seconds=0.2, name="bad")
    assert good.latencies and not good.failures and good.rate > 0
    assert not bad.latencies and bad.failures.get("404", 0) > 0


def test_the_report_names_each_target() -> None:
    fast = Run("x", seconds=1.0, latencies=[0.001] * 100)
    out = io.StringIO()
    cli = Cli(make_settings(), out, io.StringIO())
    assert report(cli, [fast, fast, Run("b", 1.0, [0.2] * 10)]) == 0
    text = out.getvalue()
    assert "target: slots p99 under 25 ms: met" in text
    assert "target: booking p99 under 50 ms: MISSED" in text
