"""Fixtures shared by the door tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testing.google_tokens import CertsServer


@pytest.fixture
def certs() -> Iterator[CertsServer]:
    """A local server publishing the test signing key's certificate, as Google does."""
    with CertsServer() as server:
        yield server
