"""A fake Google Chat API and OAuth token endpoint on 127.0.0.1.

    with FakeGoogleChat(dms={"users/111": "spaces/DM111"}) as fake:
        key_file = fake.write_service_account(tmp_path)
        settings = make_settings(GOOGLE_CHAT_SERVICE_ACCOUNT_FILE=str(key_file),
                                 GOOGLE_CHAT_API_ENDPOINT=fake.url)

The service-account flow is real: the key file holds a fresh RSA key and a ``token_uri``
pointing at ``/token``, where the JWT assertion google-auth signs is verified with the
public half (signature, expiry, audience, issuer, scope) before an access token is issued. The
Chat routes refuse any other bearer token with 401.

- ``POST /v1/spaces/{S}/messages?requestId=R`` creates a message; a repeated requestId in
  the same space returns the message made the first time (Chat's idempotency).
- ``GET /v1/spaces:findDirectMessage?name=users/U`` → the DM space from ``dms``, else 404.

Scripting: ``script(*responses)`` queues answers for the next create calls (a 429 with
Retry-After, a 503); ``fail_with(status)`` answers every create with that status until
``fail_with(None)``. ``create_calls`` records every create attempt, ``messages`` the
messages that exist.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import jwt

from testing.local_server import LocalServer, Request, Response
from testing.rate_limits import Enforcer

CLIENT_EMAIL = "switchboard@switchboard-test.iam.gserviceaccount.com"
CHAT_SCOPE = "https://www.googleapis.com/auth/chat.bot"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


@cache
def _key() -> tuple[str, str]:
    """(private PEM, public PEM) of a test RSA key, made once per test run."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@dataclass
class CreateCall:
    space: str
    request_id: str | None
    body: dict[str, Any]
    status: int


