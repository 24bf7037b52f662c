"""The HR interface (leaves and public holidays) and its backends: ``local`` and ``odoo``."""

from integrations.hr.base import Hr, HrError, Leave, PublicHoliday

__all__ = ["Hr", "HrError", "Leave", "PublicHoliday"]
