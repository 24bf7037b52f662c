"""``switchboard bench BENCHMARK …``: the benchmarks, which print figures.

They are tooling, not product: they live in the checkout's top-level ``bench`` package,
outside the wheel, and no product module imports them. This group only hands its
arguments over to ``bench.cli`` when it is there (a checkout, ``make bench``), and says
where to find them when it is not (an installed wheel, a deployment).
"""

from __future__ import annotations

import argparse
import importlib

from bot.cli.base import EXIT_USAGE, Cli, Subparsers

TOOLING = "bench.cli"


def add_parsers(sub: Subparsers) -> None:
    bench = sub.add_parser("bench", add_help=False,
                           help="benchmarks: print latency and throughput figures "
                                "(from a checkout; `switchboard bench --help` lists them)")
    # Everything after `bench` (--help included) is the benchmarks' own to parse.
    bench.set_defaults(handler=run, passthrough=True)


def run(cli: Cli, args: argparse.Namespace) -> int:
    try:
        tooling = importlib.import_module(TOOLING)
    except ModuleNotFoundError as exc:
        if exc.name not in ("bench", TOOLING):
            raise
        return cli.fail("the benchmarks are not installed with Switchboard: run them from a "
                        "checkout of the project (`make bench`, or `.venv/bin/switchboard "
                        "bench --help` there)", EXIT_USAGE)
    status: int = tooling.main(cli, list(args.arguments))
    return status
