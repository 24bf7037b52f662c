"""Signed links: unguessable URLs (calendar feeds, chart images) that the app can check
without storing them.

A link is ``{PUBLIC_URL}/{purpose}/{token}{suffix}``; the token carries a small payload
and, optionally, an expiry, signed with ``SECRET_KEY`` (itsdangerous, HMAC-SHA1 over a
key derived per purpose, so a calendar token is never a valid chart token). Expiry is
judged against the injected clock, not the system time. Revocation is the caller's
business: put a version number in the payload and compare it with the stored one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from itsdangerous import BadSignature, URLSafeSerializer

DEVELOPMENT_KEY = "switchboard-development-key-not-for-production"


class LinkConfig(Protocol):
    @property
    def secret_key(self) -> str: ...
    @property
    def public_url(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...


def base_url(config: LinkConfig) -> str:
    return (config.public_url or f"http://{config.host}:{config.port}").rstrip("/")


def _serializer(config: LinkConfig, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(config.secret_key or DEVELOPMENT_KEY, salt=f"switchboard.{purpose}")


def token(config: LinkConfig, purpose: str, payload: Any,
          expires: datetime | None = None) -> str:
    body = {"p": payload}
    if expires is not None:
        body["e"] = int(expires.timestamp())
    return str(_serializer(config, purpose).dumps(body))


def url(config: LinkConfig, purpose: str, payload: Any, suffix: str = "",
        expires: datetime | None = None) -> str:
    return f"{base_url(config)}/{purpose}/{token(config, purpose, payload, expires)}{suffix}"


def read(config: LinkConfig, purpose: str, raw: str, now: datetime) -> Any | None:
    """The payload of a genuine, unexpired token; None for anything else."""
    if len(raw) > 2000:
        return None
    try:
        body = _serializer(config, purpose).loads(raw)
    except (BadSignature, ValueError, UnicodeError):
        return None
    if not isinstance(body, dict) or "p" not in body:
        return None
    expires = body.get("e")
    if expires is not None and (not isinstance(expires, int) or now.timestamp() > expires):
        return None
    return body["p"]
