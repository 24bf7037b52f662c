"""The Irontec backend against a fake ApiRest on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from integrations.clock import FixedClock
from integrations.pbx.irontec.backend import IrontecPbx
from tests.conftest import T0
from tests.integrations.pbx.asterisk.harness import DEVICE_STATES
from tests.integrations.pbx.fake_http import HttpHarness
from tests.integrations.pbx.harness import CONTRACT_TIMEOUT
from tests.integrations.pbx.irontec.fake_irontec import FakeIrontec


class IrontecHarness(HttpHarness[FakeIrontec]):
    # Irontec's DeviceStatus numbers are Asterisk's device states (devicestate.h).
    vendor_states = DEVICE_STATES

    def seed_users(self, named: dict[str, str]) -> None:
        self.fake.agents.update({e: n or "Libre" for e, n in named.items()})


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