def google_error(status: int, text: str, reason: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": text, "status": reason}}


class FakeGoogleChat:
    def __init__(self, dms: dict[str, str] | None = None, *,
                 limits: Enforcer | None = None, latency: float = 0.0) -> None:
        self.dms = dict(dms or {})
        # Benchmarks: Chat's quotas enforced (scopes "writes", "reads", "space:<name>"),
        # and a delay before each answer, as a far-away API would take.
        self.limits = limits
        self.latency = latency
        self.arrivals: dict[str, list[float]] = {}  # space → monotonic time of each create
        self.server = LocalServer(self._serve)
        self.tokens: list[str] = []
        self.token_requests = 0
        self.create_calls: list[CreateCall] = []
        self.find_dm_calls: list[str] = []
        self.messages: dict[str, dict[str, Any]] = {}  # name → message
        self._by_request: dict[tuple[str, str], str] = {}
        self._script: deque[Response] = deque()
        self._failing: int | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ set-up

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token_uri(self) -> str:
        return self.server.url + "/token"

    def write_service_account(self, directory: Path) -> Path:
        private, _ = _key()
        path = directory / "service-account.json"
        path.write_text(json.dumps({
            "type": "service_account", "project_id": "switchboard-test",
            "private_key_id": "test-key-1", "private_key": private,
            "client_email": CLIENT_EMAIL, "client_id": "1234567890",
            "token_uri": self.token_uri,
        }))
        return path

    def script(self, *responses: Response) -> None:
        with self._lock:
            self._script.extend(responses)

    def fail_with(self, status: int | None) -> None:
        with self._lock:
            self._failing = status

    def __enter__(self) -> FakeGoogleChat:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    # ------------------------------------------------------------------ views

    def texts(self, space: str | None = None) -> list[str]:
        with self._lock:
            return [str(m.get("text", "")) for m in self.messages.values()
                    if space is None or m["space"]["name"] == space]

    # ------------------------------------------------------------------ serving

    def _serve(self, request: Request) -> Response:
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        if not request.path.startswith("/v1/"):
            return Response(404, google_error(404, "not found", "NOT_FOUND"))
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        with self._lock:
            known = bearer in self.tokens
        if not known:
            return Response(401, google_error(401, "Request had invalid authentication "
                                              "credentials.", "UNAUTHENTICATED"))
        path = request.path.removeprefix("/v1/")
        if path == "spaces:findDirectMessage" and request.method == "GET":
            return self._find_dm(request)
        if path.startswith("spaces/") and path.endswith("/messages") and request.method == "POST":
            return self._create(path.removesuffix("/messages"), request)
        return Response(404, google_error(404, "not found", "NOT_FOUND"))

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in request.form().items()}
        with self._lock:
            self.token_requests += 1
        if form.get("grant_type") != JWT_GRANT:
            return Response(400, {"error": "unsupported_grant_type"})
        _, public = _key()
        try:
            # google-auth signs for Google's own token endpoint whatever the token_uri.
            decode: Any = jwt.decode
            claims = decode(form.get("assertion", ""), certs=public,
                            audience=GOOGLE_TOKEN_AUDIENCE)
        except ValueError as exc:
            return Response(400, {"error": "invalid_grant", "error_description": str(exc)})
        if claims.get("iss") != CLIENT_EMAIL or CHAT_SCOPE not in str(claims.get("scope")):
            return Response(400, {"error": "invalid_scope"})
        with self._lock:
            token = f"ya29.fake-{next(self._ids)}"
            self.tokens.append(token)
        return Response(200, {"access_token": token, "expires_in": 3600,
                              "token_type": "Bearer"})

    def _limited(self, scopes: list[str]) -> Response | None:
        if self.latency:
            time.sleep(self.latency)
        if self.limits is None:
            return None
        refused = self.limits.admit(scopes)
        if refused is None:
            return None
        wait, scope = refused
        quota = "WritesPerSecondPerSpace" if scope.startswith("space:") else \
            "WritesPerMinutePerProject" if scope == "writes" else "ReadsPerMinutePerProject"
        error = google_error(429, "Resource has been exhausted (e.g. check quota).",
                             "RESOURCE_EXHAUSTED")
        error["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                      "reason": "RATE_LIMIT_EXCEEDED",
                                      "domain": "googleapis.com",
                                      "metadata": {"quota_limit": quota}}]
        return Response(429, error, {"Retry-After": str(wait)})

    def _find_dm(self, request: Request) -> Response:
        user = request.arg("name") or ""
        limited = self._limited(["reads"])
        if limited is not None:
            return limited
        with self._lock:
            self.find_dm_calls.append(user)
            space = self.dms.get(user)
        if space is None:
            return Response(404, google_error(404, f"No direct message with {user}.",
                                              "NOT_FOUND"))
        return Response(200, {"name": space, "spaceType": "DIRECT_MESSAGE"})

    def _create(self, space: str, request: Request) -> Response:
        request_id = request.arg("requestId")
        body = request.json() or {}
        limited = self._limited(["writes", f"space:{space}"])
        if limited is not None:
            with self._lock:
                self.create_calls.append(CreateCall(space, request_id, body, 429))
            return limited
        with self._lock:
            scripted = self._script.popleft() if self._script else None
            if scripted is None and self._failing is not None:
                scripted = Response(self._failing, google_error(
                    self._failing, "The service is currently unavailable.", "UNAVAILABLE"))
            status = scripted.status if scripted is not None else 200
            self.create_calls.append(CreateCall(space, request_id, body, status))
            if scripted is not None:
                return scripted
            existing = self._by_request.get((space, request_id)) if request_id else None
            if existing is not None:
                return Response(200, self.messages[existing])
            name = f"{space}/messages/M{next(self._ids)}"
            message = {**body, "name": name, "space": {"name": space},
                       "sender": {"name": "users/app", "type": "BOT"}}
            self.messages[name] = message
            self.arrivals.setdefault(space, []).append(time.monotonic())
            if request_id:
                self._by_request[(space, request_id)] = name
        return Response(200, message)
