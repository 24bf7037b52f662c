"""What the fake PBX web APIs (Areavoip, Irontec) and their contract harnesses share.

``FakeHttpPbx`` owns the LocalServer: the API's URL, the requests received, the
context manager, going silent, the ``intercept`` hook and the lock around state.
A subclass keeps its PBX's state and answers in ``handle``. ``HttpHarness`` wires
such a fake to its backend for the contract suite.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Self, TypeVar

from integrations.pbx import MemberState, Pbx
from testing.local_server import LocalServer, Request, Response


class FakeHttpPbx:
    base_path: ClassVar[str]  # where the API lives on the server
    devices: dict[str, Any]  # extension -> device state, as this PBX spells it

    def __init__(self) -> None:
        self.silent = False
        # Test hook: return a Response to answer a request differently, None to go on.
        self.intercept: Callable[[Request], Response | None] | None = None
        self._lock = threading.Lock()
        self.server = LocalServer(self._serve)

    @property
    def url(self) -> str:
        return self.server.url + self.base_path

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    def __enter__(self) -> Self:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def seed(self, devices: Sequence[str], members: Sequence[str]) -> None:
        """Extensions that exist on the PBX, and which of them start in the queue."""
        raise NotImplementedError

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def _serve(self, request: Request) -> Response:
        if self.silent:
            return self.server.hang()
        return self.handle(request)

    def _scripted(self, request: Request) -> Response | None:
        """The test's own answer to ``request`` (see ``intercept``), if it has one."""
        return self.intercept(request) if self.intercept is not None else None


FakeT = TypeVar("FakeT", bound=FakeHttpPbx)


class HttpHarness(Generic[FakeT]):
    """A backend under the contract suite, talking to a FakeHttpPbx."""

    reports_pause_reason = False  # neither web API reports the reason back
    can_go_silent = True
    # How the fake spells each canonical state it can report.
    vendor_states: ClassVar[Mapping[MemberState, Any]]

    def __init__(self, fake: FakeT, pbx: Pbx) -> None:
        self.fake = fake
        self.pbx = pbx
        self.states: tuple[MemberState, ...] = tuple(self.vendor_states)

    def seed(self, devices: Sequence[str], members: Sequence[str]) -> None:
        self.fake.seed(devices, members)

    def set_device_state(self, extension: str, state: MemberState) -> None:
        self.fake.devices[extension] = self.vendor_states[state]

    def go_silent(self) -> None:
        self.fake.silent = True
