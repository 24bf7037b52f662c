"""The load generator: the app.yaml entrypoint under gunicorn, closed and open loops."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bench.loadgen import (
    Gunicorn,
    Request,
    Run,
    closed_loop,
    constant,
    entrypoint,
    gunicorn_arguments,
    open_loop,
    print_runs,
)


def test_the_entrypoint_is_bound_to_the_inherited_socket_with_its_own_options() -> None:
    words = entrypoint()
    assert words[0] == "gunicorn" and "bot.app:create_app()" in words
    args = gunicorn_arguments(words, 7)
    assert args[:2] == ["--bind", "fd://7"]
    assert "-b" not in args and ":$PORT" not in args
    assert args[args.index("--workers") + 1] == words[words.index("--workers") + 1]
    overridden = gunicorn_arguments(
        ["gunicorn", "--bind=:8080", "--workers", "1", "--threads=8", "app:make()"], 3,
        workers=4, threads=2)
    assert overridden == ["--bind", "fd://3", "--workers", "4", "--threads", "2", "app:make()"]
    with pytest.raises(ValueError, match="not gunicorn"):
        gunicorn_arguments(["uvicorn", "app"], 3)


def test_percentiles_use_the_nearest_rank() -> None:
    run = Run("x", "closed, 1 clients", elapsed=2.0, latencies=[i / 1000 for i in range(1, 101)])
    assert run.percentile(50) == 0.050 and run.percentile(99) == 0.099
    assert run.percentile(100) == 0.100 and run.rate == 50


def test_gunicorn_serves_both_loops_and_leaves_nothing_running(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'lg.db'}", "BACKGROUND_JOBS": "false"}
    with Gunicorn(env) as server:
        health = constant(Request("GET", "/healthz"))
        closed = closed_loop(server.address, health, clients=4, seconds=0.3, name="/healthz",
                             server_pid=server.pid)
        missing = open_loop(server.address, lambda i: Request("GET", f"/nowhere/{i}"),
                            rate=40, seconds=0.25, name="/nowhere", server_pid=server.pid)
        process, log_dir = server.process, server.log_path.parent
    assert closed.ok > 10 and closed.failed == 0 and closed.rate > 0
    assert closed.server_cpu is not None and closed.server_cpu > 0
    assert missing.ok == 0 and missing.errors == {"HTTP 404": 10}
    assert process is not None and process.poll() is not None
    assert not log_dir.exists()
    out = io.StringIO()
    print_runs([closed, missing], out, floor=closed)
    lines = out.getvalue().splitlines()
    assert "req/s" in lines[0] and "100.0%" in lines[1] and "HTTP 404 × 10" in lines[-1]


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    server = Gunicorn({"DATABASE_URL": "mysql://nobody", "BACKGROUND_JOBS": "false"})
    with pytest.raises(RuntimeError, match="gunicorn exited") as failure:
        server.start()
    assert "DATABASE_URL" in str(failure.value)  # the tail of its log says why
    assert server.process is not None and server.process.poll() is not None
    assert not server.log_path.parent.exists()
