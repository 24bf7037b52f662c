"""Google Chat tokens for the tests: signing and the certificates server come from
``bot.bench.google_tokens`` (the benchmarks mint with them too); here are the test-only
parts: unsigned tokens and the Flask door harness."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bot.app import create_app
from bot.bench.google_tokens import (
    ADDON_EMAIL,
    CHAT_ISSUER,
    ENDPOINT_URL,
    PROJECT_NUMBER,
    CertsServer,
    SigningKey,
    classic_dm,
    good_claims,
    id_token_claims,
    mint,
    project_number_claims,
    signing_key,
)
from bot.settings import Settings
from commands.core import Services
from integrations.clock import FixedClock
from store.db import transaction
from store.demo import load_demo
from tests.conftest import Database, make_services, make_settings

__all__ = ["ADDON_EMAIL", "CHAT_ISSUER", "ENDPOINT_URL", "PROJECT_NUMBER", "CertsServer", "Door",
           "SigningKey", "classic_dm", "good_claims", "id_token_claims", "mint", "open_door",
           "project_number_claims", "signing_key", "unsigned"]


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
        now = int(self.services.clock.now().timestamp())  # the door judges by this clock
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
