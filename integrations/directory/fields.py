"""Normalizing what people type (or the PBX sends) for each identifying field."""

from __future__ import annotations

from store import phones
from store.callers import tax_ids
from store.callers.directory import fold
from store.i18n import _

MAX_INPUT = 200


class BadValue(ValueError):
    """The value cannot be a value of that field; the message says why."""


def normalize(field: str, raw: str, region: str) -> str:
    text = (raw or "").strip()
    if not text:
        raise BadValue(_("nothing to look up"))
    if len(text) > MAX_INPUT:
        raise BadValue(_("longer than {limit} characters").format(limit=MAX_INPUT))
    if field == "phone":
        try:
            return phones.e164(text, region)
        except phones.BadPhone as exc:
            raise BadValue(str(exc)) from None
    if field == "tax_id":
        try:
            return tax_ids.normalize(text, region)
        except tax_ids.BadTaxId as exc:
            raise BadValue(str(exc)) from None
    if field == "name":
        if not fold(text):
            raise BadValue(_("{text} has no letters or digits to look up").format(
                text=repr(text)))
        return text
    if field in ("crm_code", "erp_code"):
        if any(ch.isspace() for ch in text) or len(text) > 64:
            raise BadValue(_("{text} is not a code (one word of at most 64 characters)").format(
                text=repr(text)))
        return text
    raise BadValue(f"unknown field {field!r}")


def try_normalize(field: str, raw: str, region: str) -> str | None:
    try:
        return normalize(field, raw, region)
    except BadValue:
        return None
