"""Failures of external systems, phrased for the person who asked."""

from __future__ import annotations


class IntegrationError(Exception):
    """An external system refused or failed a request.

    ``message`` is safe to show to users: it says what went wrong in their terms.
    """

    def __init__(self, system: str, message: str) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.message = message


class Unreachable(IntegrationError):
    """The system did not answer (connection refused, timeout, DNS, TLS)."""
