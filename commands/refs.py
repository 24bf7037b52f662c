"""Turning what people type (``@alice``, ``<@U0123>``, an email, an extension) into a Person."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.orm import Session

from commands.core import CommandError, UsageError
from commands.words import canonical
from store.i18n import _
from store.team import people
from store.team.people import Person

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
        raise UsageError(_("I don't know anyone called {name} (try their @key, email or "
                           "extension).").format(name=repr(token)))
    return person


def is_person_ref(token: str) -> bool:
    return token.startswith("@") or bool(_PLATFORM_MENTION.match(token))


def split_person(session: Session, args: Sequence[str]) -> tuple[Person | None, list[str]]:
    """The person named among the arguments (@key or a chat mention), and the other words."""
    person: Person | None = None
    rest: list[str] = []
    for arg in args:
        if is_person_ref(arg):
            if person is not None:
                raise CommandError(_("Name one person at a time."))
            person = require_person(session, arg)
        elif canonical(arg) != "me":
            rest.append(arg)
    return person, rest


def one_person(session: Session, args: Sequence[str]) -> Person:
    """Exactly one person argument, in any form require_person understands."""
    if len(args) != 1:
        raise UsageError(_("Name one person: their @key, email or extension."))
    return require_person(session, args[0])
