"""The Areavoip backend against a fake proxyapi.php on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from integrations.pbx import MemberState
from integrations.pbx.areavoip import AreavoipPbx
from tests.conftest import MADRID
from tests.integrations.pbx.fake_areavoip import FakeAreavoip
from tests.integrations.pbx.harness import CONTRACT_TIMEOUT

# How the fake spells each canonical state in ``status['2']``.
VENDOR_STATES: dict[MemberState, str | None] = {
    MemberState.AVAILABLE: "NOT_INUSE",
    MemberState.RINGING: "RINGING",
    MemberState.IN_CALL: "INUSE",
    MemberState.BUSY: "BUSY",
    MemberState.ON_HOLD: "ONHOLD",
    MemberState.DISCONNECTED: "UNAVAILABLE",
    MemberState.UNKNOWN: "UNKNOWN",
}


class AreavoipHarness:
    reports_pause_reason = False
    states = tuple(VENDOR_STATES)
    can_go_silent = True

    def __init__(self, fake: FakeAreavoip, pbx: AreavoipPbx) -> None:
        self.fake = fake
        self.pbx = pbx

    def seed(self, devices: Sequence[str], members: Sequence[str]) -> None:
        self.fake.seed(devices, members)

    def set_device_state(self, extension: str, state: MemberState) -> None:
        self.fake.devices[extension] = VENDOR_STATES[state]

    def go_silent(self) -> None:
        self.fake.silent = True


@contextmanager
def open_harness(option: str, tmp_path: Path) -> Iterator[AreavoipHarness]:
    with FakeAreavoip() as fake:
        pbx = AreavoipPbx(fake.url, fake.api_key, fake.tenant, fake.queue,
                          timezone=MADRID, timeout=CONTRACT_TIMEOUT)
        try:
            yield AreavoipHarness(fake, pbx)
        finally:
            pbx.close()
