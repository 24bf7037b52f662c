"""A local Odoo speaking JSON-RPC (``POST /jsonrpc``) the way Odoo answers it.

- ``common.login [db, login, password]`` → the uid, or ``false`` for bad credentials;
- ``common.version []`` → the series' recorded answer;
- ``object.execute_kw [db, uid, password, model, method, args, kwargs]`` → the method's
  result, or Odoo's error envelope ``{"error": {"code": 200, "message": "Odoo Server
  Error", "data": {"name": "odoo.exceptions.AccessDenied", "message": …}}}``;
- a wrong uid/password pair → AccessDenied; an unknown model → KeyError as Odoo reports it.

With a ``Series`` (a recording of one Odoo series: tests/integrations/odoo_recordings) the
fake answers as that series does: ``fields_get`` with the recorded answer (cut to the
fields and attributes asked), ``search_read`` over the recorded records, refusing a field
the series does not have — in ``fields`` or in the domain — with the ``ValueError`` that
series raises, worded as it words it and in the order it checks. A field the recording
never asked about is refused as ``NotRecorded``: the fake does not guess. ``hide`` takes a
field away, as a server without the module that adds it.

Without a series, models are whatever the test loads and no field is checked.

``search_read`` understands the domain operators the project uses (``=``, ``!=``, ``in``,
``not in``, ``<=``, ``>=``, ``<``, ``>``, ``ilike``, ``=ilike`` with ``%`` and ``_``, and
``|`` / ``&`` / ``!`` prefixes), and ``phone_mobile_search`` the way Odoo's phone mixin does
(separators ignored in the phone fields the model has; a value with ``+`` or ``00`` matches
the start of the number in either form, any other value matches anywhere). ``fail_next``
makes the next call answer an HTTP status or an Odoo error, for the failure tests.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testing.local_server import LocalServer, Request, Response

DB, LOGIN, PASSWORD, UID = "helpline", "bot@example.org", "api-key", 7
SHORT_TRACEBACK = "Traceback (most recent call last):\n  (cut)\n"
# The keys of an error's "data" in the order Odoo 16/17 serialise them, then 18 on.
DATA_KEYS_16 = ("name", "debug", "message", "arguments", "context")
DATA_KEYS_18 = ("name", "message", "arguments", "context", "debug")


def odoo_error(name: str, message: str, keys: tuple[str, ...] = DATA_KEYS_18
               ) -> dict[str, Any]:
    """Odoo's JSON-RPC error object for an exception ``name`` (module.Class) raised with
    ``message``; the traceback in ``debug`` is cut to its first and last lines."""
    data = {"name": name, "message": message, "arguments": [message], "context": {},
            "debug": f"{SHORT_TRACEBACK}{name.rsplit('.', 1)[-1]}: {message}\n"}
    return {"code": 200, "message": "Odoo Server Error", "data": {k: data[k] for k in keys}}


@dataclass
class Exchange:
    """One recorded call: the request sent and the response the series answers."""

    about: str
    request: dict[str, Any]
    response: dict[str, Any]

    @property
    def params(self) -> dict[str, Any]:
        params = self.request.get("params")
        return params if isinstance(params, dict) else {}


@dataclass
class Series:
    """One Odoo series as its recording holds it."""

    name: str
    about: str
    exchanges: list[Exchange]
    records: dict[str, list[dict[str, Any]]]
    invalid_read: str  # format: {field!r}, {model!r} — a field in search_read's ``fields``
    invalid_leaf: str  # format: {model}, {field}, {leaf} — a field in the domain
    checks_fields_first: bool  # search_read looks at ``fields`` before the domain
    data_keys: tuple[str, ...]  # the order of an error's "data" keys
    fields: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    asked: dict[str, set[str]] = field(default_factory=dict)
    version: Any = None

    def __post_init__(self) -> None:
        """The field tables and the version answer come from the recorded exchanges."""
        for exchange in self.exchanges:
            params = exchange.params
            if params.get("service") == "common" and params.get("method") == "version":
                self.version = exchange.response["result"]
            args = params.get("args") or []
            if params.get("method") == "execute_kw" and args[4] == "fields_get":
                model, kwargs = args[3], args[6]
                self.fields.setdefault(model, {}).update(exchange.response["result"])
                self.asked.setdefault(model, set()).update(kwargs["allfields"])

    @classmethod
    def load(cls, path: Path) -> Series:
        data = json.loads(path.read_text(encoding="utf-8"))
        wording = data["errors"]
        return cls(
            name=data["series"], about=data["about"],
            exchanges=[Exchange(e["about"], e["request"], e["response"])
                       for e in data["exchanges"]],
            records=data["records"], invalid_read=wording["invalid_field_read"],
            invalid_leaf=wording["invalid_field_domain"],
            checks_fields_first=wording["search_read_checks"] == ["fields", "domain"],
            data_keys=tuple(wording["data_keys"]))


class FakeOdoo:
    def __init__(self, series: Series | None = None) -> None:
        self.series = series
        self.models: dict[str, list[dict[str, Any]]] = copy.deepcopy(
            series.records) if series else {}
        self.hidden: dict[str, set[str]] = {}  # model → fields taken away (``hide``)
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

    def hide(self, model: str, *names: str) -> None:
        """The server lacks these fields from now on (the module adding them is not
        installed): fields_get leaves them out, search_read refuses them."""
        self.hidden.setdefault(model, set()).update(names)

    def fields_get_calls(self, model: str | None = None) -> int:
        return sum(1 for _s, m, method in self.calls
                   if method == "fields_get" and model in (None, m))

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
        if service == "common" and method == "version" and self.series is not None:
            self.calls.append((service, "", method))
            return copy.deepcopy(self.series.version)
        if service == "object" and method == "execute_kw":
            db, uid, password, model, model_method, margs, *rest = args
            kwargs = rest[0] if rest else {}
            self.calls.append((service, model, model_method))
            if (db, uid, password) != (DB, UID, PASSWORD):
                raise self.error("odoo.exceptions.AccessDenied", "Access Denied")
            custom = self.methods.get((model, model_method))
            if custom is not None:
                return custom(margs, kwargs)
            if model not in self.models:
                raise self.error("builtins.KeyError", repr(model))
            if model_method == "search_read":
                return self.search_read(model, margs[0] if margs else [], kwargs)
            if model_method == "fields_get" and self.series is not None:
                return self.fields_get(model, margs, kwargs)
            raise self.error(
                "builtins.AttributeError",
                f"The method '{model_method}' does not exist on the model '{model}'")
        raise self.error("builtins.Exception", f"no service {service}.{method}")

    def error(self, name: str, message: str) -> _OdooRaise:
        keys = self.series.data_keys if self.series else DATA_KEYS_18
        return _OdooRaise(odoo_error(name, message, keys))

    # ----------------------------------------------------------------- models

    def has(self, model: str, name: str) -> bool | None:
        """Whether the series' ``model`` has field ``name``; None without a series (or a
        recording of that model), where nothing is checked."""
        if name == "id":
            return True
        if self.series is None or model not in self.series.fields:
            return None
        if name in self.hidden.get(model, set()):
            return False
        if name in self.series.fields[model]:
            return True
        if name in self.series.asked[model]:
            return False
        raise self.error("testing.fake_odoo.NotRecorded",
                         f"the {self.series.name} recording does not say whether {model} "
                         f"has {name!r}: record its fields_get answer first")

    def fields_get(self, model: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        allfields = kwargs.get("allfields", args[0] if args else None)
        attributes = kwargs.get("attributes", args[1] if len(args) > 1 else None)
        assert self.series is not None
        names = list(allfields) if allfields else list(self.series.fields.get(model, {}))
        answer: dict[str, Any] = {}
        for name in names:
            if self.has(model, name):
                described = self.series.fields[model][name]
                answer[name] = {a: v for a, v in described.items()
                                if not attributes or a in attributes}
        return answer

    def search_read(self, model: str, domain: list[Any], kwargs: dict[str, Any]) -> Any:
        fields = kwargs.get("fields") or []
        checks = [self._check_fields, self._check_domain]
        if self.series is not None and not self.series.checks_fields_first:
            checks.reverse()
        for check in checks:
            check(model, fields, domain)
        phones = self._phone_fields(model) if any(
            isinstance(leaf, list) and leaf[:1] == ["phone_mobile_search"] for leaf in domain) \
            else ()
        rows = [r for r in self.models[model] if _matches(r, domain, phones)]
        for part in reversed(str(kwargs.get("order") or "").split(",")):
            if part.strip():
                name, _, direction = part.strip().partition(" ")
                rows.sort(key=lambda r: (r.get(name) is False, r.get(name) or 0),
                          reverse=direction.lower() == "desc")
        limit = kwargs.get("limit")
        if limit:
            rows = rows[:limit]
        if fields:
            rows = [{"id": r["id"], **{f: r.get(f, False) for f in fields}} for r in rows]
        return copy.deepcopy(rows)

    def _check_fields(self, model: str, fields: list[Any], domain: list[Any]) -> None:
        for name in fields:
            if self.has(model, str(name)) is False:
                assert self.series is not None
                raise self.error("builtins.ValueError", self.series.invalid_read.format(
                    field=name, model=model))

    def _check_domain(self, model: str, fields: list[Any], domain: list[Any]) -> None:
        for leaf in domain:
            if not isinstance(leaf, list) or len(leaf) != 3:
                continue
            name = str(leaf[0]).split(".", 1)[0]
            if self.has(model, name) is False:
                assert self.series is not None
                raise self.error("builtins.ValueError", self.series.invalid_leaf.format(
                    field=name, model=model, leaf=repr(tuple(leaf))))

    def _phone_fields(self, model: str) -> tuple[str, ...]:
        return tuple(f for f in ("phone", "mobile") if self.has(model, f) is not False)


class _OdooRaise(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        self.error = error


_PHONE_SEPARATORS = re.compile(r"[\s\\./()\-]")


def _phone_search(row: dict[str, Any], value: str, phone_fields: tuple[str, ...]) -> bool:
    value = value.strip()
    if len(value) < 3:
        raise _OdooRaise(odoo_error("odoo.exceptions.UserError",
                                    "Please enter at least 3 characters when searching a "
                                    "Phone/Mobile number."))
    stored = [_PHONE_SEPARATORS.sub("", str(row.get(f) or "")) for f in phone_fields]
    if value.startswith(("+", "00")):
        rest = _PHONE_SEPARATORS.sub("", value[1 if value.startswith("+") else 2:])
        return any(s.startswith(("00" + rest, "+" + rest)) for s in stored if s)
    term = _PHONE_SEPARATORS.sub("", value)
    return any(term in s for s in stored if s)


def _like(pattern: str) -> re.Pattern[str]:
    """SQL ILIKE: ``%`` any run, ``_`` any one character, the rest as is, ignoring case."""
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _term(row: dict[str, Any], term: list[Any], phone_fields: tuple[str, ...]) -> bool:
    name, op, value = term
    if name == "phone_mobile_search":
        return _phone_search(row, str(value), phone_fields)
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
    if op == "ilike":
        return str(value).lower() in str(field or "").lower()
    if op == "=ilike":
        return field not in (False, None) and bool(_like(str(value)).fullmatch(str(field)))
    if field is False or field is None:
        return False
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "<=": lambda a, b: bool(a <= b), ">=": lambda a, b: bool(a >= b),
        "<": lambda a, b: bool(a < b), ">": lambda a, b: bool(a > b)}
    return comparisons[op](field, value)


def _matches(row: dict[str, Any], domain: list[Any], phone_fields: tuple[str, ...]) -> bool:
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
        return _term(row, head, phone_fields), rest

    items = list(domain)
    result = True
    while items:
        value, items = evaluate(items)
        result = result and value
    return result
