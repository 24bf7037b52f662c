"""The ``odoo`` HR backend: validated ``hr.leave`` records and global time off, over the
shared JSON-RPC client (integrations/odoo.py).

- Leaves: ``hr.leave`` with ``state = validate`` overlapping the period; the employee's
  ``work_email`` (``hr.employee``) names the person; the leave type's name gives the kind:
  ``holiday_status_id`` (an ``hr.leave.type``) up to Odoo 18, ``work_entry_type_id`` (an
  ``hr.work.entry.type``) in the current series — whichever the server has.
- Public holidays: ``resource.calendar.leaves`` without a resource (Odoo's "global time
  off"), each local day they cover.

Which fields each model has is asked once (``fields_get``, through the client) and only
those are read. A leave type the server does not tell makes the kind ``other``; a field
without which the answer would be wrong (who, when, approved or not) is an error that names
it, so a sync keeps the last known absences instead of replacing them with nothing.
docs/protocols/odoo.md has the fields per series.

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
# The leave's type, by the name each series gives it (the first the server has is read).
KIND_FIELDS = ("holiday_status_id", "work_entry_type_id")
LEAVE_FIELDS = ("employee_id", "date_from", "date_to", "state")
HOLIDAY_FIELDS = ("resource_id", "date_from", "date_to")


class OdooHr:
    name = "odoo"

    def __init__(self, client: OdooClient, tz: tzinfo) -> None:
        self.client = client
        self.tz = tz

    def _bounds(self, start: date, end: date) -> tuple[str, str]:
        begin = datetime.combine(start, time(), self.tz).astimezone(UTC)
        finish = datetime.combine(end + timedelta(days=1), time(), self.tz).astimezone(UTC)
        return begin.strftime(ODOO_FORMAT), finish.strftime(ODOO_FORMAT)

    def _have(self, model: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
              ) -> list[str]:
        """The fields of ``model`` to read: all of ``required`` (else an OdooError naming
        the first missing), and those of ``optional`` the server has."""
        found = self.client.fields(model, [*required, *optional])
        for name in required:
            if name not in found:
                version = self.client.version()
                raise OdooError(f"{model} has no field {name!r} on this server"
                                + (f" (Odoo {version})" if version else "")
                                + ": its records cannot be read")
        return list(found)

    def leaves(self, start: date, end: date) -> list[Leave]:
        begin, finish = self._bounds(start, end)
        read = self._have("hr.leave", LEAVE_FIELDS, KIND_FIELDS)
        kinds = [name for name in KIND_FIELDS if name in read]
        if not kinds:
            log.warning("Odoo hr.leave has none of %s: every leave is of kind 'other'",
                        ", ".join(KIND_FIELDS))
        rows = self.client.search_read(
            "hr.leave",
            [["state", "=", "validate"], ["date_from", "<", finish], ["date_to", ">", begin]],
            ["employee_id", "date_from", "date_to", *kinds], order="date_from")
        employee_ids = sorted({i for r in rows if (i := _ref_id(r.get("employee_id")))})
        emails: dict[int, str] = {}
        if employee_ids:
            self._have("hr.employee", ("work_email",))
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
            label = next((text for name in kinds if (text := _ref_name(row.get(name)))), "")
            kind = kind_of(label)
            found.append(Leave(emails[employee], starts, ends, kind, f"odoo:{row['id']}"))
        return sorted(found, key=lambda leave: (leave.starts, leave.email))

    def public_holidays(self, start: date, end: date) -> list[PublicHoliday]:
        begin, finish = self._bounds(start, end)
        read = self._have("resource.calendar.leaves", HOLIDAY_FIELDS, ("name",))
        rows = self.client.search_read(
            "resource.calendar.leaves",
            [["resource_id", "=", False], ["date_from", "<", finish], ["date_to", ">", begin]],
            [name for name in read if name != "resource_id"], order="date_from")
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
    """A many2one ``[id, "name"]`` → the name; a plain text (a selection, a char) as is."""
    if isinstance(value, list) and len(value) >= 2 and isinstance(value[1], str):
        return value[1].strip()
    if isinstance(value, str):
        return value.strip()
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
