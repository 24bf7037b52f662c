"""gunicorn's configuration (``gunicorn -c python:bot.gunicorn_conf``, as app.yaml and the
Dockerfile start it): what the master sets up before the workers start.

- Metrics from every worker: ``PROMETHEUS_MULTIPROC_DIR`` is set (a fresh private folder
  unless the environment names one, which is emptied) before any worker imports the app,
  so each worker writes its samples there and ``/metrics`` adds them up; a worker that
  exits is marked dead so its live gauges stop counting.
- ``METRICS_PORT``: gunicorn listens on it too (same address as the first bind), and the
  app serves ``/metrics`` only on it.
- ``LOG_FORMAT=json``: gunicorn's own lines (``gunicorn.error``, ``gunicorn.access``) go
  through the app's handler (bot/logs.py), so every line on stderr is one JSON object.

Only module-level names gunicorn knows are settings; the hooks are its server hooks.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger as _GunicornLogger

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class JsonAwareLogger(_GunicornLogger):  # type: ignore[misc]
    """gunicorn's logger; with LOG_FORMAT=json its lines go to the app's JSON handler."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        from bot import logs
        from bot.settings import Settings, SettingsError

        try:
            settings = Settings.load()
        except SettingsError:
            return  # the workers say what is wrong
        if settings.log_format != "json":
            return
        logs.configure(settings, force=True)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True


logger_class = JsonAwareLogger


def _metrics_folder() -> tuple[Path, bool]:
    """The samples folder, empty, and whether it is ours to remove at exit."""
    named = os.environ.get(MULTIPROC_ENV, "").strip()
    if named:
        folder = Path(named)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):  # a previous run's samples
            stale.unlink()
        return folder, False
    folder = Path(tempfile.mkdtemp(prefix="switchboard-metrics-"))
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder, True


_owned: list[Path] = []


def on_starting(server: Any) -> None:
    """In the master, before any worker: the samples folder, and METRICS_PORT's socket."""
    folder, owned = _metrics_folder()
    if owned:
        _owned.append(folder)
    from bot.settings import Settings, SettingsError

    try:
        port = Settings.load().metrics_port
    except SettingsError:
        return  # the workers say what is wrong, naming the variable
    if port:
        binds = list(server.cfg.bind)
        server.cfg.set("bind", [*binds, metrics_bind(binds, port)])


def metrics_bind(binds: list[str], port: int) -> str:
    """METRICS_PORT on the address of the first TCP bind (``:8080`` → every address);
    127.0.0.1 when gunicorn listens on a unix socket or an inherited descriptor."""
    first = binds[0] if binds else "127.0.0.1:8000"
    if first.startswith(("unix:", "fd://")) or ":" not in first:
        return f"127.0.0.1:{port}"
    return f"{first.rsplit(':', 1)[0]}:{port}"


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    for folder in _owned:
        shutil.rmtree(folder, ignore_errors=True)
