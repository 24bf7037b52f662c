"""Google sign-in against a local OpenID provider speaking the real protocol: discovery,
the authorization request with PKCE (S256), state and nonce, the token exchange, and an
RS256 ID token checked against the provider's JWKS."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bot.app import create_app
from bot.desk.auth import COOKIE
from commands.core import Services
from store.db import reading
from store.team import desk_sessions
from testing.fake_oidc import FakeOidc, _key

SITE = "https://desk.example"


@pytest.fixture
def provider() -> Iterator[FakeOidc]:
    with FakeOidc("desk-client", "desk-secret", email="carla@switchboard.example") as found:
        yield found


@pytest.fixture
def client(demo: Services, provider: FakeOidc) -> FlaskClient:
    settings = demo.settings.replace(desk_google_client_id="desk-client",
                                     desk_google_client_secret="desk-secret",
                                     desk_oidc_discovery_url=provider.discovery_url)
    demo.settings = settings
    return create_app(settings, demo).test_client()


def to_provider(client: FlaskClient) -> str:
    start = client.get("/desk/signin/google", base_url=SITE)
    assert start.status_code == 302
    return start.location


def back_from_provider(client: FlaskClient, authorize_url: str) -> TestResponse:
    answer = httpx.get(authorize_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["location"])
    assert f"{callback.scheme}://{callback.netloc}" == SITE
    return client.get(f"{callback.path}?{callback.query}", base_url=SITE)


def test_signing_in_with_google(client: FlaskClient, provider: FakeOidc, demo: Services) -> None:
    page = client.get("/desk/signin", base_url=SITE)
    assert b"Sign in with Google" in page.data
    url = to_provider(client)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(provider.issuer + "/authorize?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["nonce"] and query["state"] and query["client_id"] == ["desk-client"]
    assert query["redirect_uri"] == [SITE + "/desk/signin/callback"]
    assert "openid" in query["scope"][0].split() and "email" in query["scope"][0].split()
    answer = back_from_provider(client, url)
    assert answer.status_code == 303 and answer.location.endswith("/desk/board")
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert provider.refusals == []
    board = client.get("/desk/board", base_url=SITE)
    assert board.status_code == 200 and b"Carla Coordinator" in board.data
    with reading(demo.sessions) as session:
        rows = desk_sessions.live_sessions(session, demo.clock.now())
    assert [r.via for r in rows] == ["google"]


@pytest.mark.parametrize("email,verified", [("stranger@example.com", True),
                                            ("carla@switchboard.example", False)])
def test_only_a_verified_email_of_an_active_person_signs_in(
        client: FlaskClient, provider: FakeOidc, email: str, verified: bool) -> None:
    provider.email, provider.email_verified = email, verified
    answer = back_from_provider(client, to_provider(client))
    assert answer.status_code == 403 and b"not an active person" in answer.data
    assert client.get("/desk/board", base_url=SITE).status_code == 303


def test_a_token_signed_with_another_key_is_refused(client: FlaskClient,
                                                    provider: FakeOidc) -> None:
    provider.signing_key = _key(1)
    answer = back_from_provider(client, to_provider(client))
    assert answer.status_code == 401 and b"Google sign-in failed" in answer.data
    assert client.get("/desk/board", base_url=SITE).status_code == 303


def test_a_forged_state_or_a_replayed_code_is_refused(client: FlaskClient,
                                                      provider: FakeOidc) -> None:
    url = to_provider(client)
    answer = httpx.get(url, follow_redirects=False)
    callback = urlsplit(answer.headers["location"])
    code = parse_qs(callback.query)["code"][0]
    forged = client.get(f"/desk/signin/callback?code={code}&state=forged", base_url=SITE)
    assert forged.status_code == 401
    # Another browser (no state of its own) bringing someone's code back.
    thief = client.application.test_client()
    assert thief.get(f"{callback.path}?{callback.query}", base_url=SITE).status_code == 401
    assert client.get("/desk/board", base_url=SITE).status_code == 303


def test_without_a_client_there_is_no_google_route(demo: Services) -> None:
    plain = create_app(demo.settings, demo).test_client()
    assert plain.get("/desk/signin/google").status_code == 404
    assert plain.get("/desk/signin/callback?code=x&state=y").status_code == 404
