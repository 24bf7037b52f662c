"""Phone numbers: E.164 through ``phonenumbers`` (libphonenumber), and masking.

Every number the store keeps is E.164 (``+34600112233``). National forms are read with
the team's region (``PHONE_REGION``): ``600 11 22 33``, ``0034600112233`` and
``+34 600 11 22 33`` are one number in region ES.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    NumberParseException,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberType,
)

from store.i18n import _

MAX_INPUT = 64  # characters; nothing longer is a phone number


class BadPhone(ValueError):
    """Not a valid phone number; the message says why, for the person who typed it."""


def parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    text = (raw or "").strip()
    if not text:
        raise BadPhone(_("no number given"))
    if len(text) > MAX_INPUT:
        raise BadPhone(_("longer than {limit} characters").format(limit=MAX_INPUT))
    try:
        number = phonenumbers.parse(text, region.upper())
    except NumberParseException as exc:
        raise BadPhone(_("{text} is not a phone number ({why})").format(
            text=repr(text), why=exc._msg)) from None
    if not phonenumbers.is_valid_number(number):
        raise BadPhone(_("{text} is not a valid number for region {region} (write it with "
                         "its country code, e.g. +34 600 11 22 33)").format(
                             text=repr(text), region=region.upper()))
    return number


def e164(raw: str, region: str) -> str:
    """The number in E.164, or BadPhone."""
    return phonenumbers.format_number(parse(raw, region), PhoneNumberFormat.E164)


# Characters people put between digits; dropping them changes nothing phonenumbers reads.
_SEPARATORS = str.maketrans("", "", " -.()/")
_NSN_LENGTHS = range(2, 18)  # phonenumbers' shortest and longest national numbers


def e164_many(raw: str, region: str) -> str:
    """``e164`` for imports of many numbers, giving the same answers faster.

    ``phonenumbers.parse`` is two thirds of the cost of a number; for the plain shapes a
    dialer list is made of (digits with spaces, dashes, dots or brackets; ``+`` or the
    region's literal international prefix and a country code; a national number in a region
    without a trunk prefix) the country code and national number are read here, and
    ``phonenumbers.is_valid_number`` still decides. Anything else, and any number found
    invalid, goes through ``e164`` (so a refusal says exactly what ``e164`` says). The
    equality with ``e164`` is a property test (tests/store/test_phones.py)."""
    plain = _plain(raw.strip().translate(_SEPARATORS), region.upper())
    if plain is not None:
        code, national = plain
        fits = _valid_national(code, national)
        if fits is None:
            fits = bool(phonenumbers.is_valid_number(
                PhoneNumber(country_code=code, national_number=int(national))))
        if fits:
            return f"+{code}{national}"
    return e164(raw, region)


def valid(number: PhoneNumber) -> bool:
    """``phonenumbers.is_valid_number``, with the patterns of a one-region country code
    compiled once (the library looks each up on every call): the national number must
    match the region's general description and one of its number types', each with its
    possible lengths — the test ``is_valid_number`` makes. Other numbers are asked of
    ``is_valid_number`` itself. The equality is a property test."""
    code = number.country_code
    fits = None if number.italian_leading_zero or code is None else _valid_national(
        code, str(number.national_number))
    if fits is None:
        return bool(phonenumbers.is_valid_number(number))
    return fits


def _valid_national(code: int, national: str) -> bool | None:
    """``valid`` of a national number (digits, no leading zero) of a country code; None
    when the code is not one region's (``is_valid_number`` must answer then)."""
    checks = _checks(code)
    if checks is None:
        return None
    (lengths, pattern), types = checks
    size = len(national)
    if (lengths and size not in lengths) or pattern.fullmatch(national) is None:
        return False
    for lengths, pattern in types:
        if (not lengths or size in lengths) and pattern.fullmatch(national) is not None:
            return True
    return False


_Check = tuple[frozenset[int], re.Pattern[str]]


@lru_cache(maxsize=512)
def _checks(code: int) -> tuple[_Check, tuple[_Check, ...]] | None:
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    if len(regions) != 1:
        return None
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0])
    if metadata is None or metadata.general_desc is None:
        return None

    def check(desc: Any) -> _Check | None:
        if desc is None or not desc.national_number_pattern:
            return None
        return (frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern))

    general = check(metadata.general_desc)
    if general is None:
        return None
    types = [check(getattr(metadata, name)) for name in (  # the likeliest first
        "mobile", "fixed_line", "toll_free", "premium_rate", "shared_cost", "voip",
        "personal_number", "pager", "uan", "voicemail")]
    return general, tuple(t for t in types if t is not None)


def _plain(text: str, region: str) -> tuple[int, str] | None:
    """(country code, national number) a plain shape spells, or None to leave it to
    ``phonenumbers.parse``. The national number has no leading zero."""
    if not text.isascii():
        return None
    home = _home(region)
    if home is None:
        return None
    prefix, home_code = home
    if text.startswith("+"):
        digits = text[1:]
    elif prefix and text.startswith(prefix):
        digits = text[len(prefix):]
    else:  # national: not one starting with the trunk 0 or with the region's own code
        if not text.isdigit() or text.startswith(("0", str(home_code))) \
                or len(text) not in _NSN_LENGTHS:
            return None
        return home_code, text
    if not digits.isdigit() or digits.startswith("0"):
        return None
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            national = digits[size:]
            if len(national) not in _NSN_LENGTHS or national.startswith("0") \
                    or _strips_trunk(code):
                return None
            return code, national
    return None


@lru_cache(maxsize=512)
def _home(region: str) -> tuple[str, int] | None:
    """(the literal international prefix or "", the country code) of a region whose
    national numbers carry no trunk prefix; None for any other region."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix_for_parsing is not None \
            or metadata.country_code is None:
        return None
    prefix = metadata.international_prefix or ""
    return (prefix if prefix.isdigit() else "", metadata.country_code)


@lru_cache(maxsize=512)
def _strips_trunk(code: int) -> bool:
    """Whether phonenumbers strips a trunk prefix from this country code's numbers."""
    for region in COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        if metadata is None or metadata.national_prefix_for_parsing is not None:
            return True
    return False


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
