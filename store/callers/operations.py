"""Operations: the links a caller card offers (open the account in the CRM, new ticket …).

Operations are data. Each has a URL template with placeholders filled from the card —
``{account_id}``, ``{erp_id}``, ``{contact_id}``, ``{contact_erp_id}``, ``{detail_code}``
(typed by the agent when the operation asks for one) and ``{phone}`` (the caller's number,
E.164). The default set (``DEFAULTS``, created by the migration) can be edited and switched
off but never deleted; other operations come and go with ``switchboard operations import``.

A template starting with ``/`` is relative to the directory's web address (``ODOO_URL``
with the Odoo directory, else ``CRM_URL``).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base

PLACEHOLDERS = ("account_id", "erp_id", "contact_id", "contact_erp_id", "detail_code", "phone")
NEW_CONTACT = "new-contact"

# The default set, in card order (the migration inserts it; tests compare against it).
DEFAULTS: tuple[dict[str, Any], ...] = (
    {"code": NEW_CONTACT, "name": "New contact",
     "url": "/web#model=res.partner&view_type=form", "asks_detail": False},
    {"code": "open-account", "name": "Open account",
     "url": "/web#model=res.partner&id={account_id}&view_type=form", "asks_detail": False},
    {"code": "new-ticket", "name": "New ticket",
     "url": "/web#model=helpdesk.ticket&view_type=form", "asks_detail": False},
    {"code": "open-tickets", "name": "Open tickets",
     "url": "/web#model=helpdesk.ticket&view_type=list", "asks_detail": False},
    {"code": "new-opportunity", "name": "New opportunity",
     "url": "/web#model=crm.lead&view_type=form", "asks_detail": False},
    {"code": "log-note", "name": "Log a note",
     "url": "/web#model=res.partner&id={account_id}&view_type=form", "asks_detail": False},
)


class Operation(Base):
    __tablename__ = "directory_operation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(1000))
    asks_detail: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    builtin: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


def all_operations(session: Session) -> list[Operation]:
    return list(session.scalars(select(Operation).order_by(Operation.position, Operation.id)))


def enabled_operations(session: Session) -> list[Operation]:
    return [op for op in all_operations(session) if op.enabled]


def by_code(session: Session, code: str) -> Operation | None:
    return session.scalar(select(Operation).where(Operation.code == code))


def template_fields(template: str) -> list[str]:
    """The placeholder names a template uses; ValueError when it is not a valid template."""
    names = []
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            raise ValueError(f"{{{name}}} is not a placeholder (use e.g. {{account_id}})")
        names.append(name)
    return names


@dataclass(frozen=True)
class Filled:
    url: str | None  # None when it cannot be built; ``why`` says why
    why: str = ""


def fill(template: str, values: dict[str, str | None], base_url: str) -> Filled:
    """The template with each placeholder replaced by its URL-quoted value."""
    missing = [n for n in template_fields(template) if not values.get(n)]
    if missing:
        return Filled(None, "it needs " + ", ".join(missing) + ", which this card does not have")
    quoted = {k: quote(v or "", safe="") for k, v in values.items()}
    url = template.format_map(quoted)
    if url.startswith("/"):
        if not base_url:
            return Filled(None, f"its URL template {template!r} is relative and no web address "
                                "is configured (CRM_URL, or ODOO_URL with the Odoo directory)")
        url = base_url.rstrip("/") + url
    return Filled(url)
