"""Every model, imported in one place for Alembic and for tests' create_all."""

from store.activity import Activity, PauseReason
from store.audit import AuditEntry
from store.base import Base
from store.callback_capacity import (
    CapacityOverride,
    CapacityPool,
    CapacityTemplate,
    SlotCounter,
    WeekDay,
    WeeklySchedule,
)
from store.callbacks import Callback, CallbackEvent, CallbackRefusal
from store.chat import ChatSpace, InboundEvent
from store.ivr_keys import IvrIdempotency, IvrKey, IvrRateWindow
from store.outbox import OutboxMessage
from store.pbx import CallRecord, SimMember
from store.people import Person

__all__ = ["Activity", "AuditEntry", "Base", "CallRecord", "Callback", "CallbackEvent",
           "CallbackRefusal", "CapacityOverride", "CapacityPool", "CapacityTemplate",
           "ChatSpace", "InboundEvent", "IvrIdempotency", "IvrKey", "IvrRateWindow",
           "OutboxMessage", "PauseReason", "Person", "SimMember", "SlotCounter", "WeekDay",
           "WeeklySchedule"]
