"""Every model, imported in one place for Alembic and for tests' create_all."""

from store.audit import AuditEntry
from store.base import Base
from store.people import Person

__all__ = ["AuditEntry", "Base", "Person"]
