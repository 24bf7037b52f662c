"""The Irontec backend against a fake ApiRest on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from integrations.clock import FixedClock
from integrations.pbx import MemberState
from integrations.pbx.irontec import IrontecPbx
from tests.conftest import T0
from tests.integrations.pbx.fake_irontec import FakeIrontec
from tests.integrations.pbx.harness import CONTRACT_TIMEOUT

# The DeviceStatus number the fake reports for each canonical state.
VENDOR_STATES: dict[MemberState, int] = {
    MemberState.AVAILABLE: 1,
    MemberState.IN_CALL: 2,
    MemberState.BUSY: 3,
    MemberState.DISCONNECTED: 5,
    MemberState.RINGING: 6,
    MemberState.ON_HOLD: 8,
    MemberState.UNKNOWN: 0,
}


class IrontecHarness:
    reports_pause_reason = False
    states = tuple(VENDOR_STATES)
    can_go_silent = True

    def __init__(self, fake: FakeIrontec, pbx: IrontecPbx) -> None:
        self.fake = fake
        self.pbx = pbx

    def seed(self, devices: Sequence[str], members: Sequence[str]) -> None:
        self.fake.seed(devices, members)

    def set_device_state(self, extension: str, state: MemberState) -> None:
        self.fake.devices[extension] = VENDOR_STATES[state]

    def go_silent(self) -> None:
        self.fake.silent = True


@contextmanager
def open_harness(option: str, tmp_path: Path) -> Iterator[IrontecHarness]:
    clock = FixedClock(T0)
    with FakeIrontec(clock) as fake:
        pbx = IrontecPbx(fake.url, fake.user, fake.password, fake.queue,
                         clock=clock, timeout=CONTRACT_TIMEOUT)
        try:
            yield IrontecHarness(fake, pbx)
        finally:
            pbx.close()
