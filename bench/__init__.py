"""``switchboard bench …``: benchmarks that print figures (never part of ``make test``).

Each benchmark is a module here with ``add_parser(subparsers)``; ``bench/cli.py`` lists
them in one table, and ``switchboard bench`` hands its arguments to it. A benchmark
prepares its data and clients first and times only the product: requests through the real
doors, queries through the real commands.

This package is tooling: it is not in the wheel, and no product module imports it.
"""
