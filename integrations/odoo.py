"""An Odoo (OpenERP) JSON-RPC client: ``POST {url}/jsonrpc`` with ``execute_kw``.

One client serves every Odoo-backed interface (HR leaves, the directory of partners):
it logs in once (``common.login`` → uid), calls ``object.execute_kw`` with the uid and
password (or API key), and logs in again once if the server says the session is gone.

Models differ between Odoo series (``res.partner.mobile`` is gone from the current series,
``hr.leave.holiday_status_id`` became ``work_entry_type_id``: docs/protocols/odoo.md), so
the backends never name a field the server may lack: ``fields(model, names)`` asks
``fields_get`` which of the names the server has (and lets this user read), once per model
for the client's lifetime, and the backends read and search only those.

Every failure becomes an ``IntegrationError`` phrased for people: Odoo's own error
``data.message`` (an AccessDenied, a missing model, a validation error), the HTTP status,
or ``Unreachable`` for timeouts and refused connections. The client never retries on its
own beyond that one login; the jobs that call it run again on their schedule.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from integrations import tracing
from integrations.errors import IntegrationError, Unreachable

log = logging.getLogger(__name__)
SYSTEM = "Odoo"
# What fields_get is asked about each field: all the backends need to tell a field's kind.
FIELD_ATTRIBUTES = ("type", "relation")


@dataclass(frozen=True)
class OdooField:
    """One field as ``fields_get`` describes it."""

    name: str
    type: str  # Odoo's field type: char, many2one, selection, datetime, ...
    relation: str = ""  # the model a relational field points to


class OdooError(IntegrationError):
    """Odoo answered with a JSON-RPC error; ``name`` is its exception class."""

    def __init__(self, message: str, name: str = "") -> None:
        super().__init__(SYSTEM, message)
        self.name = name


class OdooClient:
    def __init__(self, url: str, database: str, user: str, password: str, *,
                 timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self.endpoint = url.rstrip("/") + "/jsonrpc"
        self.database = database
        self.user = user
        self.password = password
        self.http = client or httpx.Client(timeout=httpx.Timeout(timeout),
                                           event_hooks=tracing.HTTPX_HOOKS)
        self._ids = itertools.count(1)
        self._uid: int | None = None
        self._lock = threading.Lock()
        self._fields: dict[str, dict[str, OdooField]] = {}  # model → the fields it has
        self._asked: dict[str, frozenset[str]] = {}  # model → the names fields_get was asked
        self._fields_lock = threading.Lock()
        self._version: str | None = None

    # ----------------------------------------------------------------- public

    def execute_kw(self, model: str, method: str, args: list[Any],
                   kwargs: dict[str, Any] | None = None) -> Any:
        """``model.method(*args, **kwargs)`` as the configured user."""
        uid = self.uid()
        try:
            return self._object_call(uid, model, method, args, kwargs)
        except OdooError as exc:
            if not _session_gone(exc):
                raise
        with self._lock:
            self._uid = None
        return self._object_call(self.uid(), model, method, args, kwargs)

    def search_read(self, model: str, domain: list[Any], fields: list[str], *,
                    limit: int | None = None, order: str | None = None) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"fields": fields}
        if limit is not None:
            kwargs["limit"] = limit
        if order:
            kwargs["order"] = order
        rows = self.execute_kw(model, "search_read", [domain], kwargs)
        if not isinstance(rows, list):
            raise OdooError(f"{model}.search_read answered {type(rows).__name__}, not a list")
        return [row for row in rows if isinstance(row, dict)]

    def fields(self, model: str, names: Iterable[str]) -> dict[str, OdooField]:
        """Which of ``names`` ``model`` has on this server, by name (in the order given).

        ``fields_get`` is asked once per model for the client's lifetime: with every name a
        backend may use on that model, and only the attributes in ``FIELD_ATTRIBUTES``. A
        field the server lacks, or hides from this user (a field restricted to groups the
        user is not in), is left out; so is one ``fields_get`` describes unreadably. Asking
        again for names not asked before asks the server again, for all of them.
        """
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return {}
        with self._fields_lock:
            asked = self._asked.get(model, frozenset())
            if not asked.issuperset(wanted):
                ask = sorted(asked.union(wanted))
                answer = self.execute_kw(model, "fields_get", [],
                                         {"allfields": ask, "attributes": list(FIELD_ATTRIBUTES)})
                self._fields[model] = _described(model, answer, ask)
                self._asked[model] = frozenset(ask)
            known = self._fields[model]
        return {name: known[name] for name in wanted if name in known}

    def version(self) -> str:
        """The server's version as ``common.version`` states it (``17.0``, ``saas~18.3``),
        asked once; ``""`` when the answer does not say."""
        if self._version is None:
            answer = self.call("common", "version", [])
            found = answer.get("server_version") if isinstance(answer, dict) else None
            self._version = found if isinstance(found, str) else ""
        return self._version

    def uid(self) -> int:
        with self._lock:
            if self._uid is None:
                uid = self.call("common", "login", [self.database, self.user, self.password])
                if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
                    raise OdooError(f"login refused for {self.user!r} on database "
                                    f"{self.database!r}", "AccessDenied")
                self._uid = uid
            return self._uid

    def call(self, service: str, method: str, args: list[Any]) -> Any:
        """One JSON-RPC ``call``: the result, or OdooError / Unreachable."""
        request_id = next(self._ids)
        payload = {"jsonrpc": "2.0", "method": "call", "id": request_id,
                   "params": {"service": service, "method": method, "args": args}}
        try:
            response = self.http.post(self.endpoint, json=payload)
        except httpx.TimeoutException:
            raise Unreachable(SYSTEM, "did not answer in time") from None
        except httpx.HTTPError as exc:
            raise Unreachable(SYSTEM, f"cannot be reached ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise OdooError(f"answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise OdooError("answered something that is not JSON") from None
        if not isinstance(body, dict):
            raise OdooError("answered something that is not a JSON-RPC response")
        error = body.get("error")
        if error is not None:
            raise _error(error)
        if "result" not in body:
            raise OdooError("answered without a result")
        return body["result"]

    def close(self) -> None:
        self.http.close()

    # ----------------------------------------------------------------- private

    def _object_call(self, uid: int, model: str, method: str, args: list[Any],
                     kwargs: dict[str, Any] | None) -> Any:
        return self.call("object", "execute_kw",
                         [self.database, uid, self.password, model, method, args, kwargs or {}])


def _described(model: str, answer: Any, asked: list[str]) -> dict[str, OdooField]:
    if not isinstance(answer, dict):
        raise OdooError(f"{model}.fields_get answered {type(answer).__name__}, not an object")
    found: dict[str, OdooField] = {}
    for name in asked:
        description = answer.get(name)
        if description is None:
            continue
        kind = description.get("type") if isinstance(description, dict) else None
        if not isinstance(kind, str) or not kind:
            log.warning("Odoo %s.%s: fields_get gave no type (%r); the field is not used",
                        model, name, description)
            continue
        relation = description.get("relation")
        found[name] = OdooField(name, kind, relation if isinstance(relation, str) else "")
    missing = [name for name in asked if name not in found]
    if missing:
        log.info("Odoo %s has no readable %s: left out", model, ", ".join(missing))
    return found


def _error(error: Any) -> OdooError:
    if not isinstance(error, dict):
        return OdooError("answered with an unreadable error")
    data = error.get("data")
    if not isinstance(data, dict):
        data = {}
    name = str(data.get("name") or "")
    message = str(data.get("message") or error.get("message") or "an error")
    short = name.rsplit(".", 1)[-1]
    return OdooError(f"{short}: {message}" if short else message, name)


def _session_gone(exc: OdooError) -> bool:
    return exc.name.endswith(("SessionExpiredException", "AccessDenied"))
