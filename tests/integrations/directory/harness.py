"""One data set, loaded into each Directory backend the way that backend gets its data:
a dialer CSV import for ``local``, ``res.partner`` records for ``odoo-<series>`` (a fake
Odoo of that series, served from its recording: tests/integrations/odoo_recordings).

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

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from integrations.directory import Directory
from integrations.directory.local import LocalDirectory
from integrations.directory.odoo import OdooDirectory
from store import migrate
from store.callers.directory_io import import_directory
from store.db import make_sessionmaker, transaction
from tests.conftest import T0, open_database
from tests.integrations.odoo_series import series, serving

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


def partners(name: str = "17.0") -> list[dict[str, Any]]:
    """The same data as Odoo series ``name`` has it (its recording): phones as people typed
    them, vat with or without ES, and two partners Odoo's contains-search finds that the
    backend must drop ("+1 600 112 2334", "XB12345674"). From the current series on a
    partner has one number: Luis Gómez keeps 600 44 55 66 and loses 611 22 33 44."""
    return copy.deepcopy(series(name).records["res.partner"])


@contextmanager
def open_directory(kind: str, tmp_path: Path) -> Iterator[Directory]:
    if kind.startswith("odoo-"):
        with serving(kind.removeprefix("odoo-")) as (_fake, client):
            yield OdooDirectory(client, "ES")
        return
    backend = kind.removesuffix("-local")
    with open_database(backend, tmp_path) as database:
        migrate.upgrade(database.engine)
        sessions = make_sessionmaker(database.engine)
        with transaction(sessions) as session:
            import_directory(session, CSV, T0, "ES")
            import_directory(session, COMPANY_PHONES_CSV, T0, "ES")
        yield LocalDirectory(sessions)
