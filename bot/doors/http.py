"""What every HTTP door shares: small JSON answers, bearer tokens, signed webhooks.

Doors verify the caller before reading anything else of the request, and answer a refusal
with a bare 401 (no detail that helps an attacker); malformed input after verification is
a 400/422 naming the field, never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from datetime import datetime
from typing import Any

from flask import Request, Response

from store import i18n

SIGNATURE_WINDOW_SECONDS = 300


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                    status=status, mimetype="application/json", headers=headers)


def unauthorized(scheme: str = "Bearer") -> Response:
    return Response(status=401, headers={"WWW-Authenticate": scheme})


def accepted_language(request: Request) -> str | None:
    """The first language of the request's Accept-Language, by preference, that
    Switchboard speaks ("pt-BR" → pt, "en-GB" → en); None when it names none."""
    for value, _quality in request.accept_languages:  # most preferred first
        found = i18n.normalise(value)
        if found is not None:
            return found
    return None


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


def storable(text: str) -> str:
    """The text, unless a database could not store it (PostgreSQL refuses NUL; UTF-8 has
    no lone surrogates): a ValueError saying why."""
    if "\x00" in text or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise ValueError("contains a NUL character or an unpaired surrogate")
    return text


def single_line(text: str) -> str:
    """A storable text without control characters (CR, LF, tab, ESC, DEL...): for names,
    ids and numbers that end up inside one line of a chat reply. A ValueError says why."""
    storable(text)
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ValueError("contains a control character (such as a line break or a tab)")
    return text


def unstorable_text(value: Any, path: str) -> str | None:
    """The dotted path of the first text in a JSON value (objects, arrays, their keys and
    values) that a database could not store, or None when every text can be stored. A
    bad key is named by the path of its object."""
    if isinstance(value, str):
        return None if _can_store(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            if not _can_store(str(key)):
                return path
            if (found := unstorable_text(item, f"{path}.{key}")) is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if (found := unstorable_text(item, f"{path}.{index}")) is not None:
                return found
    return None


def _can_store(text: str) -> bool:
    try:
        storable(text)
    except ValueError:
        return False
    return True


def read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it is longer than ``limit`` bytes (read no further)."""
    data = request.stream.read(limit + 1)
    return None if len(data) > limit else data
