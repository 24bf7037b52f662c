"""What an HR system tells Switchboard: who is away when, and which days are holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from integrations.errors import IntegrationError

KINDS = ("vacation", "leave", "sick", "busy", "other")


@dataclass(frozen=True)
class Leave:
    """An approved absence of one person over [starts, ends) (aware datetimes)."""

    email: str  # the person's work email, lower case: how HR and the store meet
    starts: datetime
    ends: datetime
    kind: str  # one of KINDS
    external_id: str  # the HR system's id for the record (local: "local:<id>")


@dataclass(frozen=True)
class PublicHoliday:
    day: date
    name: str


class HrError(IntegrationError):
    def __init__(self, message: str, system: str = "the HR system") -> None:
        super().__init__(system, message)


class Hr(Protocol):
    """Leaves and public holidays. Failures raise IntegrationError (Unreachable when the
    system does not answer)."""

    name: str

    def leaves(self, start: date, end: date) -> list[Leave]:
        """Approved leaves overlapping the local days start..end (inclusive), by start."""
        ...

    def public_holidays(self, start: date, end: date) -> list[PublicHoliday]:
        """Public holidays in start..end (inclusive), by day."""
        ...


def kind_of(label: str) -> str:
    """An HR leave type's name → one of KINDS (English, Catalan and Spanish words)."""
    text = label.casefold()
    for kind, words in (
        ("sick", ("sick", "illness", "malalt", "baixa", "enferm", "médic", "medic")),
        ("vacation", ("vacation", "holiday", "vacances", "vacaciones", "paid time off",
                      "annual")),
        ("busy", ("training", "formació", "formación", "meeting", "reunió", "reunión")),
        ("leave", ("leave", "permís", "permiso", "compensat", "unpaid", "parental")),
    ):
        if any(word in text for word in words):
            return kind
    return "other"
