"""Areavoip (Nubelfon vPBX): every request is a GET to ``proxyapi.php``.

The wire protocol is the one the Tomatic helpline tool uses in production
(``reqtype``/``tenant``/``key`` plus per-request parameters). Its gaps are closed
here: every request has a timeout, a network failure is ``PbxUnreachable``, an
action whose answer is not exactly ``OK`` is a ``PbxError`` carrying the answer,
and pause/resume/add read the queue first so a refusal says exactly why
(``not_member``, ``already_paused``, ``unknown_extension``…).

Removing members: the API has no per-member removal, only ``QUEUE action=clean``
(empty the queue). So removing someone means: clean, add back everyone who
stays, in the order the PBX listed them, and pause again those who were paused.
For a moment the queue is empty; re-paused members get a new pause with no
reason (Areavoip does not report reasons or pause start anyway). ``set_members``
does the minimum: when nobody leaves it only adds, and it checks every new
extension exists before it changes anything.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import httpx

from integrations import tracing
from integrations.pbx.areavoip.cdr import BadRow, parse_simplecdr
from integrations.pbx.base import (
    CallInfo,
    MemberState,
    MemberStatus,
    PbxError,
    PbxUnreachable,
    PbxUser,
)
from integrations.pbx.http import excerpt, unreachable

log = logging.getLogger(__name__)

__all__ = ["NO_REASON", "AreavoipPbx"]

# What Tomatic sends as the pause reason; the vendor ignores the value. We send our
# reason code when there is one, and this proven value when there is none.
NO_REASON = "notimplemented"

# ``status['2']`` carries Asterisk device-state names. RINGINUSE and INVALID are not
# in Tomatic's table; they are mapped like their Irontec equivalents (ringing,
# disconnected) rather than left unknown.
_DEVICE_STATES: dict[str | None, MemberState] = {
    None: MemberState.DISCONNECTED,
    "UNAVAILABLE": MemberState.DISCONNECTED,
    "INVALID": MemberState.DISCONNECTED,
    "NOT_INUSE": MemberState.AVAILABLE,
    "RINGING": MemberState.RINGING,
    "RINGINUSE": MemberState.RINGING,
    "INUSE": MemberState.IN_CALL,
    "BUSY": MemberState.BUSY,
    "ONHOLD": MemberState.ON_HOLD,
}


@dataclass(frozen=True)
class _Agent:
    extension: str
    paused: bool
    device: str | None
    calls: int
    seconds: int


class AreavoipPbx:
    name = "areavoip"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        tenant: str,
        queue: str,
        *,
        timezone: tzinfo,
        timeout: float = 3.0,
        cdr_timeout: float = 10.0,
        helpline_numbers: Sequence[str] = (),
        region: str = "ES",
        client: httpx.Client | None = None,
    ) -> None:
        """``timezone`` is the PBX's local zone (CDR times are local, without offset);
        ``helpline_numbers`` the numbers whose inbound calls are the statistics (none:
        every inbound call of the tenant)."""
        self.base_url = base_url
        self.api_key = api_key
        self.tenant = tenant
        self.queue = queue
        self.timezone = timezone
        self.timeout = timeout
        self.cdr_timeout = max(cdr_timeout, timeout)
        self.helpline_numbers = tuple(n.strip() for n in helpline_numbers if n.strip())
        self.region = region
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(
            timeout=timeout, event_hooks=tracing.HTTPX_HOOKS)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    # ------------------------------------------------------------------ reading

    def queue_status(self) -> list[MemberStatus]:
        agents = sorted(self._agents().values(), key=lambda a: a.extension)
        return [
            MemberStatus(
                extension=a.extension,
                state=_DEVICE_STATES.get(a.device, MemberState.UNKNOWN),
                paused=a.paused,
                calls_taken=a.calls,
                seconds_in_calls=a.seconds,
            )
            for a in agents
        ]

    def originate(self, extension: str, number: str, ref: str) -> bool:
        raise PbxError("the Areavoip proxy API has no call origination; "
                       "dial the number from your phone", "unsupported")

    def call_records(self, start: datetime, end: datetime) -> list[CallInfo]:
        """Inbound calls to the helpline that started in [start, end), from ``INFO
        info=simplecdrs``, asked one local day per request (``areavoip_cdr``).

        A row that cannot be read is left out with a warning naming it, so one odd row
        does not lose a day's report. Rows are per tenant: they are not filtered by queue.
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("call_records needs timezone-aware start and end")
        if end <= start:
            return []
        first = start.astimezone(self.timezone).date()
        last = (end.astimezone(self.timezone) - timedelta(microseconds=1)).date()
        calls: list[CallInfo] = []
        day = first
        while day <= last:
            calls += self._day(day)
            day += timedelta(days=1)
        return sorted((c for c in calls if start <= c.entered_at < end),
                      key=lambda c: (c.entered_at, c.call_id))

    def waiting_calls(self) -> None:
        """The API reports agents, not the callers waiting: not available."""
        return None

    def _day(self, day: date) -> list[CallInfo]:
        payload = self._json("INFO", self.cdr_timeout, info="simplecdrs",
                             start=f"{day:%Y-%m-%d} 00:00:00", end=f"{day:%Y-%m-%d} 23:59:59")
        if payload in (None, "", [], {}):
            return []
        if isinstance(payload, dict):  # a PHP array with non-sequential keys
            payload = list(payload.values())
        if not isinstance(payload, list):
            raise PbxError(f"Areavoip call records are not a list: {excerpt(json.dumps(payload))}")
        calls: list[CallInfo] = []
        for number, row in enumerate(payload, start=1):
            try:
                call = parse_simplecdr(row, self.queue, self.timezone,
                                       helpline=self.helpline_numbers, region=self.region)
            except BadRow as exc:
                log.warning("Areavoip call record #%d of %s left out (%s): %s", number, day,
                            exc, excerpt(json.dumps(row)))
                continue
            if call is not None:
                calls.append(call)
        return calls

    # ------------------------------------------------------------------ changing

    def pause(self, extension: str, reason: str | None = None) -> None:
        if self._member(extension).paused:
            raise PbxError(f"extension {extension} is already paused", "already_paused")
        self._pause(extension, reason)

    def resume(self, extension: str) -> None:
        if not self._member(extension).paused:
            raise PbxError(f"extension {extension} is not paused", "not_paused")
        self._action("AGENT", action="unpause", queue=self.queue, extension=extension,
                     reason=NO_REASON)

    def add_member(self, extension: str) -> None:
        if extension in self._agents():
            raise PbxError(f"extension {extension} is already in queue {self.queue}",
                           "already_member")
        self._require_known([extension])
        self._add(extension)

    def remove_member(self, extension: str) -> None:
        agents = self._agents()
        if extension not in agents:
            raise self._absent(extension)
        stay = [a for a in agents.values() if a.extension != extension]
        self._rebuild([a.extension for a in stay], {a.extension for a in stay if a.paused})

    def set_members(self, extensions: Sequence[str]) -> None:
        wanted = list(dict.fromkeys(extensions))
        agents = self._agents()
        new = [e for e in wanted if e not in agents]
        if new:
            self._require_known(new)
        if all(e in wanted for e in agents):
            for extension in new:
                self._add(extension)
            return
        self._rebuild(wanted, {e for e in wanted if e in agents and agents[e].paused})

    # ------------------------------------------------------------------ helpers

    def _agents(self) -> dict[str, _Agent]:
        payload = self._json("INFO", self.timeout, info="agentsconnected", queue=self.queue)
        if payload in (None, "", []):  # PHP encodes an empty array as []
            return {}
        if not isinstance(payload, dict):
            raise PbxError(f"Areavoip queue status is not an object: "
                           f"{excerpt(json.dumps(payload))}")
        agents: dict[str, _Agent] = {}
        for key, status in payload.items():
            try:
                device = status.get("2")
                agents[str(key)] = _Agent(
                    extension=str(key),
                    paused=status.get("1") == "paused",
                    device=None if device is None else str(device),
                    calls=int(status.get("0") or 0),
                    seconds=int(status.get("3") or 0),
                )
            except (AttributeError, TypeError, ValueError):
                raise PbxError(f"Areavoip queue status for extension {key} could not be read: "
                               f"{excerpt(json.dumps(status))}") from None
        return agents

    def _extensions(self) -> set[str]:
        payload = self._json("MANAGEDB", self.timeout, object="extension", action="list")
        rows = payload.values() if isinstance(payload, dict) else payload or []
        try:
            return {str(row["ex_number"]) for row in rows}
        except (KeyError, TypeError):
            raise PbxError("Areavoip extension list could not be read: "
                           f"{excerpt(json.dumps(payload))}") from None

    def _member(self, extension: str) -> _Agent:
        agent = self._agents().get(extension)
        if agent is None:
            raise self._absent(extension)
        return agent

    def _absent(self, extension: str) -> PbxError:
        if extension in self._extensions():
            return PbxError(f"extension {extension} is not a member of queue {self.queue}",
                            "not_member")
        return PbxError(f"extension {extension} does not exist", "unknown_extension")

    def _require_known(self, extensions: Sequence[str]) -> None:
        known = self._extensions()
        unknown = [e for e in extensions if e not in known]
        if unknown:
            raise PbxError(f"extension{'s' if len(unknown) > 1 else ''} "
                           f"{', '.join(unknown)} {'do' if len(unknown) > 1 else 'does'} "
                           "not exist", "unknown_extension")

    def _add(self, extension: str) -> None:
        self._action("QUEUE", action="add", id=self.queue, extension=extension, type="NF")

    def _pause(self, extension: str, reason: str | None) -> None:
        self._action("AGENT", action="pause", queue=self.queue, extension=extension,
                     reason=reason or NO_REASON)

    def _rebuild(self, order: list[str], paused: set[str]) -> None:
        """Empty the queue, then add ``order`` back and re-pause ``paused``."""
        self._action("QUEUE", action="clean", id=self.queue)
        failures: list[str] = []
        for index, extension in enumerate(order):
            try:
                self._add(extension)
                if extension in paused:
                    self._pause(extension, None)
            except PbxUnreachable as exc:
                raise PbxUnreachable(
                    f"{exc.message} while refilling queue {self.queue} after emptying it; "
                    f"not yet restored: {', '.join(order[index:])}") from exc
            except PbxError as exc:
                failures.append(f"{extension} ({exc.message})")
        if failures:
            raise PbxError(f"queue {self.queue} was emptied to remove members, but these could "
                           f"not be restored: {'; '.join(failures)}")

    # ------------------------------------------------------------------ users (pbx sync)

    can_create = False  # MANAGEDB renames existing extensions; it cannot make new ones

    def users(self) -> list[PbxUser]:
        """``MANAGEDB object=extension action=list``: ``{objectid: {ex_number, ex_name}}``."""
        return [PbxUser(number, name, free=not name)
                for number, (_, name) in sorted(self._extension_rows().items())]

    def stored_as(self, extension: str, name: str, email: str | None) -> PbxUser:
        return PbxUser(extension, name)  # an extension has a name and no email

    def set_user(self, extension: str, name: str, email: str | None) -> None:
        self._rename(extension, name)

    def free_user(self, extension: str) -> None:
        self._rename(extension, "")  # Areavoip's free extension has an empty name

    def _extension_rows(self) -> dict[str, tuple[str, str]]:
        """ex_number → (objectid, ex_name)."""
        data = self._json("MANAGEDB", self.timeout, object="extension", action="list")
        if not isinstance(data, dict):
            raise PbxError(f"Areavoip listed the extensions as {excerpt(json.dumps(data))}, "
                           "not as an object")
        rows: dict[str, tuple[str, str]] = {}
        for objectid, row in data.items():
            if isinstance(row, dict) and row.get("ex_number") is not None:
                rows[str(row["ex_number"])] = (str(objectid), str(row.get("ex_name") or ""))
        return rows

    def _rename(self, extension: str, name: str) -> None:
        found = self._extension_rows().get(extension)
        if found is None:
            raise PbxError(f"extension {extension} does not exist on the PBX (Areavoip cannot "
                           "create extensions)", "unknown_extension")
        answer = self._json("MANAGEDB", self.timeout, object="extension", action="update",
                            objectid=found[0], jsondata=json.dumps({"ex_name": name}))
        if (isinstance(answer, str) and answer.strip().upper().startswith("ERROR")) or (
                isinstance(answer, dict) and "error" in {k.lower() for k in answer}):
            raise PbxError(f"Areavoip refused to rename extension {extension}: "
                           f"{excerpt(json.dumps(answer))}")

    # ------------------------------------------------------------------ wire

    def _get(self, reqtype: str, timeout: float, params: dict[str, str]) -> str:
        query = {"reqtype": reqtype, "tenant": self.tenant, "key": self.api_key, **params}
        try:
            response = self._client.get(self.base_url, params=query, timeout=timeout)
        except httpx.TransportError as exc:
            raise unreachable("Areavoip", exc, timeout) from exc
        if response.status_code != 200:
            raise PbxError(f"Areavoip answered HTTP {response.status_code} to {reqtype}: "
                           f"{excerpt(response.text)}")
        return response.text

    def _json(self, reqtype: str, timeout: float, **params: str) -> Any:
        text = self._get(reqtype, timeout, {**params, "format": "json"})
        try:
            return json.loads(text) if text.strip() else None
        except ValueError:
            raise PbxError(f"Areavoip answered {reqtype} with something that is not JSON: "
                           f"{excerpt(text)}") from None

    def _action(self, reqtype: str, **params: str) -> None:
        text = self._get(reqtype, self.timeout, params).strip()
        if text != "OK":
            raise PbxError(f"Areavoip refused {reqtype} {params.get('action', '')} "
                           f"for queue {self.queue}: {excerpt(text) or '(empty answer)'}")
