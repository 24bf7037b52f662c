"""Bulk work and Python's cyclic garbage collector.

An import builds hundreds of thousands of small objects (parsed lines, call tuples, row
dicts) that refcounting frees on its own: none of them is part of a cycle. The cyclic
collector does not know that; it runs every 700 allocations, and every so often it walks
every object the process holds, the batch's own included. On a 200,000-line queue_log
that was about a sixth of the import's time (``switchboard bench stats``: 57,000 against
68,000 lines/s with the collector off, measured on SQLite).

``collector_paused`` turns the collector off for one batch and, when the batch is done,
collects the youngest generation once: the cycles the batch did make (a Session and its
transaction, say) are freed there, so memory stays bounded by one batch however long the
import runs. The collector's previous state is restored. ``collector_relaxed`` keeps it
running, less often, for a job that is one long batch.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# The collector of a process that keeps many objects alive while it makes many more that
# refcounting frees: the youngest generation is collected after 50,000 new objects
# instead of 700, the older ones after 20 collections of the one below instead of 10.
# The garbage a collection frees is still freed, after more objects.
# - A serving process (``bot.app.freeze_startup``): a 1,000-agent /queue makes over
#   100,000 objects while a thousand people it loaded stay alive until it answers; with
#   the default thresholds each young collection walked them again, about 4 ms of its
#   45 ms on PostgreSQL (docs/benchmarks.md, issue 21).
# - A long bulk job (``collector_relaxed``): a million-row directory import keeps each
#   identifier's account group, a slice of rows and what it writes alive while it makes
#   millions of short-lived tuples; relaxing the thresholds cut its time by a third or
#   more on both databases (docs/benchmarks.md, issue 19).
RELAXED_THRESHOLDS = (50_000, 20, 20)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block; the young objects it left are collected
    at its end (while paused they all stay in the youngest generation)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect(0)
        if was_enabled:
            gc.enable()


@contextmanager
def collector_relaxed(thresholds: tuple[int, int, int] = RELAXED_THRESHOLDS
                      ) -> Iterator[None]:
    """The collector's thresholds set to ``thresholds`` inside the block, and restored
    after it. Unlike ``collector_paused`` it still runs, less often: for a job too long to
    leave its cycles uncollected until it ends. Processes forked inside the block (bulk
    workers) start with the same thresholds."""
    before = gc.get_threshold()
    gc.set_threshold(*thresholds)
    try:
        yield
    finally:
        gc.set_threshold(*before)
