"""Genuinely signed Google Chat tokens, and a local server publishing their certificates.

A generated RSA key with a self-signed X.509 certificate stands in for Google's; the
``CertsServer`` publishes ``{kid: PEM}`` exactly as
https://www.googleapis.com/oauth2/v1/certs does, with ``Cache-Control``. The app is pointed
at it through GOOGLE_CHAT_CERTS_URL, so verification runs for real, signature included.
The benchmarks and the tests both mint with it; the tests' Flask door harness is at the end.

The door judges ``iat``/``exp``/``nbf`` by google-auth's clock (the system's), so tokens are
minted at a given ``now`` (default the system clock's). Tests that run on a fixed clock make
google-auth read that clock instead (``google_auth_reads``), so tokens minted at the fixed
clock's time are current and ``clock.advance`` ages them. Minting costs an RSA signature
(about a millisecond); the key is parsed once per process, and benchmarks mint before they
start timing.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask.testing import FlaskClient
from google.auth import crypt, jwt
from werkzeug.test import TestResponse

from bot.app import create_app
from bot.doors.google_chat.auth import CHAT_ISSUER
from bot.settings import Settings
from commands.core import Services
from integrations.clock import Clock, FixedClock
from store.db import transaction
from store.demo.team import load_demo
from testing.database import Database, make_services, make_settings
from testing.local_server import LocalServer, Request, Response

ADDON_EMAIL = "service-123456789012@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
PROJECT_NUMBER = "123456789012"
ENDPOINT_URL = "https://switchboard.example/chat/google"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: bytes
    cert_pem: str


@cache
def signing_key(kid: str = "test-kid-1", variant: int = 0) -> SigningKey:
    """A test key and its certificate; another ``variant`` is another key (same kid)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"switchboard-test-{kid}")])
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
            .not_valid_after(datetime(2100, 1, 1, tzinfo=UTC))
            .sign(key, hashes.SHA256()))
    private_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return SigningKey(kid, private_pem, cert.public_bytes(serialization.Encoding.PEM).decode())


@cache
def _signer(key: SigningKey) -> crypt.RSASigner:
    signer: crypt.RSASigner = crypt.RSASigner.from_string(  # type: ignore[no-untyped-call]
        key.private_pem, key_id=key.kid)
    return signer


def mint(claims: dict[str, Any], key: SigningKey | None = None) -> str:
    """A JWT over ``claims``, signed RS256 with ``key`` (default: the first test key)."""
    token: bytes = jwt.encode(_signer(key or signing_key()), claims)  # type: ignore[no-untyped-call]
    return token.decode()


def project_number_claims(now: int | None = None, **overrides: Any) -> dict[str, Any]:
    """What Chat sends in project-number mode: a JWT self-signed by its service account,
    issued at ``now`` (epoch seconds; default the system clock's)."""
    now = int(time.time()) if now is None else now
    claims = {"iss": CHAT_ISSUER, "aud": PROJECT_NUMBER, "iat": now, "exp": now + 3600}
    claims.update(overrides)
    return claims


def id_token_claims(email: str = CHAT_ISSUER, now: int | None = None,
                    **overrides: Any) -> dict[str, Any]:
    """A Google ID token (endpoint-URL and add-on modes), issued at ``now``."""
    now = int(time.time()) if now is None else now
    claims = {"iss": "https://accounts.google.com", "aud": ENDPOINT_URL, "azp": "1234",
              "sub": "1234", "email": email, "email_verified": True,
              "iat": now, "exp": now + 3600}
    claims.update(overrides)
    return claims


def good_claims(mode: str, now: int | None = None) -> dict[str, Any]:
    if mode == "project_number":
        return project_number_claims(now)
    return id_token_claims(ADDON_EMAIL if mode == "addon" else CHAT_ISSUER, now)


class CertsServer(LocalServer):
    """Publishes ``{kid: certificate PEM}`` with ``Cache-Control: public, max-age=…``."""

    def __init__(self, *keys: SigningKey, max_age: int = 3600) -> None:
        self.keys = list(keys) or [signing_key()]
        self.max_age = max_age
        self.status = 200
        super().__init__(self._serve)

    def _serve(self, request: Request) -> Response:
        if self.status != 200:
            return Response(self.status, {"error": "unavailable"})
        return Response(200, {k.kid: k.cert_pem for k in self.keys}, headers={
            "Cache-Control": f"public, max-age={self.max_age}, must-revalidate, no-transform"})

    @property
    def certs_url(self) -> str:
        return self.url + "/certs"

    @property
    def fetches(self) -> int:
        return len(self.requests)


def google_auth_reads(clock: Clock) -> Callable[[], datetime]:
    """A stand-in for ``google.auth._helpers.utcnow`` (naive UTC, which google-auth compares
    token times with) that reads ``clock``: tests patch it in, so no test depends on the
    day it runs."""
    return lambda: clock.now().astimezone(UTC).replace(tzinfo=None)


def classic_dm(text: str, *, user: str = "users/211", email: str = "alice@switchboard.example",
               message: str = "spaces/DM1/messages/M1") -> dict[str, Any]:
    """A classic MESSAGE event: a person writing to the app in a DM."""
    person = {"name": user, "displayName": email.split("@")[0].title(), "email": email,
              "type": "HUMAN"}
    space = {"name": "spaces/DM1", "type": "DM", "spaceType": "DIRECT_MESSAGE",
             "singleUserBotDm": True}
    return {"type": "MESSAGE", "eventTime": "2026-11-23T08:00:00.000000Z", "user": person,
            "space": space,
            "message": {"name": message, "sender": person, "text": text, "argumentText": text,
                        "thread": {"name": "spaces/DM1/threads/T1"}, "space": space}}


# --------------------------------------------------------------------------- the door harness


def unsigned(claims: dict[str, Any], signature: str = "") -> str:
    """An ``alg: none`` token (with an optional fake signature)."""
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'test-kid-1'})}.{part(claims)}.{signature}"


@dataclass
class Door:
    """The Flask app's POST /chat/google, with tokens good for its configuration."""

    client: FlaskClient
    services: Services
    settings: Settings
    mode: str

    def token(self, **overrides: Any) -> str:
        now = int(self.services.clock.now().timestamp())  # google-auth reads it in tests
        return mint({**good_claims(self.mode, now), **overrides})

    def post(self, body: Any, token: str | None = None, **headers: str) -> TestResponse:
        auth = {"Authorization": f"Bearer {token or self.token()}"}
        return self.client.post("/chat/google", json=body, headers={**auth, **headers})


def open_door(db: Database, clock: FixedClock, certs_url: str, *, mode: str = "project_number",
              demo: bool = True, **env: str) -> Door:
    audience = PROJECT_NUMBER if mode == "project_number" else ENDPOINT_URL
    values = {"DATABASE_URL": db.url, "GOOGLE_CHAT_AUTH_MODE": mode,
              "GOOGLE_CHAT_AUDIENCE": audience, "GOOGLE_CHAT_CERTS_URL": certs_url,
              "GOOGLE_CHAT_COMMANDS": "1=whoami,2=people",
              "GOOGLE_CHAT_ADDON_EMAIL": ADDON_EMAIL if mode == "addon" else ""}
    values.update(env)
    settings = make_settings(**values)
    services = make_services(db, settings, clock)
    if demo:
        with transaction(services.sessions) as session:
            load_demo(session, clock.now())
    return Door(create_app(settings, services).test_client(), services, settings, mode)
