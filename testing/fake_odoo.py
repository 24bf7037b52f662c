"""A local Odoo speaking JSON-RPC (``POST /jsonrpc``) the way Odoo answers it.

- ``common.login [db, login, password]`` → the uid, or ``false`` for bad credentials;
- ``object.execute_kw [db, uid, password, model, method, args, kwargs]`` → the method's
  result, or Odoo's error envelope ``{"error": {"code": 200, "message": "Odoo Server
  Error", "data": {"name": "odoo.exceptions.AccessDenied", "message": …}}}``;
- a wrong uid/password pair → AccessDenied; an unknown model → KeyError as Odoo reports it.

Models are in-memory record lists; ``search_read`` understands the domain operators the
project uses (``=``, ``!=``, ``in``, ``<=``, ``>=``, ``<``, ``>``, ``ilike``, ``=ilike``,
and ``|`` / ``&`` prefixes), and ``phone_mobile_search`` the way Odoo's phone mixin does
(separators ignored in ``phone`` and ``mobile``; a value with ``+`` or ``00`` matches the
start of the number in either form, any other value matches anywhere). ``fail_next`` makes the next call answer an HTTP status or an
Odoo error, for the failure tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from testing.local_server import LocalServer, Request, Response

DB, LOGIN, PASSWORD, UID = "helpline", "bot@example.org", "api-key", 7


def odoo_error(name: str, message: str) -> dict[str, Any]:
    return {"code": 200, "message": "Odoo Server Error",
            "data": {"name": name, "debug": "Traceback (most recent call last): …",
                     "message": message, "arguments": [message], "context": {}}}


class FakeOdoo:
    def __init__(self) -> None:
        self.models: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, str, str]] = []  # (service, model or "", method)
        self.fail_next: list[Response | dict[str, Any]] = []
        self.methods: dict[tuple[str, str], Callable[[list[Any], dict[str, Any]], Any]] = {}
        self.server = LocalServer(self.handle)

    @property
    def url(self) -> str:
        return self.server.url

    def __enter__(self) -> FakeOdoo:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    # ----------------------------------------------------------------- protocol

    def handle(self, request: Request) -> Response:
        if request.method != "POST" or request.path != "/jsonrpc":
            return Response(404, "<html>404 Not Found</html>")
        body = request.json()
        rpc_id = body.get("id")
        if self.fail_next:
            failure = self.fail_next.pop(0)
            if isinstance(failure, Response):
                return failure
            return Response(200, {"jsonrpc": "2.0", "id": rpc_id, "error": failure})
        params = body.get("params") or {}
        service, method, args = params.get("service"), params.get("method"), params.get("args")
        try:
            result = self.dispatch(str(service), str(method), list(args or []))
        except _OdooRaise as exc:
            return Response(200, {"jsonrpc": "2.0", "id": rpc_id, "error": exc.error})
        return Response(200, {"jsonrpc": "2.0", "id": rpc_id, "result": result})

    def dispatch(self, service: str, method: str, args: list[Any]) -> Any:
        if service == "common" and method == "login":
            self.calls.append((service, "", method))
            db, login, password = args
            return UID if (db, login, password) == (DB, LOGIN, PASSWORD) else False
        if service == "object" and method == "execute_kw":
            db, uid, password, model, model_method, margs, *rest = args
            kwargs = rest[0] if rest else {}
            self.calls.append((service, model, model_method))
            if (db, uid, password) != (DB, UID, PASSWORD):
                raise _OdooRaise(odoo_error("odoo.exceptions.AccessDenied", "Access Denied"))
            custom = self.methods.get((model, model_method))
            if custom is not None:
                return custom(margs, kwargs)
            if model not in self.models:
                raise _OdooRaise(odoo_error("builtins.KeyError", repr(model)))
            if model_method == "search_read":
                return self.search_read(model, margs[0] if margs else [], kwargs)
            raise _OdooRaise(odoo_error(
                "builtins.AttributeError",
                f"The method '{model_method}' does not exist on the model '{model}'"))
        raise _OdooRaise(odoo_error("builtins.Exception", f"no service {service}.{method}"))

    def search_read(self, model: str, domain: list[Any], kwargs: dict[str, Any]) -> Any:
        rows = [r for r in self.models[model] if _matches(r, domain)]
        for part in reversed(str(kwargs.get("order") or "").split(",")):
            if part.strip():
                name, _, direction = part.strip().partition(" ")
                rows.sort(key=lambda r: (r.get(name) is False, r.get(name) or 0),
                          reverse=direction.lower() == "desc")
        fields = kwargs.get("fields")
        limit = kwargs.get("limit")
        if limit:
            rows = rows[:limit]
        if fields:
            rows = [{"id": r["id"], **{f: r.get(f, False) for f in fields}} for r in rows]
        return rows


class _OdooRaise(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        self.error = error


_PHONE_SEPARATORS = re.compile(r"[\s\\./()\-]")


def _phone_search(row: dict[str, Any], value: str) -> bool:
    value = value.strip()
    if len(value) < 3:
        raise _OdooRaise(odoo_error("odoo.exceptions.UserError",
                                    "Please enter at least 3 characters when searching a "
                                    "Phone/Mobile number."))
    stored = [_PHONE_SEPARATORS.sub("", str(row.get(f) or "")) for f in ("phone", "mobile")]
    if value.startswith(("+", "00")):
        rest = _PHONE_SEPARATORS.sub("", value[1 if value.startswith("+") else 2:])
        return any(s.startswith(("00" + rest, "+" + rest)) for s in stored if s)
    term = _PHONE_SEPARATORS.sub("", value)
    return any(term in s for s in stored if s)


def _term(row: dict[str, Any], term: list[Any]) -> bool:
    name, op, value = term
    if name == "phone_mobile_search":
        return _phone_search(row, str(value))
    field = row.get(name, False)
    if isinstance(field, list) and len(field) == 2 and isinstance(field[0], int):
        field = field[0]  # many2one [id, name]
    if op == "=":
        return bool(field == value)
    if op == "!=":
        return bool(field != value)
    if op == "in":
        return field in value
    if op == "not in":
        return field not in value
    if op in ("ilike", "=ilike"):
        text, pattern = str(field or "").lower(), str(value).lower()
        if op == "ilike":
            return pattern in text
        return text == pattern
    if field is False or field is None:
        return False
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "<=": lambda a, b: bool(a <= b), ">=": lambda a, b: bool(a >= b),
        "<": lambda a, b: bool(a < b), ">": lambda a, b: bool(a > b)}
    return comparisons[op](field, value)


def _matches(row: dict[str, Any], domain: list[Any]) -> bool:
    """Odoo's prefix notation: terms are ANDed unless preceded by '|'."""
    def evaluate(items: list[Any]) -> tuple[bool, list[Any]]:
        head, rest = items[0], items[1:]
        if head in ("|", "&"):
            left, rest = evaluate(rest)
            right, rest = evaluate(rest)
            return (left or right) if head == "|" else (left and right), rest
        if head == "!":
            value, rest = evaluate(rest)
            return not value, rest
        return _term(row, head), rest

    items = list(domain)
    result = True
    while items:
        value, items = evaluate(items)
        result = result and value
    return result
