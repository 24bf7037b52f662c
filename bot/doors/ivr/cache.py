"""The IVR API's in-process caches, kept exact by the database's cache version.

Each request reads ``store.cache_version.read`` first (one primary-key read that never
waits for a writer). Triggers move that version in the same transaction as any change to
the tables a key check or a slots answer depends on (``store.cache_version.WATCHED``),
whichever process or replica makes it. An answer is stored with the version read before
its data was, and served again only to a request that reads the same version — so a
revoked key is refused, and a booking or a capacity change shows, on the very next
request anywhere.

A slots answer also depends on the time: the lead time hides intervals starting before
``now + CALLBACK_MIN_LEAD_MINUTES``, and today's date sets the horizon. Interval starts
and midnights fall on whole minutes (every time zone in use has whole-minute offsets), so
the answer cannot change between two whole minutes: it is stamped with ``time_bucket``,
the minute of ``now`` and whether ``now`` is exactly on it (at 09:15:00.000 an interval
starting 09:30 is still bookable with a 15-minute lead time, a microsecond later it is
not). Public holidays, like every other setting, are fixed until the process restarts.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from typing import Final, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE_US = 60_000_000
MAX_ENTRIES = 1024


class Missing:
    """What ``Stamped.get`` returns when it has nothing for that stamp."""


MISSING: Final = Missing()


def time_bucket(now: datetime) -> tuple[int, bool]:
    """The minute of ``now`` and whether ``now`` is exactly on it (to the microsecond)."""
    minute, rest = divmod((now - EPOCH) // timedelta(microseconds=1), MINUTE_US)
    return minute, rest == 0


class Stamped(Generic[K, V]):
    """Values kept with the stamp (version, time bucket…) they were computed for.

    ``get`` returns a value only for the same stamp; a different one means it may be out
    of date. Thread-safe without a lock: reading and replacing one dict entry are atomic,
    and an entry is an immutable (stamp, value) pair. Past ``MAX_ENTRIES`` keys it starts
    afresh (entries of older versions are dead weight anyway).
    """

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: dict[K, tuple[Hashable, V]] = {}

    def get(self, key: K, stamp: Hashable) -> V | Missing:
        entry = self._entries.get(key)
        if entry is None or entry[0] != stamp:
            return MISSING
        return entry[1]

    def put(self, key: K, stamp: Hashable, value: V) -> None:
        if len(self._entries) >= self.max_entries and key not in self._entries:
            self._entries = {}
        self._entries[key] = (stamp, value)

    def __len__(self) -> int:
        return len(self._entries)
