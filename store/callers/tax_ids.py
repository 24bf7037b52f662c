"""Tax ids, validated and normalized with python-stdnum.

Accepted: Spain's NIF in its three forms (DNI ``12345678Z``, NIE ``X1234567L``, CIF
``B12345674``), Brazil's CPF (people) and CNPJ (companies), and any EU VAT number written
with its country prefix (``DE136695976``, ``ESB12345674``).

The stored form is the country code followed by the compact number, so one id has one
spelling however it was typed: ``b-12.345.674``, ``ES B12345674`` and ``esb12345674`` are
all ``ESB12345674``; ``390.533.447-05`` is ``BR39053344705``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from stdnum.br import cnpj, cpf
from stdnum.es import nif
from stdnum.eu import vat
from stdnum.exceptions import ValidationError

from store.i18n import _

MAX_INPUT = 40
_SEPARATORS = re.compile(r"[\s./\-_]")


class BadTaxId(ValueError):
    """Not a valid tax id; the message says why."""


@dataclass(frozen=True)
class TaxId:
    country: str  # ES, BR, DE …
    kind: str  # NIF, CPF, CNPJ, VAT
    number: str  # compact, without the country prefix

    @property
    def normalized(self) -> str:
        return self.country + self.number


def _compact(raw: str) -> str:
    return _SEPARATORS.sub("", raw).upper()


def _spain(text: str) -> TaxId:
    return TaxId("ES", "NIF", nif.validate(text.removeprefix("ES")))


def _cpf(text: str) -> TaxId:
    return TaxId("BR", "CPF", cpf.validate(text.removeprefix("BR")))


def _cnpj(text: str) -> TaxId:
    return TaxId("BR", "CNPJ", cnpj.validate(text.removeprefix("BR")))


def _eu_vat(text: str) -> TaxId:
    number = vat.validate(text)
    return TaxId(number[:2], "VAT", number[2:])


# Tried in this order for each region; every other country's ids need their prefix (EU VAT).
_BY_REGION: dict[str, tuple[Callable[[str], TaxId], ...]] = {
    "ES": (_spain, _eu_vat, _cpf, _cnpj),
    "BR": (_cpf, _cnpj, _spain, _eu_vat),
}


def parse(raw: str, region: str = "ES") -> TaxId:
    """The tax id in ``raw``, or BadTaxId. National forms are read for ``region`` first."""
    text = _compact(raw or "")
    if not text:
        raise BadTaxId(_("no tax id given"))
    if len(text) > MAX_INPUT:
        raise BadTaxId(_("longer than {limit} characters").format(limit=MAX_INPUT))
    for reader in _BY_REGION.get(region.upper(), (_eu_vat, _spain, _cpf, _cnpj)):
        try:
            return reader(text)
        except ValidationError:
            continue
    raise BadTaxId(_("{text} is not a valid tax id (a Spanish NIF/NIE/CIF, a Brazilian "
                     "CPF/CNPJ, or an EU VAT number with its country prefix)").format(
                         text=repr(raw.strip())))


def normalize(raw: str, region: str = "ES") -> str:
    return parse(raw, region).normalized


def try_normalize(raw: str | None, region: str = "ES") -> str | None:
    if not raw:
        return None
    try:
        return normalize(raw, region)
    except BadTaxId:
        return None


def variants(normalized: str) -> tuple[str, ...]:
    """How an external system may have it stored: with and without the country prefix."""
    if len(normalized) > 2 and normalized[:2].isalpha():
        return (normalized, normalized[2:])
    return (normalized,)
