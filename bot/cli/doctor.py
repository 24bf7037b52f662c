"""``switchboard doctor``: the deep readiness checks in the terminal, with a fix for each
failure (the same checks as ``/readyz?deep=1``, bot/readiness.py)."""

from __future__ import annotations

import argparse

from bot import readiness
from bot.cli.base import EXIT_FAILED, EXIT_OK, Cli, Subparsers


def doctor(cli: Cli, args: argparse.Namespace) -> int:
    settings = cli.settings
    checks = readiness.deep(cli.runtime)
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = {"ok": "ok  ", "skipped": "skip", "failed": "FAIL"}[check.status]
        cli.out.write(f"{mark}  {check.name:<{width}}  {check.detail} ({check.seconds:.2f} s)\n")
        if check.status != "failed":
            continue
        fix = check.fix or ""
        if check.name == "pbx" and ("within" in check.detail or "did not answer" in check.detail):
            took = readiness.measure_pbx(settings, cli.runtime)
            if took is not None:
                fix = (f"PBX_TIMEOUT={settings.pbx_timeout:g} and the PBX answered in "
                       f"{took:.1f} s: raise PBX_TIMEOUT above {took:.1f}, or find out why "
                       "the PBX is slow")
        cli.out.write(f"      fix: {fix}\n")
    failed = [c.name for c in checks if not c.ok]
    cli.out.write("all checks passed\n" if not failed else
                  f"{len(failed)} failed: {', '.join(failed)}\n")
    return EXIT_FAILED if failed else EXIT_OK


def add_parsers(sub: Subparsers) -> None:
    sub.add_parser("doctor", help="check the database, the PBX, HR, the directory and the "
                   "chat platforms, with a fix for each failure").set_defaults(handler=doctor)
