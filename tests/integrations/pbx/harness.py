"""What the PBX contract suite needs from each backend's test harness.

Each backend has a module ``<name>/harness.py`` beside its tests, with ``open_harness(option, tmp_path)``
(``option`` is the test database for ``sim``, empty otherwise),
a context manager yielding a ``Harness``: the backend under test wired to a local
peer that speaks its real wire protocol (or, for ``sim``, to a real database).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from integrations.pbx import MemberState, Pbx

CONTRACT_TIMEOUT = 0.5  # seconds; every harness builds its backend with this PBX_TIMEOUT


class Harness(Protocol):
    pbx: Pbx
    # Whether the backend reports the pause reason back in queue_status.
    reports_pause_reason: bool
    # Device states the backend can report, each settable with set_device_state.
    states: tuple[MemberState, ...]
    # Whether go_silent() is supported (a peer that accepts but never answers).
    can_go_silent: bool

    def seed(self, devices: Sequence[str], members: Sequence[str]) -> None:
        """Extensions that exist on the PBX, and which of them start in the queue."""
        ...

    def set_device_state(self, extension: str, state: MemberState) -> None: ...

    def go_silent(self) -> None:
        """From now on the PBX accepts requests but never answers."""
        ...

    def seed_users(self, named: dict[str, str]) -> None:
        """Extensions that exist on the PBX with these names ("" = the PBX's free mark)."""
        ...
