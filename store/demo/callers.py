"""Demo data of caller identification: a small directory, typification categories and a
few registered calls, so /lookup, /calls and /typify have something to show in
``make run``. Numbers are written in full international form, so any PHONE_REGION reads
them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from store.callers.directory import count_accounts
from store.callers.directory_io import import_directory
from store.calls import registry
from store.calls.categories_io import import_categories
from store.calls.registry import CallTypification, RegisteredCall
from store.team import people

DEMO_DIRECTORY = """\
nombre;telefono1;telefono2;telefono3;email;empresa;nif;crm_code;erp_code
Acme Energía SL;+34 912 345 678;;;info@acme.example;;B12345674;1001;E-1001
Ana Pérez;+34 600 11 22 33;;;ana@acme.example;Acme Energía SL;B12345674;1001;E-1001
Luis Gómez;+34600445566;+34611223344;;luis@acme.example;Acme Energía SL;B12345674;1001;E-1001
Beta Logística SA;+34 933 333 333;;;;;A58818501;1002;E-1002
Marta Ruiz;+34 600 11 22 33;;;marta@beta.example;Beta Logística SA;A58818501;1002;E-1002
Carmen Vidal;+34 655 555 555;;;carmen@example.org;;12345678Z;1003;E-1003
"""

DEMO_CATEGORIES = """\
- {code: billing, name: Billing, keywords: [factura, facturación, invoice], color: "#3366cc"}
- {code: invoice-copy, name: Invoice copy, parent: billing, keywords: [duplicado, copia]}
- {code: payment, name: Payment, parent: billing, keywords: [pago, recibo]}
- {code: contract, name: Contract, keywords: [contrato], color: "#33aa55"}
- {code: new-contract, name: New contract, parent: contract, keywords: [alta]}
- {code: cancellation, name: Cancellation, parent: contract, keywords: [baja, cancel]}
- {code: outage, name: Outage, keywords: [avería, corte, breakdown], color: "#cc3333"}
- {code: other, name: Other, keywords: [otro, otros]}
"""


def load_demo_callers(session: Session, now: datetime) -> None:
    """The demo directory and categories (when there are none yet) and two calls."""
    if count_accounts(session) == 0:
        import_directory(session, DEMO_DIRECTORY, now, "ES")
    if not registry.categories(session):
        import_categories(session, DEMO_CATEGORIES)
    alice = people.by_key(session, "alice")
    if alice is None or registry.by_call_id(session, "demo-1") is not None:
        return
    ana = RegisteredCall(
        call_id="demo-1", rang_at=now - timedelta(hours=2), caller="600112233",
        phone="+34600112233", queue="support", extension=alice.extension, person_id=alice.id,
        identified_by="phone", account_id=None, account_name="Acme Energía SL",
        contact_name="Ana Pérez", accounts_found=2)
    unknown = RegisteredCall(
        call_id="demo-2", rang_at=now - timedelta(hours=1), caller="+34699000111",
        phone="+34699000111", queue="support", extension=alice.extension,
        person_id=alice.id)
    session.add_all([ana, unknown])
    session.flush()
    copy = next(c for c in registry.categories(session) if c.code == "invoice-copy")
    session.add(CallTypification(call_id=ana.id, category_id=copy.id, person_id=alice.id,
                                 comment="sent by email", at=now - timedelta(hours=2)))
