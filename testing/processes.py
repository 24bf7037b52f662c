"""A command's forked workers must end with it: kill the command, watch its children."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def killed_midway(args: list[str], env: dict[str, str]) -> None:
    """Run the command ``switchboard ARGS`` until it has forked workers, SIGKILL it in the
    middle of its work, and fail unless every worker ends with it (Linux: pidfd_open)."""
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        kill_and_watch_children(proc)
    finally:
        if proc.stderr is not None:
            proc.stderr.close()


def kill_and_watch_children(proc: subprocess.Popen[bytes], *, start_within: float = 120,
                            end_within: float = 10) -> None:
    """Wait for ``proc`` to fork workers, SIGKILL it in the middle of its work, and fail
    unless every worker ends within ``end_within`` seconds (Linux: pidfd_open)."""
    watched: list[int] = []  # pidfds of the workers
    try:
        deadline = time.monotonic() + start_within
        while not (workers := children_of(proc.pid)):
            assert time.monotonic() < deadline, "the command forked no worker"
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)
            assert proc.returncode is None, "the command ended before its workers were seen"
        watched = [os.pidfd_open(pid) for pid in workers]
        assert proc.poll() is None  # killed in the middle of its work
        proc.kill()
        proc.wait(timeout=60)
        # A pidfd is readable once its process has ended (reaped or not).
        poller = select.poll()
        for fd in watched:
            poller.register(fd, select.POLLIN)
        ended: set[int] = set()
        deadline = time.monotonic() + end_within
        while len(ended) < len(watched) and time.monotonic() < deadline:
            ended |= {fd for fd, _ in poller.poll(max(deadline - time.monotonic(), 0) * 1000)}
        assert len(ended) == len(watched), f"worker(s) {workers} outlived the killed command"
    finally:
        for fd in watched:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(fd, signal.SIGKILL)  # what the test left behind
            os.close(fd)
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)
