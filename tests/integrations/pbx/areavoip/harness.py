"""The Areavoip backend against a fake proxyapi.php on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from integrations.pbx import MemberState
from integrations.pbx.areavoip.backend import AreavoipPbx
from tests.conftest import MADRID
from tests.integrations.pbx.areavoip.fake_areavoip import FakeAreavoip
from tests.integrations.pbx.fake_http import HttpHarness
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


class AreavoipHarness(HttpHarness[FakeAreavoip]):
    vendor_states = VENDOR_STATES

    def seed_users(self, named: dict[str, str]) -> None:
        self.fake.extensions.update(named)  # a free extension has an empty name


@contextmanager
def open_harness(option: str, tmp_path: Path) -> Iterator[AreavoipHarness]:
    with FakeAreavoip() as fake:
        pbx = AreavoipPbx(fake.url, fake.api_key, fake.tenant, fake.queue,
                          timezone=MADRID, timeout=CONTRACT_TIMEOUT)
        try:
            yield AreavoipHarness(fake, pbx)
        finally:
            pbx.close()
