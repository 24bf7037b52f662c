"""The IVR API's request and response bodies, declared once.

The door validates requests and builds responses with these models, and the OpenAPI
document (``openapi.py``) is generated from the same classes, so the two cannot drift.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.doors.http import single_line, storable

Status = Literal["scheduled", "dispatched", "taken", "done", "failed", "expired", "cancelled"]
Scalar = str | int | float | bool | None


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BookingRequest(BaseModel):
    """A callback the IVR books for a caller."""

    # NaN and Infinity are not JSON values a database or a client can take back.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    phone: str = Field(min_length=1, max_length=64,
                       description="the number to call back; national numbers are read in "
                                   "PHONE_REGION, international ones need their + prefix")
    when: datetime = Field(description="when to call back (ISO 8601); a time without an "
                                       "offset is read in the team's TIMEZONE")
    queue: str = Field(min_length=1, max_length=64, description="the queue, as configured in "
                                                                "the callback capacity")
    campaign: str | None = Field(default=None, min_length=1, max_length=64,
                                 description="a campaign: capacity is then taken from the "
                                             "campaign's schedule instead of the queue's")
    customer_id: str | None = Field(default=None, max_length=64)
    customer_name: str | None = Field(default=None, max_length=200)
    agent: str | None = Field(default=None, min_length=1, max_length=64,
                              description="the key of the agent the callback is personal to")
    data: dict[str, Scalar] | None = Field(default=None, max_length=50,
                                           description="anything the dialer should get back "
                                                       "(at most 50 plain values)")

    @field_validator("phone", "queue", "campaign", "customer_id", "customer_name", "agent")
    @classmethod
    def _storable_text(cls, value: str | None) -> str | None:
        # One line each: they are shown in chat replies (/callbacks).
        return None if value is None else single_line(value)

    @field_validator("data")
    @classmethod
    def _storable_data(cls, value: dict[str, Scalar] | None) -> dict[str, Scalar] | None:
        for key, item in (value or {}).items():
            storable(key)
            if isinstance(item, str):
                storable(item)
        return value

    @field_validator("when")
    @classmethod
    def _plausible(cls, value: datetime) -> datetime:
        # Far-off years cannot even be moved to another time zone (datetime overflows).
        if not 2000 <= value.year <= 2100:
            raise ValueError("is not a plausible date (years 2000 to 2100)")
        return value


def _public_id() -> Any:
    return Field(description="the callback's id: opaque (cb_ and 22 URL-safe characters), "
                             "the one its URLs take")


class CallbackOut(_Out):
    id: str = _public_id()
    status: Status
    scheduled_for: datetime = Field(description="the time asked for (the team's time zone)")
    slot_start: datetime = Field(description="the 30-minute interval the callback takes")
    due_at: datetime = Field(description="the next attempt")
    phone: str = Field(description="E.164")
    queue: str
    campaign: str | None
    customer_id: str | None
    customer_name: str | None
    agent: str | None = Field(description="the key of the agent it is personal to")
    attempts: int
    source: Literal["ivr", "chat"]
    created_at: datetime


class CallbackList(_Out):
    callbacks: list[CallbackOut] = Field(description="newest first, at most 50")


class Variables(_Out):
    """What the dialer needs when it rings the customer back."""

    id: str = _public_id()
    phone: str
    queue: str
    campaign: str | None
    customer_id: str | None
    customer_name: str | None
    agent: str | None
    agent_extension: str | None
    attempts: int
    scheduled_for: datetime
    data: dict[str, Scalar]


class IntervalOut(_Out):
    start: datetime
    end: datetime
    capacity: int
    booked: int
    free: int


class DayOut(_Out):
    date: date
    free: int = Field(description="free places left in the day's bookable intervals")
    intervals: list[IntervalOut] | None = Field(
        description="each bookable interval (only when dates were asked for)")


class SlotsOut(_Out):
    queue: str
    campaign: str | None
    days: list[DayOut]


class Problem(_Out):
    """The request was refused: which field and why."""

    field: str
    reason: str
    message: str | None = Field(
        default=None, description="for people: why, in the client's language; only when "
        "Accept-Language names ca, es or pt")


class Conflict(_Out):
    reason: Literal["slot_full", "not_cancellable", "already_pending"]
    message: str = Field(description="for people: English, or the client's language when "
                                     "Accept-Language names ca, es or pt")
    alternatives: list[IntervalOut] = Field(
        default_factory=list, description="for slot_full: the next intervals with room")


class RateLimited(_Out):
    reason: Literal["rate_limited"]
    retry_after: int = Field(description="seconds until the next window")
    message: str | None = Field(
        default=None, description="for people: why, in the client's language; only when "
        "Accept-Language names ca, es or pt")
