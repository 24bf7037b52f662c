"""The ``odoo`` HR backend: validated ``hr.leave`` records and global time off, over the
shared JSON-RPC client (integrations/odoo.py).

- Leaves: ``hr.leave`` with ``state = validate`` overlapping the period; the employee's
  ``work_email`` (``hr.employee``) names the person; the leave type's name gives the kind.
- Public holidays: ``resource.calendar.leaves`` without a resource (Odoo's "global time
  off"), each local day they cover.

Odoo keeps datetimes as naive UTC strings (``2026-11-23 08:00:00``). Anything malformed
in a record is skipped and logged, never guessed.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from integrations.hr.base import Leave, PublicHoliday, kind_of
from integrations.odoo import OdooClient, OdooError

log = logging.getLogger(__name__)
ODOO_FORMAT = "%Y-%m-%d %H:%M:%S"


class OdooHr:
    name = "odoo"

    def __init__(self, client: OdooClient, tz: tzinfo) -> None:
        self.client = client
        self.tz = tz

    def _bounds(self, start: date, end: date) -> tuple[str, str]:
        begin = datetime.combine(start, time(), self.tz).astimezone(UTC)
        finish = datetime.combine(end + timedelta(days=1), time(), self.tz).astimezone(UTC)
        return begin.strftime(ODOO_FORMAT), finish.strftime(ODOO_FORMAT)

    def leaves(self, start: date, end: date) -> list[Leave]:
        begin, finish = self._bounds(start, end)
        rows = self.client.search_read(
            "hr.leave",
            [["state", "=", "validate"], ["date_from", "<", finish], ["date_to", ">", begin]],
            ["employee_id", "date_from", "date_to", "holiday_status_id"], order="date_from")
        employee_ids = sorted({i for r in rows if (i := _ref_id(r.get("employee_id")))})
        emails: dict[int, str] = {}
        if employee_ids:
            for record in self.client.search_read("hr.employee", [["id", "in", employee_ids]],
                                                  ["work_email"]):
                email = record.get("work_email")
                if isinstance(email, str) and email.strip():
                    emails[int(record["id"])] = email.strip().lower()
        found: list[Leave] = []
        for row in rows:
            employee = _ref_id(row.get("employee_id"))
            starts, ends = _utc(row.get("date_from")), _utc(row.get("date_to"))
            if employee is None or employee not in emails or starts is None or ends is None \
                    or ends <= starts:
                log.info("Odoo hr.leave %s skipped: no work email or unreadable dates",
                         row.get("id"))
                continue
            kind = kind_of(_ref_name(row.get("holiday_status_id")))
            found.append(Leave(emails[employee], starts, ends, kind, f"odoo:{row['id']}"))
        return sorted(found, key=lambda leave: (leave.starts, leave.email))

    def public_holidays(self, start: date, end: date) -> list[PublicHoliday]:
        begin, finish = self._bounds(start, end)
        rows = self.client.search_read(
            "resource.calendar.leaves",
            [["resource_id", "=", False], ["date_from", "<", finish], ["date_to", ">", begin]],
            ["name", "date_from", "date_to"], order="date_from")
        days: dict[date, str] = {}
        for row in rows:
            starts, ends = _utc(row.get("date_from")), _utc(row.get("date_to"))
            if starts is None or ends is None or ends <= starts:
                continue
            day = starts.astimezone(self.tz).date()
            last = (ends - timedelta(seconds=1)).astimezone(self.tz).date()
            while day <= last:
                if start <= day <= end:
                    days.setdefault(day, str(row.get("name") or "Public holiday"))
                day += timedelta(days=1)
        return [PublicHoliday(d, days[d]) for d in sorted(days)]


def _ref_id(value: Any) -> int | None:
    """A many2one ``[id, "name"]`` (or a bare id) → the id."""
    if isinstance(value, list) and value and isinstance(value[0], int):
        return value[0]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _ref_name(value: Any) -> str:
    if isinstance(value, list) and len(value) >= 2:
        return str(value[1])
    return ""


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip()[:19], ODOO_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(value.strip()), time(), UTC)
        except ValueError:
            return None


__all__ = ["OdooError", "OdooHr"]
