"""The ``switchboard`` command line: ``main`` holds the table of command groups and the
entry point; each other module is one group; ``base`` holds what the groups share.

Nothing is imported here, so a module that needs ``bot.cli.base`` (the benchmarks do) does
not pull in every group, and no group can reach the table by importing its package.
"""
