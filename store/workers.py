"""Worker processes for bulk work: forked for the length of one job, dying with it.

An import that has a second core to spare hands part of its work to forked workers
(``forked_pool``): forked, so a worker starts with everything the parent had imported
(phonenumbers and its metadata, the models) and only runs the pure function it is sent,
never touching the parent's database connections.

A worker dies with its parent: killed (SIGKILL, an OOM kill) the parent cannot shut its
pool down, and a worker, blocked on its task pipe (whose write end it holds itself),
would live on with the parent's memory and its database sockets (a killed
``calls import-queue-log`` once left one behind, 3 kills of 3). So a thread in each worker
watches its parent's pid and ends the worker once the parent is gone.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PARENT_CHECK_SECONDS = 0.2  # how soon a worker notices its parent has died


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def forked_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` forked processes that end with this one (``can_fork`` first)."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_starts, initargs=(os.getpid(),))


def spare_cores() -> int:
    """The cores this process may use beside its own (0 on one core)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 1
    return max(usable - 1, 0)


def _worker_starts(parent: int) -> None:
    """In a forked worker: the collector back on (it may be forked from inside a batch
    that paused it), Ctrl-C left to the parent, which shuts the pool down, and a watch
    on the parent ``parent``, so the worker ends with it."""
    gc.enable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch",
                     daemon=True).start()


def _watch_parent(parent: int) -> None:
    """End this process once ``parent`` is no longer its parent (it died: the worker was
    handed to init or a subreaper). ``os._exit``: nothing of the parent's to clean up."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)
