"""What the HTTP PBX backends share: failures told in words people understand."""

from __future__ import annotations

import httpx

from integrations.pbx.base import PbxUnreachable


def unreachable(system: str, exc: httpx.TransportError, timeout: float) -> PbxUnreachable:
    """A network failure of an HTTP PBX as the error commands report."""
    if isinstance(exc, httpx.TimeoutException):
        return PbxUnreachable(f"{system} did not answer within {timeout:g} s")
    if isinstance(exc, httpx.ConnectError):
        if "refused" in str(exc).lower():
            return PbxUnreachable(f"{system} refused the connection")
        return PbxUnreachable(f"{system} could not be reached ({exc})")
    return PbxUnreachable(f"{system} dropped the connection ({type(exc).__name__})")


def excerpt(text: str, limit: int = 200) -> str:
    """A one-line start of a body, for error messages."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"
