"""``switchboard bench directory-import``: ``switchboard directory import`` of a million rows.

Prepared before anything is timed: a dialer CSV of ``--rows`` rows (default 1,000,000;
``bench.directory_data``: companies with four contacts each and private customers, Spanish
phones in the shapes dialer lists use) in a temporary directory, and for each database a
database of its own (``bench.database``: a temporary SQLite file, and — when
``DATABASE_URL`` or ``--postgresql`` names one that answers — a PostgreSQL schema dropped
afterwards), migrated, holding the demo's small directory (so the import matches against
stored accounts, as a real one does). Then, on each database, the command's own handler
runs twice on the file, each in its transaction, as ``switchboard directory import FILE``
runs it: first every row is new, then every row is unchanged. Each run prints rows/s,
the wall time, the process's CPU time and its peak RSS so far (the machine's load average
is in the header: other work on it slows the wall figures). Target: 20,000 rows/s.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bench import directory_data
from bench.database import BenchDatabase, bench_database, bench_settings
from bench.report import footer, header, quiet_logs
from bot.cli.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Cli, Subparsers
from bot.cli.callers import directory_import
from integrations.clock import SystemClock
from store.callers.directory_io import import_directory
from store.db import make_sessionmaker, transaction
from store.demo.callers import DEMO_DIRECTORY

TARGET = 20_000  # rows a second


def add_parser(sub: Subparsers) -> None:
    parser = sub.add_parser("directory-import",
                            help="switchboard directory import of a million-row dialer CSV, "
                                 "on SQLite and PostgreSQL (rows/s, wall time, peak RSS)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV")
    parser.add_argument("--postgresql", metavar="URL",
                        help="also on this PostgreSQL (default: DATABASE_URL when it is one)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--postgresql-only", action="store_true", help="skip SQLite")
    parser.set_defaults(handler=run)


def run(cli: Cli, args: argparse.Namespace) -> int:
    if args.rows < 1:
        return cli.fail("--rows must be at least 1", EXIT_USAGE)
    quiet_logs()
    started = time.monotonic()
    out = cli.out
    urls = [] if args.postgresql_only else ["sqlite://"]
    postgresql = args.postgresql or (cli.settings.database_url if make_url(
        cli.settings.database_url).get_backend_name() == "postgresql" else None)
    if postgresql and not args.sqlite_only:
        urls.append(postgresql)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as tmp:
        path = Path(tmp) / "directory.csv"
        made = time.perf_counter()
        size = directory_data.write(path, args.rows)
        out.write(f"switchboard bench directory-import: {args.rows:,} rows, "
                  f"{size / 1e6:.1f} MB, written in {time.perf_counter() - made:.1f} s "
                  "(not timed)\n")
        for url in urls:
            with ExitStack() as stack:
                try:
                    db = stack.enter_context(bench_database(url))
                except (SQLAlchemyError, OSError) as exc:
                    out.write(f"  {make_url(url).get_backend_name()}: not reachable, "
                              f"skipped ({type(exc).__name__})\n")
                    continue
                failures += _on(cli, db, path, args.rows)
    footer(out, started)
    return EXIT_FAILED if failures else EXIT_OK


def _on(cli: Cli, db: BenchDatabase, path: Path, rows: int) -> int:
    """Both runs on one database; how many missed the target."""
    out = cli.out
    with transaction(make_sessionmaker(db.engine)) as session:  # a directory to match
        import_directory(session, DEMO_DIRECTORY, SystemClock(cli.settings.timezone).now(),
                         "ES")
    bench = Cli(bench_settings(cli.settings, db).replace(default_region="ES"),
                io.StringIO(), io.StringIO())
    try:
        bench.runtime  # noqa: B018 - built before the clock starts
        header(out, f"directory import on {db.backend}", db.description,
               "data:     the demo's 3 accounts stored; then the file twice (all new, "
               "all unchanged)")
        missed = 0
        for label in ("first import (all rows new)", "again (all rows unchanged)"):
            bench.out, bench.err = io.StringIO(), io.StringIO()
            cpu = time.process_time()
            clock = time.perf_counter()
            status = directory_import(bench, argparse.Namespace(file=str(path),
                                                                skip_bad=False))
            wall = time.perf_counter() - clock
            cpu = time.process_time() - cpu
            if status != EXIT_OK:
                out.write(f"  {label}: failed\n{bench.err.getvalue()[-2000:]}")
                return 1
            rate = rows / wall
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            summary = bench.out.getvalue().strip().split(": ", 1)[-1]
            out.write(f"  {label:<30} {rows:>9,} rows in {wall:6.1f} s = {rate:8,.0f} rows/s "
                      f"(CPU {cpu:5.1f} s; peak RSS {peak:,.0f} MB; load average "
                      f"{os.getloadavg()[0]:.1f})  target >= {TARGET:,}: "
                      f"{'met' if rate >= TARGET else 'MISSED'}\n")
            out.write(f"    {summary}\n")
            out.flush()
            missed += rate < TARGET
        _check(db, out)
        return missed
    finally:
        bench.close()


def _check(db: BenchDatabase, out: TextIO) -> None:
    """What the database holds afterwards (a wrong import cannot pass for a fast one)."""
    with db.engine.connect() as conn:
        counts = [conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
                  for table in ("directory_account", "directory_contact", "directory_phone",
                                "directory_name_word")]
    out.write(f"  stored: {counts[0]:,} accounts, {counts[1]:,} contacts, {counts[2]:,} phones, "
          f"{counts[3]:,} words of distinct names\n")
