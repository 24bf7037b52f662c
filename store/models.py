"""Every model, imported in one place for Alembic and for tests' create_all."""

from store.activity import Activity, PauseReason
from store.audit import AuditEntry
from store.base import Base
from store.call_registry import CallTypification, RegisteredCall, TypificationCategory
from store.chat import ChatSpace, InboundEvent
from store.directory import DirectoryAccount, DirectoryContact, DirectoryPhone, DirectoryWord
from store.operations import Operation
from store.outbox import OutboxMessage
from store.pbx import CallRecord, SimMember
from store.people import Person

__all__ = ["Activity", "AuditEntry", "Base", "CallRecord", "CallTypification", "ChatSpace",
           "DirectoryAccount", "DirectoryContact", "DirectoryPhone", "DirectoryWord",
           "InboundEvent", "Operation", "OutboxMessage", "PauseReason", "Person",
           "RegisteredCall", "SimMember", "TypificationCategory"]
