"""Every model, imported in one place for Alembic and for tests' create_all."""

from store.activity import Activity, PauseReason
from store.audit import AuditEntry
from store.base import Base
from store.chat import ChatSpace, InboundEvent
from store.outbox import OutboxMessage
from store.pbx import CallRecord, SimMember
from store.people import Person

__all__ = ["Activity", "AuditEntry", "Base", "CallRecord", "ChatSpace", "InboundEvent",
           "OutboxMessage", "PauseReason", "Person", "SimMember"]
