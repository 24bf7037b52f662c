"""Who is calling POST /chat/google: verification of Google Chat's bearer token.

Three configurations (GOOGLE_CHAT_AUTH_MODE), see PROTOCOLS-chat.md A.3:

- ``project_number``: a JWT self-signed by ``chat@system.gserviceaccount.com``, audience the
  project number, keys from that service account's x509 document;
- ``endpoint_url``: a Google ID token for the configured endpoint URL, sent as
  ``chat@system.gserviceaccount.com``;
- ``addon``: the same kind of ID token, sent as the add-on's own service account.

The checks, in order, all before the request body is read: a well-formed compact JWT of at
most 8 kB whose header says RS256 (the token never chooses the algorithm); its signature,
verified with google-auth's RSA verifier against the key document's certificate for the
token's ``kid`` (parsed certificates are cached per PEM); ``aud``; ``exp``, ``iat`` and
``nbf`` against the injected clock with 60 s of leeway (google-auth's own time checks read
the system clock, so this module checks the times itself); then issuer and sender.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from google.auth import crypt, exceptions, transport

from bot.settings import Settings
from integrations.clock import Clock

log = logging.getLogger(__name__)

CHAT_ISSUER = "chat@system.gserviceaccount.com"
CHAT_CERTS_URL = "https://www.googleapis.com/service_accounts/v1/metadata/x509/" + CHAT_ISSUER
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
CLOCK_SKEW_SECONDS = 60
MAX_TOKEN_LENGTH = 8192
FETCH_TIMEOUT_SECONDS = 5.0
# Google's documents say a few hours; a longer promise is not trusted past a day.
MAX_CACHE_LIFETIME = timedelta(days=1)

_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class Refused(Exception):
    """The caller is not Google Chat (answer 401). The reason is for the log only."""


class KeysUnavailable(Exception):
    """The signing keys could not be fetched, so nobody can be verified (answer 503)."""


# ----------------------------------------------------------------------- key documents


class _Fetched(transport.Response):
    def __init__(self, status: int, headers: Mapping[str, str], data: bytes) -> None:
        self._status, self._headers, self._data = status, headers, data

    @property
    def status(self) -> int:
        return self._status

    @property
    def headers(self) -> Mapping[str, str]:
        return self._headers

    @property
    def data(self) -> bytes:
        return self._data


@dataclass(frozen=True)
class _Entry:
    response: _Fetched
    fresh_until: datetime


class CachedCertsRequest(transport.Request):
    """A google-auth transport for key documents that honours their HTTP cache headers.

    google-auth fetches the keys on every verification; this keeps each document for as
    long as its ``Cache-Control: max-age`` (or ``Expires``) allows, measured on an injected
    clock. Only a 200 whose body is a JSON object is kept; anything else raises
    ``TransportError``, which the door answers with 503.
    """

    def __init__(self, clock: Clock, client: httpx.Client | None = None) -> None:
        self.clock = clock
        self.client = client or httpx.Client(timeout=FETCH_TIMEOUT_SECONDS)
        self._cache: dict[str, _Entry] = {}
        # Held while fetching: a burst of requests with a cold cache makes one fetch.
        self._lock = threading.Lock()

    def __call__(self, url: str, method: str = "GET", body: bytes | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float | None = None,
                 **kwargs: Any) -> _Fetched:
        if method != "GET" or body:
            return self._fetch(url, method, body, headers, timeout)
        with self._lock:
            now = self.clock.now()
            entry = self._cache.get(url)
            if entry is not None and now < entry.fresh_until:
                return entry.response
            response = self._fetch(url, method, None, headers, timeout)
            if response.status != 200:
                self._cache.pop(url, None)
                return response  # google-auth turns a non-200 into TransportError
            try:
                document = json.loads(response.data)
            except ValueError:
                document = None
            if not isinstance(document, dict):
                raise _transport_error(f"{url} did not return a JSON object")
            until = fresh_until(response.headers, now)
            if until is None:
                self._cache.pop(url, None)
            else:
                self._cache[url] = _Entry(response, until)
            return response

    def _fetch(self, url: str, method: str, body: bytes | None,
               headers: Mapping[str, str] | None, timeout: float | None) -> _Fetched:
        try:
            reply = self.client.request(method, url, content=body, headers=headers,
                                        timeout=timeout or FETCH_TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            raise _transport_error(f"could not fetch {url}: {exc!r}") from exc
        return _Fetched(reply.status_code, reply.headers, reply.content)


def _transport_error(message: str) -> exceptions.TransportError:
    # What google-auth raises for an unreachable key document; the door answers 503.
    return exceptions.TransportError(message)  # type: ignore[no-untyped-call]


def fresh_until(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """Until when a response may be reused, from its cache headers (None: not at all)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    directives: dict[str, str] = {}
    for part in lowered.get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            directives[name.lower()] = value.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        return None
    lifetime: timedelta | None = None
    if "max-age" in directives:
        try:
            seconds = int(directives["max-age"]) - int(lowered.get("age", "0") or 0)
        except ValueError:
            return None
        lifetime = timedelta(seconds=seconds)
    elif "expires" in lowered:
        expires = _http_date(lowered["expires"])
        if expires is None:
            return None
        sent = _http_date(lowered.get("date", "")) or now
        lifetime = expires - sent
    if lifetime is None or lifetime <= timedelta(0):
        return None
    return now + min(lifetime, MAX_CACHE_LIFETIME)


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


