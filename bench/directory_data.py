"""A dialer CSV of any size for ``switchboard bench directory-import``, written row by row.

Deterministic for a size: three rows in five are contacts of companies (four contacts per
company, each company with a CIF, a CRM and an ERP code), the others private customers
(every third with a DNI, every other with an email). Phones are Spanish, written the ways
dialer lists write them (``600 11 22 33``, ``+34600112233``, ``0034 …``), distinct per row,
and a contact in four has a second phone.
"""

from __future__ import annotations

import csv
from pathlib import Path

from stdnum.es import cif, dni

HEADER = ("nombre", "telefono1", "telefono2", "telefono3", "email", "empresa", "nif",
          "crm_code", "erp_code")
FIRST = ("Ana", "Luis", "Marta", "Pablo", "Carmen", "Jordi", "Lucía", "Hugo", "Elena", "Iker",
         "Sofía", "Mateo", "Nuria", "Raúl", "Aitana", "Bruno", "Paula", "Diego", "Noa", "Álex")
LAST = ("García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez",
        "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso",
        "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serrano")
KINDS = ("Energía", "Logística", "Servicios", "Comercial", "Instalaciones", "Consultores")
CONTACTS_PER_COMPANY = 4


def _phone(n: int, style: int) -> str:
    digits = f"6{n:08d}" if n < 10**8 else f"7{n - 10**8:08d}"
    if style == 0:
        return f"{digits[:3]} {digits[3:5]} {digits[5:7]} {digits[7:]}"
    if style == 1:
        return "+34" + digits
    if style == 2:
        return digits
    return f"0034 {digits}"


def _cif(n: int) -> str:
    body = f"B{n:07d}"
    return body + cif.calc_check_digits(body)[0]  # B (a limited company): a digit


def _dni(n: int) -> str:
    body = f"{n:08d}"
    return body + dni.calc_check_digit(body)


def _pick(names: tuple[str, ...], n: int, salt: int) -> str:
    """A name chosen by a hash of ``n`` (cheap, deterministic, well spread)."""
    return names[((n + salt) * 2654435761 >> 7) % len(names)]


def rows(start: int, stop: int, seed: int = 19) -> list[tuple[str, ...]]:
    """Rows ``start`` to ``stop`` (0-based, header not counted)."""
    out: list[tuple[str, ...]] = []
    for i in range(start, stop):
        last = f"{_pick(LAST, i, seed)} {_pick(LAST, i, seed * 3 + 1)}"
        phone = _phone(i, i % 4)
        block, place = divmod(i, 5)
        if place < 3:  # a company's contact: companies take three rows of every five
            contact = block * 3 + place
            company, seat = divmod(contact, CONTACTS_PER_COMPANY)
            # Each seat of a company draws from its own first names: no contact twice.
            person = f"{FIRST[seat * 5 + (i * 7 + seed) % 5]} {last}"
            second = _phone(10**8 + i, (i + 1) % 4) if seat == 0 else ""
            out.append((person, phone, second, "", f"c{i}@empresa{company}.example",
                        f"{_pick(LAST, company, seed)} {_pick(KINDS, company, seed)} "
                        f"{company} SL", _cif(company), f"C{company}", f"E{company}"))
        else:
            person = f"{_pick(FIRST, i, seed * 5 + 2)} {last}"
            email = f"cliente{i}@example.org" if i % 2 else ""
            tax_id = _dni(i) if i % 3 == 0 else ""
            out.append((person, phone, "", "", email, "", tax_id, "", ""))
    return out


def write(path: Path, count: int, seed: int = 19, chunk: int = 50_000) -> int:
    """Write the header and ``count`` rows to ``path``; returns the file's size in bytes."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(HEADER)
        for start in range(0, count, chunk):
            writer.writerows(rows(start, min(count, start + chunk), seed))
    return path.stat().st_size
