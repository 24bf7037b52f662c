"""``switchboard bench SUBCOMMAND``: benchmarks that print figures (see bot/bench)."""

from __future__ import annotations

from types import ModuleType

from bot.bench import doors, history, ivr, load, lookup, stats
from bot.cli.base import Subparsers

# Every benchmark, in the order `switchboard bench --help` lists them. A benchmark is a
# module under bot/bench with ``add_parser(subparsers)`` setting its handler.
BENCHES: tuple[ModuleType, ...] = (doors, load, history, stats, lookup, ivr)


def add_parsers(sub: Subparsers) -> None:
    bench = sub.add_parser("bench", help="benchmarks: print latency and throughput figures")
    actions = bench.add_subparsers(dest="bench_command", required=True, metavar="BENCHMARK")
    for module in BENCHES:
        module.add_parser(actions)
