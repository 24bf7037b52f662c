"""Who is calling POST /chat/google: verification of Google Chat's bearer token.

Three configurations (GOOGLE_CHAT_AUTH_MODE), see docs/protocols/google-chat.md, section
"Verifying requests from Chat":

- ``project_number``: a JWT self-signed by ``chat@system.gserviceaccount.com``, audience the
  project number, keys from that service account's x509 document;
- ``endpoint_url``: a Google ID token for the configured endpoint URL, sent as
  ``chat@system.gserviceaccount.com``;
- ``addon``: the same kind of ID token, sent as the add-on's own service account.

The checks, in order, all before the request body is read: a well-formed compact JWT of at
most 8 kB whose header says RS256 (the token never chooses the algorithm); then google-auth's
``id_token.verify_token``: the signature against the key document's certificate for the
token's ``kid``, ``iat`` and ``exp`` with 60 s of leeway, and ``aud``; then ``nbf`` (which
google-auth does not read), issuer and sender. Token times are judged by google-auth's own
clock (the system's). The key document is fetched through ``CachedCertsRequest``, which
keeps it as long as its ``Cache-Control: max-age`` allows.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import google.auth.transport.requests
from google.auth import _helpers, exceptions, jwt, transport
from google.oauth2 import id_token
from werkzeug.datastructures import ResponseCacheControl
from werkzeug.http import parse_cache_control_header

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


class CachedCertsRequest(transport.Request):
    """google-auth's requests transport, keeping each key document while it is fresh.

    google-auth fetches the keys on every verification; this keeps a document for as long
    as its ``Cache-Control: max-age`` (less its ``Age``) allows, measured on an injected
    clock. Only a 200 whose body is an x509 key document (a JSON object of PEM strings) is
    kept; any other 200 raises ``TransportError``, which the door answers with 503.
    """

    def __init__(self, clock: Clock, request: transport.Request | None = None) -> None:
        self.clock = clock
        self.request = request or google.auth.transport.requests.Request()
        self._cache: dict[str, tuple[transport.Response, datetime]] = {}
        # Held while fetching: a burst of requests with a cold cache makes one fetch.
        self._lock = threading.Lock()

    def __call__(self, url: str, method: str = "GET", body: bytes | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float | None = None,
                 **kwargs: Any) -> transport.Response:
        with self._lock:
            now = self.clock.now()
            cached = self._cache.get(url)
            if cached is not None and now < cached[1]:
                return cached[0]
            self._cache.pop(url, None)
            response: transport.Response = self.request(
                url, method=method, body=body, headers=headers,
                timeout=timeout or FETCH_TIMEOUT_SECONDS, **kwargs)
            if response.status != 200:
                return response  # google-auth turns a non-200 into TransportError
            if not _is_x509_document(response.data):
                raise exceptions.TransportError(  # type: ignore[no-untyped-call]
                    f"{url} did not return an x509 key document")
            lifetime = cache_lifetime(response.headers)
            if lifetime is not None:
                self._cache[url] = (response, now + lifetime)
            return response


def cache_lifetime(headers: Mapping[str, str]) -> timedelta | None:
    """How long a response may be reused: its ``max-age`` less its ``Age``, at most a day
    (None: not at all)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    control = parse_cache_control_header(lowered.get("cache-control"),
                                         cls=ResponseCacheControl)
    if control.no_store or control.no_cache or control.max_age is None:
        return None
    age = lowered.get("age", "0").strip()
    lifetime = timedelta(seconds=control.max_age - (int(age) if age.isdigit() else 0))
    return min(lifetime, MAX_CACHE_LIFETIME) if lifetime > timedelta(0) else None


def _is_x509_document(data: bytes) -> bool:
    """``{kid: PEM}``, the only shape read here (google-auth would read a JWK set too)."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return False
    return (isinstance(document, dict) and "keys" not in document
            and all(isinstance(pem, str) for pem in document.values()))


# ----------------------------------------------------------------------- the verifier


class ChatTokenVerifier:
    def __init__(self, settings: Settings, request: transport.Request) -> None:
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
        try:
            algorithm = jwt.decode_header(token).get("alg")  # type: ignore[no-untyped-call]
            if algorithm != "RS256":  # Google signs with RS256; never let the token choose
                raise Refused(f"token algorithm {str(algorithm)[:20]!r} is not RS256")
            claims = id_token.verify_token(token, self.request, audience=self.audience,
                                           certs_url=self.certs_url,
                                           clock_skew_in_seconds=CLOCK_SKEW_SECONDS)
        except exceptions.TransportError as exc:
            raise KeysUnavailable(str(exc)) from exc
        except (exceptions.GoogleAuthError, ValueError, TypeError, LookupError,
                RecursionError) as exc:
            # Malformed, badly signed, expired or issued in the future, wrong audience, or
            # claims google-auth cannot compare (an ``exp`` that is not a number).
            raise Refused(f"token does not verify: {str(exc)[:200]}") from exc
        self._check_not_before(claims)
        self._check_sender(claims)
        return claims

    def _check_not_before(self, claims: Mapping[str, Any]) -> None:
        """``nbf``, by the clock google-auth judges ``iat`` and ``exp`` with."""
        not_before = claims.get("nbf")
        if not_before is None:
            return
        if isinstance(not_before, bool) or not isinstance(not_before, int | float) \
                or not_before != not_before:
            raise Refused("token nbf is not a time")
        now: int = _helpers.datetime_to_secs(_helpers.utcnow())  # type: ignore[no-untyped-call]
        if not_before > now + CLOCK_SKEW_SECONDS:
            raise Refused("token not valid yet (nbf)")

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
