"""The desk's sessions and one-time links: hashes only, one use, expiry, revocation;
every query served by an index."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from commands.core import Services
from store.db import transaction
from store.team import desk_sessions
from store.team.desk_sessions import DeskSession, DeskSignInLink
from testing.explain import assert_served
from tests.conftest import T0

LATER = T0 + timedelta(hours=12)


def test_a_session_lives_until_it_expires_or_is_revoked(demo: Services) -> None:
    with transaction(demo.sessions) as session:
        token, row = desk_sessions.open_session(session, 1, desk_sessions.LINK, T0, LATER)
        other, _ = desk_sessions.open_session(session, 1, desk_sessions.GOOGLE, T0, LATER)
        stored = session.scalars(select(DeskSession.token_hash)).all()
        assert token not in stored and desk_sessions.digest(token) in stored
        assert desk_sessions.live_session(session, token, T0) is not None
        assert desk_sessions.live_session(session, token, LATER) is None
        assert desk_sessions.live_session(session, token + "x", T0) is None
        assert desk_sessions.revoke(session, row.id, T0) is True
        assert desk_sessions.revoke(session, row.id, T0) is False
        assert desk_sessions.live_session(session, token, T0) is None
        assert desk_sessions.live_session(session, other, T0) is not None
        assert desk_sessions.revoke_person(session, 1, T0) == 1
        assert desk_sessions.live_session(session, other, T0) is None
        assert desk_sessions.live_sessions(session, T0) == []


def test_a_link_works_once_and_not_after_its_expiry(demo: Services) -> None:
    with transaction(demo.sessions) as session:
        token = desk_sessions.create_link(session, 2, T0, T0 + timedelta(minutes=10))
        late = desk_sessions.create_link(session, 2, T0, T0 + timedelta(minutes=10))
        assert token not in session.scalars(select(DeskSignInLink.token_hash)).all()
        assert desk_sessions.use_link(session, token, T0) == 2
        assert desk_sessions.use_link(session, token, T0) is None
        assert desk_sessions.use_link(session, late, T0 + timedelta(minutes=10)) is None
        assert desk_sessions.prune(session, T0 + timedelta(hours=1)) == 2


def test_every_query_is_served_by_an_index(demo: Services) -> None:
    checks = [
        lambda s: desk_sessions.live_session(s, "token", T0),
        lambda s: desk_sessions.revoke(s, 1, T0),
        lambda s: desk_sessions.revoke_person(s, 1, T0),
        lambda s: desk_sessions.live_sessions(s, T0),
        lambda s: desk_sessions.use_link(s, "token", T0),
        lambda s: desk_sessions.prune(s, T0),
    ]
    for run in checks:
        with transaction(demo.sessions) as session:
            assert assert_served(session, lambda run=run, session=session: run(session)) > 0
            session.rollback()
