"""Turning what people type (``@alice``, ``<@U0123>``, an email, an extension) into a Person."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from commands.core import UsageError
from store import people
from store.people import Person

_PLATFORM_MENTION = re.compile(r"^<@(?P<id>(users/)?[A-Za-z0-9_./@-]+)(\|[^>]*)?>$")


def find_person(session: Session, token: str) -> Person | None:
    token = token.strip()
    mention = _PLATFORM_MENTION.match(token)
    if mention:
        user_id = mention.group("id")
        platform = "google" if user_id.startswith("users/") else "slack"
        return people.by_chat_id(session, platform, user_id)
    token = token.lstrip("@")
    if "@" in token:
        return people.by_email(session, token)
    return people.by_key(session, token.lower()) or people.by_extension(session, token)


def require_person(session: Session, token: str) -> Person:
    """The person named by token, or a usage error that says who was not found."""
    person = find_person(session, token)
    if person is None:
        raise UsageError(f"I don't know anyone called {token!r} (try their @key, email or "
                         "extension).")
    return person


def is_person_ref(token: str) -> bool:
    return token.startswith("@") or bool(_PLATFORM_MENTION.match(token))
