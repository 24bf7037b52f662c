"""Who is at the desk: sign-in (Google OpenID Connect, or a one-time link for `make run`),
server-side sessions in a signed cookie, CSRF tokens, and the security headers.

- **Google.** The authorization-code flow with PKCE (S256) and a nonce, through Authlib,
  against ``DESK_OIDC_DISCOVERY_URL``: Authlib fetches the discovery document, sends the
  browser to the provider, exchanges the code and verifies the ID token's RS256
  signature against the provider's JWKS, its issuer, audience, expiry and nonce. The
  verified (``email_verified``) address must belong to an active person.
- **One-time link.** With no Google client configured and the server on a loopback
  address, `make run` prints a link for the person the console talks as: random, stored
  only as a hash, spent on first use, dead after ``LINK_MINUTES``.
- **Sessions.** A row per sign-in (``store.team.desk_sessions``); the cookie holds the
  session's random token signed with ``SECRET_KEY``, ``HttpOnly``, ``SameSite=Lax`` and
  ``Secure`` unless the page is served to this machine (localhost). Revoked or expired
  rows sign nobody in. Each session has its CSRF token, required on every form.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, request
from flask import session as flow
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from bot.doors.http import same_secret
from commands.core import Services
from commands.links import DEVELOPMENT_KEY
from store.db import reading, transaction
from store.team import desk_sessions, people
from store.team.people import Person, Role, language_of

COOKIE = "switchboard_desk"
LINK_MINUTES = 10
CSRF_FIELD = "csrf"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, without port) is this machine only."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def request_is_local(req: Request) -> bool:
    return is_loopback(req.host.rsplit(":", 1)[0] if not req.host.startswith("[")
                       else req.host.split("]")[0] + "]")


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as of this request."""

    person_id: int
    key: str
    name: str
    role: Role
    extension: str | None
    session_id: int
    csrf: str
    # The language they read (their choice, else their chat locale); None: not known.
    language: str | None = None

    def allows(self, role: Role) -> bool:
        return self.role.allows(role)


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret or DEVELOPMENT_KEY, salt="switchboard.desk-session")


class Sessions:
    """Opening, reading and ending sessions; the cookie that carries them."""

    def __init__(self, services: Services, secret: str, hours: int) -> None:
        self.services = services
        self.signer = _serializer(secret)
        self.hours = hours

    def open(self, person_id: int, via: str) -> str:
        now = self.services.clock.now()
        with transaction(self.services.sessions) as session:
            token, _ = desk_sessions.open_session(session, person_id, via, now,
                                                  now + timedelta(hours=self.hours))
        return token

    def viewer(self, req: Request) -> Viewer | None:
        raw = req.cookies.get(COOKIE)
        if not raw or len(raw) > 500:
            return None
        try:
            token = self.signer.loads(raw)
        except (BadSignature, UnicodeError, ValueError):
            return None
        if not isinstance(token, str):
            return None
        now = self.services.clock.now()
        with reading(self.services.sessions) as session:
            row = desk_sessions.live_session(session, token, now)
            person = session.get(Person, row.person_id) if row is not None else None
            if row is None or person is None or not person.active:
                return None
            return Viewer(person.id, person.key, person.name, person.role_enum,
                          person.extension, row.id, row.csrf, language_of(person))

    def end(self, viewer: Viewer) -> None:
        with transaction(self.services.sessions) as session:
            desk_sessions.revoke(session, viewer.session_id, self.services.clock.now())

    def set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(COOKIE, self.signer.dumps(token), max_age=self.hours * 3600,
                            path="/desk", httponly=True, samesite="Lax",
                            secure=not request_is_local(request))

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/desk", httponly=True, samesite="Lax",
                               secure=not request_is_local(request))


def csrf_ok(viewer: Viewer, form_value: str | None) -> bool:
    """Whether the form carries this session's token (compared in constant time, as
    bytes: a token holding any text at all is refused, not an error)."""
    return same_secret(form_value or None, viewer.csrf)


def sign_in_link(services: Services, key: str, now: datetime | None = None) -> str | None:
    """A one-time sign-in path (``/desk/signin/link/TOKEN``) for the active person with
    this key; None when there is none."""
    now = now or services.clock.now()
    with transaction(services.sessions) as session:
        person = people.by_key(session, key)
        if person is None or not person.active:
            return None
        token = desk_sessions.create_link(session, person.id, now,
                                          now + timedelta(minutes=LINK_MINUTES))
    return f"/desk/signin/link/{token}"


def spend_link(services: Services, token: str) -> int | None:
    if len(token) > 200:
        return None
    with transaction(services.sessions) as session:
        person_id = desk_sessions.use_link(session, token, services.clock.now())
        if person_id is None:
            return None
        person = session.get(Person, person_id)
        return person.id if person is not None and person.active else None


def person_by_verified_email(services: Services, claims: dict[str, Any]) -> int | None:
    """The active person an ID token's verified email names."""
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") not in (True, "true"):
        return None
    with reading(services.sessions) as session:
        person = people.by_email(session, email.strip().lower()) or people.by_email(
            session, email.strip())
        return person.id if person is not None and person.active else None


class Google:
    """The Google (OpenID Connect) client, through Authlib's Flask integration."""

    def __init__(self, app: Flask, client_id: str, client_secret: str,
                 discovery_url: str) -> None:
        from authlib.integrations.flask_client import OAuth

        self.oauth = OAuth(app)
        self.client = self.oauth.register(
            "google", client_id=client_id, client_secret=client_secret,
            server_metadata_url=discovery_url,
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256",
                           "timeout": 10})

    def redirect(self, redirect_uri: str) -> Any:
        # Authlib keeps each start's state in the flow cookie for an hour: a browser that
        # starts again and again would grow it past what browsers keep (4 KB) and sign-in
        # would break. Only the latest start of a browser can finish.
        for key in [k for k in flow if k.startswith(f"_state_{self.client.name}_")]:
            flow.pop(key)
        return self.client.authorize_redirect(redirect_uri)

    def claims(self) -> dict[str, Any]:
        """The verified ID token's claims (raises on anything wrong with the answer)."""
        token = self.client.authorize_access_token()
        userinfo = token.get("userinfo")
        if not isinstance(userinfo, dict):
            raise ValueError("the provider's answer has no ID token")
        return dict(userinfo)


def security_headers(response: Response, *, frame_ancestors: str = "'none'") -> Response:
    """The desk's headers: a CSP without inline script, no framing, no sniffing, no
    referrer, and pages never cached."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
        f"frame-ancestors {frame_ancestors}")
    if frame_ancestors == "'none'":
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    return response
