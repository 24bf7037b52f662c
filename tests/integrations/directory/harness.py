"""One data set, loaded into each Directory backend the way that backend gets its data:
a dialer CSV import for ``local``, ``res.partner`` records for ``odoo``.

Accounts (region ES):
- Acme SL (company, CRM 1001, tax id B12345674, own phone 912 345 678): contacts Ana Pérez
  (600 11 22 33) and Luis Gómez (600 44 55 66, 611 22 33 44);
- Beta Logistics SA (company, CRM 1002, ERP B-77, tax id A58818501, own phone 933 333 333):
  contact Marta Ruiz (600 11 22 33 — the same number as Ana);
- Carmen Vidal (private customer, CRM 1003, NIF 12345678Z, own phone 655 555 555);
- Zeta Motors (company, CRM 1004): contact Pablo Sanz (911 000 000);
- Alfa Bank (company, CRM 1005, own phone 911 000 000 — Pablo's number).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from integrations.directory import Directory
from integrations.directory.local import LocalDirectory
from integrations.directory.odoo import OdooDirectory
from integrations.odoo import OdooClient
from store import migrate
from store.callers.directory_io import import_directory
from store.db import make_sessionmaker, transaction
from testing.fake_odoo import DB, LOGIN, PASSWORD, FakeOdoo
from tests.conftest import T0, open_database

CSV = """\
name;phone1;phone2;phone3;email;company;tax_id;crm_code;erp_code
Ana Pérez;600 11 22 33;;;ana@acme.example;Acme SL;B12345674;1001;
Luis Gómez;600445566;+34 611 22 33 44;;;Acme SL;B12345674;1001;
Marta Ruiz;0034600112233;;;;Beta Logistics SA;A58818501;1002;B-77
Carmen Vidal;655 555 555;;;carmen@example.org;;12345678Z;1003;
Pablo Sanz;911000000;;;;Zeta Motors;;1004;
"""
# Company phones are the accounts' own; the dialer format has no row for a company alone,
# so they come as private-customer-like rows keyed by the company's codes.
COMPANY_PHONES_CSV = """\
name;phone1;company;tax_id;crm_code;erp_code
Acme SL;912 345 678;;B12345674;1001;
Beta Logistics SA;933333333;;A58818501;1002;B-77
Alfa Bank;911 000 000;;;1005;
"""


def partners() -> list[dict[str, Any]]:
    """The same data as Odoo has it: phones as people typed them, vat with or without ES."""
    def company(pid: int, name: str, **fields: Any) -> dict[str, Any]:
        return {"id": pid, "name": name, "is_company": True, "parent_id": False,
                "commercial_partner_id": [pid, name], "phone": False, "mobile": False,
                "vat": False, "ref": False, "email": False, **fields}

    def person(pid: int, name: str, parent: tuple[int, str] | None, **fields: Any
               ) -> dict[str, Any]:
        commercial = [parent[0], parent[1]] if parent else [pid, name]
        return {"id": pid, "name": name, "is_company": False,
                "parent_id": [parent[0], parent[1]] if parent else False,
                "commercial_partner_id": commercial, "phone": False, "mobile": False,
                "vat": False, "ref": False, "email": False, **fields}

    acme, beta, zeta = (1001, "Acme SL"), (1002, "Beta Logistics SA"), (1004, "Zeta Motors")
    return [
        company(*acme, phone="912 34 56 78", vat="ESB12345674"),
        person(2001, "Ana Pérez", acme, mobile="+34 600 11 22 33", vat="ESB12345674",
               email="ana@acme.example"),
        person(2002, "Luis Gómez", acme, phone="600-44-55-66", mobile="611223344",
               vat="ESB12345674"),
        company(*beta, phone="(93) 333 33 33", vat="A58818501", ref="B-77"),
        person(2003, "Marta Ruiz", beta, mobile="0034 600 112 233", vat="A58818501"),
        person(1003, "Carmen Vidal", None, phone="655.555.555", vat="ES12345678Z",
               email="carmen@example.org"),
        company(*zeta),
        person(2004, "Pablo Sanz", zeta, phone="911 00 00 00"),
        company(1005, "Alfa Bank", phone="+34911000000"),
        # Odoo's contains-search finds these too; the backend must drop them.
        person(2005, "Zz Noise", None, phone="+1 600 112 2334"),
        person(2006, "Noise", None, vat="XB12345674"),
    ]


@contextmanager
def open_directory(kind: str, tmp_path: Path) -> Iterator[Directory]:
    if kind == "odoo":
        with FakeOdoo() as odoo:
            odoo.models["res.partner"] = partners()
            client = OdooClient(odoo.url, DB, LOGIN, PASSWORD, timeout=2)
            yield OdooDirectory(client, "ES")
            client.close()
        return
    backend = kind.removesuffix("-local")
    with open_database(backend, tmp_path) as database:
        migrate.upgrade(database.engine)
        sessions = make_sessionmaker(database.engine)
        with transaction(sessions) as session:
            import_directory(session, CSV, T0, "ES")
            import_directory(session, COMPANY_PHONES_CSV, T0, "ES")
        yield LocalDirectory(sessions)
