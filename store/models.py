"""Every model, imported in one place for Alembic and for tests' create_all."""

from store.activity import Activity, PauseReason
from store.audit import AuditEntry
from store.base import Base
from store.calls import CallRecord
from store.callstats import CallStatsBasis, CallStatsHour
from store.chat import ChatSpace, InboundEvent
from store.outbox import OutboxMessage
from store.pbx import SimCall, SimMember
from store.people import Person

__all__ = ["Activity", "AuditEntry", "Base", "CallRecord", "CallStatsBasis", "CallStatsHour",
           "ChatSpace", "InboundEvent", "OutboxMessage", "PauseReason", "Person", "SimCall",
           "SimMember"]
