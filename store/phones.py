"""Phone numbers: E.164 through ``phonenumbers`` (libphonenumber), and masking.

Every number the store keeps is E.164 (``+34600112233``). National forms are read with
the team's region (``PHONE_REGION``): ``600 11 22 33``, ``0034600112233`` and
``+34 600 11 22 33`` are one number in region ES.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

MAX_INPUT = 64  # characters; nothing longer is a phone number


class BadPhone(ValueError):
    """Not a valid phone number; the message says why, for the person who typed it."""


def parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    text = (raw or "").strip()
    if not text:
        raise BadPhone("no number given")
    if len(text) > MAX_INPUT:
        raise BadPhone(f"longer than {MAX_INPUT} characters")
    try:
        number = phonenumbers.parse(text, region.upper())
    except NumberParseException as exc:
        raise BadPhone(f"{text!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise BadPhone(f"{text!r} is not a valid number for region {region.upper()} "
                       "(write it with its country code, e.g. +34 600 11 22 33)")
    return number


def e164(raw: str, region: str) -> str:
    """The number in E.164, or BadPhone."""
    return phonenumbers.format_number(parse(raw, region), PhoneNumberFormat.E164)


def try_e164(raw: str | None, region: str) -> str | None:
    """E.164, or None for anything that is not a valid number (caller ids, CSV cells)."""
    if not raw:
        return None
    try:
        return e164(raw, region)
    except BadPhone:
        return None


def kind(raw: str, region: str) -> str:
    """``mobile``, ``landline`` or ``other`` for a valid number."""
    number_type = phonenumbers.number_type(parse(raw, region))
    if number_type == PhoneNumberType.MOBILE:
        return "mobile"
    if number_type == PhoneNumberType.FIXED_LINE:
        return "landline"
    if number_type == PhoneNumberType.FIXED_LINE_OR_MOBILE:
        return "landline or mobile"
    return "other"


def mask(value: str | None, visible: int = 3) -> str:
    """All but the last ``visible`` characters hidden: ``+34600112233`` → ``•••••••••233``."""
    if not value:
        return ""
    if len(value) <= visible:
        return "•" * len(value)
    return "•" * (len(value) - visible) + value[-visible:]
