"""A local OpenID Connect provider speaking the protocol Google's sign-in speaks.

It publishes a discovery document, an authorization endpoint that "signs in" whoever the
test says (``provider.email``) and redirects back with a code, a token endpoint that
checks the client's secret, the redirect URI and the PKCE verifier (S256) before it
answers with an RS256-signed ID token carrying the request's nonce, and the JWKS with
the public key. Each code works once.

    with FakeOidc(client_id="desk", client_secret="s3cret") as provider:
        settings = make_settings(DESK_GOOGLE_CLIENT_ID="desk", ...,
                                 DESK_OIDC_DISCOVERY_URL=provider.discovery_url)
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any, Self
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from testing.local_server import LocalServer, Request, Response

KID = "fake-oidc-1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


@cache
def _key(variant: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign_jwt(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str = KID) -> str:
    header = {"alg": "RS256", "kid": kid, "typ": "JWT"}
    signing_input = (b64url(json.dumps(header).encode()) + "."
                     + b64url(json.dumps(claims).encode()))
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    nonce: str | None
    email: str


class FakeOidc:
    def __init__(self, client_id: str, client_secret: str, *,
                 email: str = "carla@example.com", email_verified: bool = True) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.email = email
        self.email_verified = email_verified
        # A test may make the provider sign with a key it does not publish.
        self.signing_key = _key(0)
        self.grants: dict[str, Grant] = {}
        self.refusals: list[str] = []
        self._lock = threading.Lock()
        self.server = LocalServer(self.handle)

    @property
    def issuer(self) -> str:
        return self.server.url

    @property
    def discovery_url(self) -> str:
        return self.server.url + "/.well-known/openid-configuration"

    def __enter__(self) -> Self:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    # ------------------------------------------------------------------ endpoints

    def handle(self, request: Request) -> Response:
        if request.method == "GET" and request.path == "/.well-known/openid-configuration":
            return Response(200, self.discovery())
        if request.method == "GET" and request.path == "/authorize":
            return self.authorize(request)
        if request.method == "POST" and request.path == "/token":
            return self.token(request)
        if request.method == "GET" and request.path == "/jwks":
            public = _key(0).public_key().public_numbers()
            return Response(200, {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig",
                                            "kid": KID, "n": b64url(_int_bytes(public.n)),
                                            "e": b64url(_int_bytes(public.e))}]})
        return Response(404, {"error": "not_found"})

    def discovery(self) -> dict[str, Any]:
        url = self.server.url
        return {"issuer": url, "authorization_endpoint": url + "/authorize",
                "token_endpoint": url + "/token", "jwks_uri": url + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                          "client_secret_post"],
                "code_challenge_methods_supported": ["S256"]}

    def _refuse(self, why: str) -> Response:
        self.refusals.append(why)
        return Response(400, {"error": "invalid_request", "error_description": why})

    def authorize(self, request: Request) -> Response:
        arg = request.arg
        if arg("response_type") != "code":
            return self._refuse("response_type must be code")
        if arg("client_id") != self.client_id:
            return self._refuse("unknown client")
        if "openid" not in (arg("scope") or "").split():
            return self._refuse("the scope lacks openid")
        challenge, method = arg("code_challenge"), arg("code_challenge_method")
        if not challenge or method != "S256":
            return self._refuse("PKCE with S256 is required")
        redirect_uri, state = arg("redirect_uri"), arg("state")
        if not redirect_uri or not state:
            return self._refuse("redirect_uri and state are required")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.grants[code] = Grant(self.client_id, redirect_uri, challenge, method,
                                      arg("nonce"), self.email)
        return Response(302, b"", {"Location": redirect_uri + "?"
                                   + urlencode({"code": code, "state": state})})

    def _client(self, request: Request, form: dict[str, str]) -> tuple[str, str] | None:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            raw = base64.b64decode(header[6:]).decode()
            client_id, _, secret = raw.partition(":")
            return client_id, secret
        if "client_id" in form:
            return form["client_id"], form.get("client_secret", "")
        return None

    def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in request.form().items()}
        client = self._client(request, form)
        if client is None or client != (self.client_id, self.client_secret):
            self.refusals.append("client authentication failed")
            return Response(401, {"error": "invalid_client"})
        if form.get("grant_type") != "authorization_code":
            return self._refuse("grant_type must be authorization_code")
        with self._lock:
            grant = self.grants.pop(form.get("code", ""), None)
        if grant is None:
            return Response(400, {"error": "invalid_grant"})
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._refuse("redirect_uri differs from the authorization request's")
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != grant.challenge:
            return self._refuse("the PKCE verifier does not match the challenge")
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": "1" + str(abs(hash(grant.email))),
                                  "aud": self.client_id, "azp": self.client_id, "iat": now,
                                  "exp": now + 3600, "email": grant.email,
                                  "email_verified": self.email_verified}
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return Response(200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                              "expires_in": 3600, "scope": "openid email profile",
                              "id_token": sign_jwt(claims, self.signing_key)})
