"""What every command group shares: the exit statuses and ``Cli``, the handlers' state.

A group module declares its subcommands in ``add_parsers(sub)``; each handler is a plain
function ``(cli, args) -> exit status``. Groups import this module, never the table in
``bot.cli`` that lists them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy.orm import Session

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from store import migrate
from store.db import transaction
from store.imports import ImportRejected, read_file

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

if TYPE_CHECKING:  # argparse's class is generic only to type checkers
    Subparsers = argparse._SubParsersAction[Any]
else:
    Subparsers = argparse._SubParsersAction
Handler = Callable[["Cli", argparse.Namespace], int]


class Cli:
    def __init__(self, settings: Settings, out: TextIO, err: TextIO) -> None:
        self.settings = settings
        self.out = out
        self.err = err
        self._runtime: Runtime | None = None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = build_runtime(self.settings)
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()

    def fail(self, message: str, status: int = EXIT_FAILED) -> int:
        self.err.write(f"switchboard: {message}\n")
        return status

    def require_migrated(self) -> str | None:
        return migrate.pending_reason(self.runtime.engine)

    def import_file(self, path: str, apply: Callable[[Session, str], str]) -> int:
        """Read PATH and apply it in one transaction; ``apply`` returns the summary line.

        An ImportRejected lists every problem and exits 1 with nothing written."""
        if reason := self.require_migrated():
            return self.fail(reason)
        try:
            text = read_file(path, self.settings.import_max_bytes)
        except OSError as exc:
            return self.fail(f"cannot read {path}: {exc.strerror}", EXIT_USAGE)
        except ImportRejected as exc:
            return self.rejected(path, exc)
        try:
            with transaction(self.runtime.services.sessions) as session:
                summary = apply(session, text)
        except ImportRejected as exc:
            return self.rejected(path, exc)
        self.out.write(f"imported {path}: {summary}\n")
        return EXIT_OK

    def rejected(self, path: str, exc: ImportRejected) -> int:
        """Every problem on its own line, then exit 1: nothing was written."""
        for problem in exc.problems:
            self.err.write(f"{path}: {problem}\n")
        return self.fail(f"{exc}")

    def export_file(self, path: str | None, dump: Callable[[Session], str]) -> int:
        """Write ``dump``'s YAML to PATH, or to stdout without one."""
        if reason := self.require_migrated():
            return self.fail(reason)
        with transaction(self.runtime.services.sessions) as session:
            text = dump(session)
        if not path:
            self.out.write(text)
            return EXIT_OK
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            return self.fail(f"cannot write {path}: {exc.strerror}")
        return EXIT_OK


def add_import_export(sub: Subparsers, name: str, help: str, *, import_help: str,
                      export_help: str, on_import: Handler, on_export: Handler) -> None:
    """The common ``NAME import FILE`` / ``NAME export [FILE]`` pair."""
    group = sub.add_parser(name, help=help)
    actions = group.add_subparsers(dest=f"{name.replace('-', '_')}_command", required=True,
                                   metavar="ACTION")
    imp = actions.add_parser("import", help=import_help)
    imp.add_argument("file")
    imp.set_defaults(handler=on_import)
    exp = actions.add_parser("export", help=export_help)
    exp.add_argument("file", nargs="?")
    exp.set_defaults(handler=on_export)
