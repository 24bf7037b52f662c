"""An Odoo (OpenERP) JSON-RPC client: ``POST {url}/jsonrpc`` with ``execute_kw``.

One client serves every Odoo-backed interface (HR leaves, the directory of partners):
it logs in once (``common.login`` → uid), calls ``object.execute_kw`` with the uid and
password (or API key), and logs in again once if the server says the session is gone.

Every failure becomes an ``IntegrationError`` phrased for people: Odoo's own error
``data.message`` (an AccessDenied, a missing model, a validation error), the HTTP status,
or ``Unreachable`` for timeouts and refused connections. The client never retries on its
own beyond that one login; the jobs that call it run again on their schedule.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import httpx

from integrations.errors import IntegrationError, Unreachable

SYSTEM = "Odoo"


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
        self.http = client or httpx.Client(timeout=httpx.Timeout(timeout))
        self._ids = itertools.count(1)
        self._uid: int | None = None
        self._lock = threading.Lock()

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
