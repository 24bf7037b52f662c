"""What a door has already seen stored, so later requests skip the lookup."""

from __future__ import annotations

import threading

MAX_ENTRIES = 10_000


class KnownOwners:
    """DM space → the person it belongs to, as seen committed in the store. Bounded: past
    ``MAX_ENTRIES`` it starts again (the cost is one lookup per DM)."""

    def __init__(self) -> None:
        self._owners: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, space: str) -> int | None:
        return self._owners.get(space)

    def remember(self, space: str, person_id: int) -> None:
        with self._lock:
            if len(self._owners) >= MAX_ENTRIES:
                self._owners.clear()
            self._owners[space] = person_id

    def forget(self, space: str) -> None:
        with self._lock:
            self._owners.pop(space, None)
