"""The ERP/CRM directory: the interface and its backends (``local``, ``odoo``)."""

from integrations.directory.base import (
    CONTACTS_SHOWN,
    FIELDS,
    LABELS,
    Account,
    Contact,
    Directory,
    TooManyResults,
)

__all__ = ["CONTACTS_SHOWN", "FIELDS", "LABELS", "Account", "Contact", "Directory",
           "TooManyResults"]
