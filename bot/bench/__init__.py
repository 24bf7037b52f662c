"""``switchboard bench …``: benchmarks that print figures (never part of ``make test``).

Each benchmark is a module here with ``add_parser(subparsers)``; ``bot/cli/bench.py``
lists them in one table. A benchmark prepares its data and clients first and times only
the product: requests through the real doors, queries through the real commands.
"""
