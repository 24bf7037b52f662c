"""The platforms' rate limits as a fake API enforces them: calls counted in sliding windows
per scope, a 429 with Retry-After when a window is full, and a count of the calls that
came while a Retry-After the fake had given was still running (a well-behaved client
makes none). Real time (``time.monotonic``): only benchmarks turn this on.

    limits = Enforcer({"project": (50, 1.0), "space:": (1, 1.0)})
    wait = limits.admit(["project", "space:spaces/A"])  # None, or (seconds, scope)
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field


@dataclass
class Enforcer:
    """``rules``: scope prefix → (calls, seconds). A scope is governed by the longest
    prefix that matches it; a scope no rule matches is never limited."""

    rules: dict[str, tuple[int, float]]
    calls: int = 0
    refused: int = 0
    inside_retry_after: int = 0  # calls made in a scope whose Retry-After had not ended
    refused_in: Counter[str] = field(default_factory=Counter)  # 429s by scope kind
    _windows: dict[str, deque[float]] = field(default_factory=dict)
    # Seconds after a 429 before a call in its scope counts as made inside the Retry-After:
    # the time for the answer to reach the client, and for calls it had already sent to
    # land (a client cannot take back a call it made before it was told).
    notice: float = 0.25
    _until: dict[str, float] = field(default_factory=dict)
    _told: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _rule(self, scope: str) -> tuple[int, float] | None:
        found = [(len(p), r) for p, r in self.rules.items() if scope.startswith(p)]
        return max(found)[1] if found else None

    def admit(self, scopes: list[str]) -> tuple[int, str] | None:
        """Count one call in each scope; None when every window had room, else the
        Retry-After (whole seconds) and the scope that was full (nothing is counted)."""
        now = time.monotonic()
        with self._lock:
            self.calls += 1
            if any(self._until.get(s, 0.0) > now >= self._told.get(s, 0.0) + self.notice
                   for s in scopes):
                self.inside_retry_after += 1
            for scope in scopes:
                rule = self._rule(scope)
                if rule is None:
                    continue
                n, period = rule
                window = self._windows.setdefault(scope, deque())
                while window and window[0] <= now - period:
                    window.popleft()
                if len(window) >= n:
                    wait = max(1, math.ceil(window[0] + period - now))
                    if self._until.get(scope, 0.0) <= now:
                        self._told[scope] = now
                    self._until[scope] = max(self._until.get(scope, 0.0), now + wait)
                    self.refused += 1
                    self.refused_in[scope.split(":")[0] + (":" if ":" in scope else "")] += 1
                    return wait, scope
            for scope in scopes:
                if self._rule(scope) is not None:
                    self._windows[scope].append(now)
            return None
