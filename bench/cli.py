"""The benchmarks' own command line, reached as ``switchboard bench BENCHMARK …``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from types import ModuleType

from bench import (
    alerts,
    delivery,
    directory_import,
    doors,
    history,
    ivr,
    load,
    lookup,
    memory,
    plan,
    queue_log_stats,
    stats,
)
from bot.cli.base import Cli

# Every benchmark, in the order `switchboard bench --help` lists them. A benchmark is a
# module of this package with ``add_parser(subparsers)`` setting its handler.
BENCHES: tuple[ModuleType, ...] = (doors, load, history, stats, queue_log_stats, lookup, ivr,
                                   directory_import, memory, plan, delivery, alerts)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="switchboard bench", description="Benchmarks that print figures: each prepares "
        "its data first and times only the product.")
    actions = parser.add_subparsers(dest="bench_command", required=True, metavar="BENCHMARK")
    for module in BENCHES:
        module.add_parser(actions)
    return parser


def main(cli: Cli, argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    status: int = args.handler(cli, args)
    return status
