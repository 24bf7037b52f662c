"""The IVR API's per-key rate limit: counted in the process, folded into a shared count.

A key may make ``IVR_RATE_PER_MINUTE`` requests per fixed minute (UTC epoch minutes),
counted over every worker and replica through one row per key and minute in the database
(``store.callbacks.ivr_keys.count_requests``). Writing that row on every request would make each
read of the API a write transaction, so each process counts in memory and folds its count
in only now and then:

- A process keeps, per key and minute, the shared count as it last saw it and the
  requests it has let through since (``pending``).
- A request is refused (429, ``Retry-After`` = seconds to the next minute) when that
  shared count plus ``pending`` has reached the limit: that many were let through already,
  so the refusal is never wrong.
- Otherwise it is let through and counted in ``pending``. The request that brings
  ``pending`` to ``batch`` requests, or the first one a second or more after the last
  fold (the first of each minute too), folds ``pending`` into the database with one
  ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` and is itself let through only if the
  count it gets back is within the limit.

``batch`` is ``limit // 100``, at least 1. At 1 (any limit under 200 a minute) every
request is counted in the database before it is answered, so the limit is exact however
many processes share it. Above that a process may let through at most ``batch - 1``
requests the others do not know of yet, so a minute can admit at most
``limit + processes × (batch - 1)`` requests — under 1 % of the limit more per gunicorn
worker and replica; with the default 600 a minute, 5 more each — and never fewer than
``limit`` when that many are asked for. Per key, a busy process writes the count about
``limit / batch`` times a minute (at most some 100) plus once a second.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from store.callbacks import ivr_keys
from store.db import transaction

PER_BATCH = 100  # one fold per limit // PER_BATCH requests…
FOLD_EVERY = timedelta(seconds=1)  # …or per second, whichever comes first


def batch_for(limit: int) -> int:
    return max(1, limit // PER_BATCH)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the minute ends


@dataclass
class _Window:
    """One key's minute as this process knows it."""

    shared: int = 0  # the count in the database when this process last folded in
    pending: int = 0  # let through here since then
    folded_at: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class RateLimiter:
    """One per process (per app): its windows are the process's own share of the count."""

    def __init__(self, sessions: sessionmaker[Session], limit: int,
                 batch: int | None = None) -> None:
        self.sessions = sessions
        self.limit = limit
        self.batch = batch_for(limit) if batch is None else batch
        self._windows: dict[tuple[int, int], _Window] = {}
        self._lock = threading.Lock()

    def admit(self, ivr_key_id: int, now: datetime) -> Verdict:
        epoch = int(now.timestamp())
        minute = epoch // 60
        retry_after = 60 - epoch % 60
        window = self._window(ivr_key_id, minute)
        with window.lock:
            if window.shared + window.pending >= self.limit:
                return Verdict(False, retry_after)
            window.pending += 1
            if window.pending < self.batch and window.folded_at is not None \
                    and now - window.folded_at < FOLD_EVERY:
                return Verdict(True, retry_after)
            # Held while writing: this process's other requests for the key wait for the
            # count rather than guess it (once per batch, or per request at batch 1).
            with transaction(self.sessions) as session:
                count = ivr_keys.count_requests(session, ivr_key_id, minute, window.pending)
            window.shared, window.pending, window.folded_at = count, 0, now
            return Verdict(count <= self.limit, retry_after)

    def _window(self, ivr_key_id: int, minute: int) -> _Window:
        with self._lock:
            window = self._windows.get((ivr_key_id, minute))
            if window is None:
                # Earlier minutes are over (one back is kept for requests still finishing).
                for stale in [k for k in self._windows if k[1] < minute - 1]:
                    del self._windows[stale]
                window = self._windows[(ivr_key_id, minute)] = _Window()
            return window
