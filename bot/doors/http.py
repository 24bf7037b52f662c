"""What every HTTP door shares: small JSON answers, bearer tokens, signed webhooks.

Doors verify the caller before reading anything else of the request, and answer a refusal
with a bare 401 (no detail that helps an attacker); malformed input after verification is
a 400/422 naming the field, never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from flask import Request, Response

SIGNATURE_WINDOW_SECONDS = 300


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                    status=status, mimetype="application/json", headers=headers)


def unauthorized(scheme: str = "Bearer") -> Response:
    return Response(status=401, headers={"WWW-Authenticate": scheme})


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty expected secret matches nothing."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8"))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Switchboard-Signature`` value for a body sent at ``timestamp`` (epoch s)."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body,
                      hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(header: str | None, body: bytes, secret: str, now: datetime,
                     window: int = SIGNATURE_WINDOW_SECONDS) -> bool:
    """``t=…,v1=…``: HMAC-SHA256 over ``t + "." + body`` with ``secret``, ``t`` within
    ``window`` seconds of ``now``. Several ``v1`` values are accepted (secret rotation)."""
    if not secret or not header or len(header) > 1000:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs(now.timestamp() - timestamp) > window:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected.encode(), c.encode("utf-8", "replace"))
               for c in candidates)


def read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it is longer than ``limit`` bytes (read no further)."""
    data = request.stream.read(limit + 1)
    return None if len(data) > limit else data