# ----------------------------------------------------------------------- the verifier


class ChatTokenVerifier:
    def __init__(self, settings: Settings, request: transport.Request, clock: Clock) -> None:
        self.clock = clock
        self._verifiers: dict[str, crypt.RSAVerifier] = {}
        self.mode = settings.google_chat_auth_mode
        self.audience = settings.google_chat_audience.strip()
        self.addon_email = settings.google_chat_addon_email.strip()
        default_certs = CHAT_CERTS_URL if self.mode == "project_number" else GOOGLE_CERTS_URL
        self.certs_url = settings.google_chat_certs_url or default_certs
        self.request = request
        self.problem = self._misconfiguration()
        self._problem_logged = False

    def _misconfiguration(self) -> str | None:
        if not self.audience:
            return "GOOGLE_CHAT_AUDIENCE is empty, so no token can be checked against it"
        if self.mode == "project_number" and not self.audience.isdigit():
            return ("GOOGLE_CHAT_AUDIENCE must be the project number when "
                    "GOOGLE_CHAT_AUTH_MODE=project_number")
        if self.mode != "project_number" and not self.audience.startswith("https://"):
            return (f"GOOGLE_CHAT_AUDIENCE must be the endpoint's https:// URL when "
                    f"GOOGLE_CHAT_AUTH_MODE={self.mode}")
        if self.mode == "addon" and not self.addon_email:
            return "GOOGLE_CHAT_ADDON_EMAIL is empty but GOOGLE_CHAT_AUTH_MODE=addon"
        return None

    @property
    def expected_email(self) -> str:
        return self.addon_email if self.mode == "addon" else CHAT_ISSUER

    def verify(self, authorization: str | None) -> Mapping[str, Any]:
        """The token's claims; raises Refused (401) or KeysUnavailable (503)."""
        if self.problem is not None:
            if not self._problem_logged:
                self._problem_logged = True
                log.error("Google Chat door refuses every request: %s", self.problem)
            raise Refused("door misconfigured")
        token = bearer_token(authorization)
        header, claims, signed, signature = _decode(token)
        algorithm = header.get("alg")
        if algorithm != "RS256":  # Google signs with RS256; never let the token choose
            raise Refused(f"token algorithm {algorithm!r} is not RS256")
        certificates = self._certificates(header.get("kid"))
        if not any(self._verifier(pem).verify(signed, signature) for pem in certificates):
            raise Refused("token signature does not verify")
        self._check_audience(claims)
        self._check_times(claims)
        self._check_sender(claims)
        return claims

    def _certificates(self, kid: Any) -> list[str]:
        """The PEM certificates a token with this ``kid`` may be signed with."""
        try:
            response = self.request(self.certs_url, method="GET")
        except exceptions.TransportError as exc:
            raise KeysUnavailable(str(exc)) from exc
        if response.status != 200:
            raise KeysUnavailable(f"{self.certs_url} answered {response.status}")
        try:
            document = json.loads(response.data)
        except ValueError as exc:
            raise KeysUnavailable(f"{self.certs_url} is not a JSON key document") from exc
        if not isinstance(document, dict) or "keys" in document:
            raise KeysUnavailable(f"{self.certs_url} is not an x509 key document")
        if kid is None:
            return [pem for pem in document.values() if isinstance(pem, str)]
        pem = document.get(kid) if isinstance(kid, str) else None
        if not isinstance(pem, str):
            raise Refused(f"no certificate for key id {str(kid)[:40]!r}")
        return [pem]

    def _verifier(self, pem: str) -> crypt.RSAVerifier:
        verifier = self._verifiers.get(pem)
        if verifier is None:
            try:
                verifier = crypt.RSAVerifier.from_string(pem)  # type: ignore[no-untyped-call]
            except ValueError as exc:
                raise KeysUnavailable("a certificate in the key document does not parse"
                                      ) from exc
            if len(self._verifiers) > 16:  # keys rotate; never keep more than a few
                self._verifiers.clear()
            self._verifiers[pem] = verifier
        return verifier

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.audience not in audiences:
            raise Refused(f"audience {str(audience)[:80]!r} is not {self.audience!r}")

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now = self.clock.now().timestamp()
        issued, expires, not_before = (_epoch(claims, name) for name in ("iat", "exp", "nbf"))
        if issued is None or expires is None:
            raise Refused("token without iat or exp")
        if issued > now + CLOCK_SKEW_SECONDS:
            raise Refused("token issued in the future")
        if not_before is not None and not_before > now + CLOCK_SKEW_SECONDS:
            raise Refused("token not valid yet (nbf)")
        if expires < now - CLOCK_SKEW_SECONDS:
            raise Refused("token expired")

    def _check_sender(self, claims: Mapping[str, Any]) -> None:
        issuer = claims.get("iss")
        if self.mode == "project_number":
            if issuer != CHAT_ISSUER:
                raise Refused(f"issuer {issuer!r} is not {CHAT_ISSUER}")
            return
        if issuer not in GOOGLE_ISSUERS:
            raise Refused(f"issuer {issuer!r} is not Google's")
        if claims.get("email") != self.expected_email:
            raise Refused(f"sender {claims.get('email')!r} is not {self.expected_email}")
        if claims.get("email_verified") not in (True, "true"):
            raise Refused("sender email is not verified")


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Refused("no Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer":
        raise Refused("Authorization is not a Bearer token")
    if len(token) > MAX_TOKEN_LENGTH or not _JWT.fullmatch(token):
        raise Refused("malformed bearer token")
    return token


def _decode(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signed part, signature) of a compact JWT, or Refused."""
    head, body, signature = token.split(".")
    parts = []
    for segment, what in ((head, "header"), (body, "payload")):
        try:
            value = json.loads(_unbase64(segment))
        except (binascii.Error, ValueError, RecursionError) as exc:
            raise Refused(f"malformed token {what}") from exc
        if not isinstance(value, dict):
            raise Refused(f"malformed token {what}")
        parts.append(value)
    try:
        raw_signature = _unbase64(signature)
    except (binascii.Error, ValueError) as exc:
        raise Refused("malformed token signature") from exc
    return parts[0], parts[1], f"{head}.{body}".encode(), raw_signature


def _unbase64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _epoch(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise Refused(f"token {name} is not a time")
    return float(value)
