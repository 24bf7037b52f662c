"""People: who may talk to Switchboard, with what role, on which extension."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.util import identity_key

from store import i18n
from store.base import Base, UTCDateTime
from store.db import among


class Role(StrEnum):
    AGENT = "agent"
    COORDINATOR = "coordinator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, required: Role) -> bool:
        return self.rank >= required.rank

    @property
    def with_article(self) -> str:
        """"an agent", in the reader's language."""
        return i18n._(_WITH_ARTICLE[self.value])

    @property
    def plural(self) -> str:
        """"agents", in the reader's language."""
        return i18n._(_PLURAL[self.value])


_WITH_ARTICLE = {"agent": i18n.N_("an agent"), "coordinator": i18n.N_("a coordinator"),
                 "admin": i18n.N_("an admin")}
_PLURAL = {"agent": i18n.N_("agents"), "coordinator": i18n.N_("coordinators"),
           "admin": i18n.N_("admins")}


_RANK = {Role.AGENT: 0, Role.COORDINATOR: 1, Role.ADMIN: 2}
ROLES = tuple(r.value for r in Role)


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (CheckConstraint("role IN ('agent', 'coordinator', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT.value)
    extension: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The PBX's member name for them (an Asterisk queue_log written with
    # log_membername_as_agent names agents so); None: their name is matched.
    pbx_name: Mapped[str | None] = mapped_column(String(128), unique=True,
                                                 index=True)
    google_chat_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    slack_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # Kept from the Tomatic persons.yaml layout so an export round-trips it.
    color: Mapped[str | None] = mapped_column(String(16))
    erp_user: Mapped[str | None] = mapped_column(String(128))
    ideal_load: Mapped[int | None] = mapped_column()
    desk: Mapped[int | None] = mapped_column()
    # The most turns a day this person works, where it differs from the team's (planner).
    max_per_day: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The language they read (en, ca, es, pt): chosen with /language or in the people
    # file; None: their chat platform's locale, else the team's.
    language: Mapped[str | None] = mapped_column(String(8))
    # The locale their chat platform last said they use (Slack users.info), as it said it.
    chat_locale: Mapped[str | None] = mapped_column(String(16))

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def __repr__(self) -> str:
        return f"<Person {self.key} {self.role}>"


def language_of(person: Person | None) -> str | None:
    """The language to write to ``person`` in: their own choice, else their chat
    platform's locale when Switchboard speaks it; None: the team's."""
    if person is None:
        return None
    return i18n.normalise(person.language) or i18n.normalise(person.chat_locale)


def by_key(session: Session, key: str) -> Person | None:
    return session.scalar(select(Person).where(Person.key == key))


def by_email(session: Session, email: str) -> Person | None:
    return session.scalar(select(Person).where(func.lower(Person.email) == email.lower()))


def by_extension(session: Session, extension: str) -> Person | None:
    return session.scalar(select(Person).where(Person.extension == extension))


def member_key(name: str) -> str:
    """A PBX member name or a person's name as it is matched: case and spacing aside."""
    return " ".join(name.split()).casefold()


def by_member_name(session: Session) -> dict[str, Person]:
    """Who each PBX member name is: a person's ``pbx_name``, or else their name when they
    have none (``member_key`` of each). A name two people share without a ``pbx_name``
    maps to nobody, and a ``pbx_name`` wins over another person's name."""
    named: dict[str, Person] = {}
    shared: set[str] = set()
    chosen: dict[str, Person] = {}
    for person in session.scalars(select(Person).order_by(Person.id)):
        if person.pbx_name:
            chosen[member_key(person.pbx_name)] = person
            continue
        key = member_key(person.name)
        if key in named:
            shared.add(key)
        named[key] = person
    for key in shared:
        del named[key]
    return named | chosen


PBX_NAME_MAX = 128


def set_pbx_name(session: Session, key: str, name: str | None) -> tuple[Person, str | None]:
    """Give the person ``key`` this PBX member name (None or blank: none, their name is
    matched); the person and the name they had. ValueError naming the field and why:
    no such person, a name too long, with a control character or ``|`` (the queue_log's
    separator), or another person's already."""
    person = by_key(session, key)
    if person is None:
        raise ValueError(f"key: nobody has the key {key!r}")
    text = " ".join((name or "").split()) or None
    if text is not None:
        if len(text) > PBX_NAME_MAX:
            raise ValueError(f"pbx_name: longer than {PBX_NAME_MAX} characters")
        if "|" in text or any(not c.isprintable() for c in text):
            raise ValueError("pbx_name: a member name has no '|' and no control characters")
        others = session.scalars(select(Person).where(Person.pbx_name.is_not(None),
                                                      Person.id != person.id))
        taken = next((p for p in others if member_key(p.pbx_name or "") == member_key(text)),
                     None)
        if taken is not None:
            raise ValueError(f"pbx_name: {text!r} is {taken.key}'s already")
    before = person.pbx_name
    person.pbx_name = text
    session.flush()
    return person, before


def by_chat_id(session: Session, platform: str, user_id: str) -> Person | None:
    column = {"google": Person.google_chat_id, "slack": Person.slack_id}.get(platform)
    if column is None:
        return None
    return session.scalar(select(Person).where(column == user_id))


def by_extensions(session: Session, extensions: Iterable[str]) -> dict[str, Person]:
    """extension → person, for these extensions (those someone has)."""
    wanted = sorted(set(extensions))
    found: dict[str, Person] = {}
    for start in range(0, len(wanted), 500):  # bounded IN lists
        for p in session.scalars(select(Person).where(
                Person.extension.in_(wanted[start:start + 500]))):
            if p.extension is not None:
                found[p.extension] = p
    return found


def by_ids(session: Session, ids: Iterable[int]) -> dict[int, Person]:
    """id → person, for these ids (those that exist). People this session has loaded
    already (a board reads the whole team first) are taken from it, not read again."""
    found: dict[int, Person] = {}
    missing: list[int] = []
    for person_id in sorted(set(ids)):
        known = session.identity_map.get(identity_key(Person, person_id))
        if isinstance(known, Person):
            found[person_id] = known
        else:
            missing.append(person_id)
    if missing:
        wanted = set(missing)
        found.update((p.id, p) for p in session.scalars(among(select(Person), Person.id, wanted))
                     if p.id in wanted)
    return found


def all_people(session: Session, *, active_only: bool = False) -> list[Person]:
    query = select(Person).order_by(Person.key)
    if active_only:
        query = query.where(Person.active.is_(True))
    return list(session.scalars(query))


def extension_keys(session: Session) -> dict[int, tuple[str, str]]:
    """Everyone with an extension: id → (extension, key), without loading whole rows."""
    query = select(Person.id, Person.extension, Person.key).where(Person.extension.is_not(None))
    return {pid: (ext, key) for pid, ext, key in session.execute(query) if ext}


def with_role(session: Session, role: Role) -> list[Person]:
    query = select(Person).where(Person.role == role.value, Person.active.is_(True))
    return list(session.scalars(query.order_by(Person.key)))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Person)) or 0


def link_chat_id(session: Session, person: Person, platform: str, user_id: str) -> None:
    """Remember the platform's id for this person, so the next event needs no email lookup."""
    if platform == "google":
        person.google_chat_id = user_id
    elif platform == "slack":
        person.slack_id = user_id
    session.add(person)
