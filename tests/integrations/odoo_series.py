"""The recorded Odoo series (tests/integrations/odoo_recordings/*.json), served by the fake.

Each recording holds what a server of that series answers to the calls the clients make —
composed from the series' source code, not captured (docs/protocols/odoo.md) — and the
records of the contract data set as that series holds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from integrations.odoo import OdooClient
from testing.fake_odoo import DB, LOGIN, PASSWORD, FakeOdoo, Series

RECORDINGS = Path(__file__).parent / "odoo_recordings"
SERIES = ("16.0", "17.0", "18.0", "master")
CURRENT = "master"  # the series the issue is about: no res.partner.mobile, no holiday_status_id


@cache
def series(name: str) -> Series:
    """A recording, read once per test process (the fake copies what it serves)."""
    return Series.load(RECORDINGS / f"{name}.json")


@contextmanager
def serving(name: str) -> Iterator[tuple[FakeOdoo, OdooClient]]:
    """A fake of that series, and a client logged in to nothing yet."""
    with FakeOdoo(series(name)) as fake:
        client = OdooClient(fake.url, DB, LOGIN, PASSWORD, timeout=2)
        try:
            yield fake, client
        finally:
            client.close()
