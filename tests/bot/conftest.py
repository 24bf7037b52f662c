"""Fixtures shared by the door tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.auth import _helpers

from integrations.clock import FixedClock
from testing.google_tokens import CertsServer, google_auth_reads


@pytest.fixture
def certs(clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[CertsServer]:
    """A local server publishing the test signing key's certificate, as Google does; and
    google-auth, which judges a token's ``iat`` and ``exp`` by its own clock, reading the
    test's fixed clock (tokens are minted at that clock's time)."""
    monkeypatch.setattr(_helpers, "utcnow", google_auth_reads(clock))
    with CertsServer() as server:
        yield server
