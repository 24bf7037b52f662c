"""A stateful Areavoip ``proxyapi.php`` on a LocalServer, speaking the documented GET protocol.

It keeps the tenant's extensions, the queue's members (in order), paused flags,
device states and per-member counters, and answers the requests Tomatic uses:
``INFO agentsconnected|simplecdrs``, ``AGENT pause|unpause``, ``QUEUE add|clean``,
``MANAGEDB extension list``. Actions answer ``OK``; refusals answer a one-line
``ERROR: …`` text (the vendor's exact refusal wording is not documented, which is
why the backend treats any answer other than ``OK`` as a refusal).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from testing.local_server import Request, Response
from tests.integrations.pbx.fake_http import FakeHttpPbx

PATH = "/pbx/proxyapi.php"


class FakeAreavoip(FakeHttpPbx):
    base_path = PATH

    def __init__(self, api_key: str = "k3y", tenant: str = "tenant1", queue: str = "666") -> None:
        super().__init__()
        self.api_key = api_key
        self.tenant = tenant
        self.queue = queue
        self.extensions: dict[str, str] = {}  # ex_number -> ex_name
        self.members: list[str] = []
        self.paused: set[str] = set()
        self.devices: dict[str, str | None] = {}
        self.calls: dict[str, int] = {}
        self.seconds: dict[str, int] = {}
        self.cdrs: list[dict[str, Any]] = []
        self.cdr_delay = 0.0  # seconds the CDR answer takes (a slow report query)

    # ------------------------------------------------------------------ test setup

    def seed(self, devices: Sequence[str], members: Sequence[str]) -> None:
        for extension in devices:
            self.extensions[extension] = f"Person {extension}"
            self.devices.setdefault(extension, "NOT_INUSE")
        self.members = list(members)

    def actions(self) -> list[tuple[str, ...]]:
        """The state-changing requests received, as (reqtype, action, extension?) tuples."""
        return [
            tuple(v for v in (r.arg("reqtype"), r.arg("action"), r.arg("extension")) if v)
            for r in self.requests
            if r.arg("reqtype") in {"AGENT", "QUEUE"}
        ]

    def _objectid(self, extension: str) -> str:
        return str(1000 + list(self.extensions).index(extension))

    def _update(self, r: Request) -> Response:
        """MANAGEDB object=extension action=update objectid=ID jsondata={"ex_name": …}."""
        by_id = {self._objectid(ext): ext for ext in self.extensions}
        extension = by_id.get(r.arg("objectid") or "")
        if extension is None:
            return Response(200, {"error": f"no extension with objectid {r.arg('objectid')}"})
        try:
            data = json.loads(r.arg("jsondata") or "")
        except ValueError:
            return Response(200, {"error": "jsondata is not JSON"})
        if not isinstance(data, dict) or not isinstance(data.get("ex_name"), str):
            return Response(200, {"error": "jsondata needs ex_name"})
        self.extensions[extension] = data["ex_name"]
        return Response(200, {"result": "OK"})

    # ------------------------------------------------------------------ the wire

    def handle(self, request: Request) -> Response:
        if request.path != PATH:
            return Response(404, "Not Found")
        if request.method != "GET":
            return Response(405, "Method Not Allowed")
        if (scripted := self._scripted(request)) is not None:
            return scripted
        if request.arg("key") != self.api_key or request.arg("tenant") != self.tenant:
            return Response(200, "ERROR: invalid tenant or key")
        with self._lock:
            return self._dispatch(request)

    def _dispatch(self, r: Request) -> Response:
        kind = (r.arg("reqtype"), r.arg("info") or r.arg("action"))
        if kind == ("INFO", "agentsconnected"):
            return self._agents(r)
        if kind == ("INFO", "simplecdrs"):
            return self._cdrs(r)
        if kind == ("MANAGEDB", "list") and r.arg("object") == "extension":
            return Response(200, {self._objectid(ext): {"ex_number": ext, "ex_name": name}
                                  for ext, name in self.extensions.items()})
        if kind == ("MANAGEDB", "update") and r.arg("object") == "extension":
            return self._update(r)
        if r.arg("reqtype") == "AGENT" and r.arg("action") in {"pause", "unpause"}:
            return self._pause(r)
        if kind == ("QUEUE", "add"):
            return self._add(r)
        if kind == ("QUEUE", "clean"):
            if r.arg("id") != self.queue:
                return Response(200, "ERROR: queue not found")
            self.members.clear()
            self.paused.clear()
            return Response(200, "OK")
        return Response(200, "ERROR: unknown request")

    def _agents(self, r: Request) -> Response:
        if r.arg("format") != "json" or r.arg("queue") != self.queue:
            return Response(200, [])
        if not self.members:
            return Response(200, [])  # PHP's json_encode of an empty array
        body: dict[str, dict[str, Any]] = {}
        for extension in self.members:
            entry: dict[str, Any] = {"0": str(self.calls.get(extension, 0)),
                                     "2": self.devices.get(extension),
                                     "3": str(self.seconds.get(extension, 0))}
            if extension in self.paused:
                entry["1"] = "paused"
            body[extension] = entry
        return Response(200, body)

    def _pause(self, r: Request) -> Response:
        missing = [p for p in ("queue", "extension", "reason") if r.arg(p) is None]
        if missing:
            return Response(200, f"ERROR: missing parameter {missing[0]}")
        extension = r.arg("extension") or ""
        if r.arg("queue") != self.queue or extension not in self.members:
            return Response(200, "ERROR: agent not in queue")
        if r.arg("action") == "pause":
            self.paused.add(extension)
        else:
            self.paused.discard(extension)
        return Response(200, "OK")

    def _add(self, r: Request) -> Response:
        extension = r.arg("extension") or ""
        if r.arg("id") != self.queue:
            return Response(200, "ERROR: queue not found")
        if r.arg("type") != "NF":
            return Response(200, "ERROR: invalid agent type")
        if extension not in self.extensions:
            return Response(200, "ERROR: extension not found")
        if extension in self.members:
            return Response(200, "ERROR: agent already in queue")
        self.members.append(extension)
        return Response(200, "OK")

    def _cdrs(self, r: Request) -> Response:
        start, end = r.arg("start") or "", r.arg("end") or ""
        if r.arg("format") != "json" or len(start) != 19 or len(end) != 19:
            return Response(200, "ERROR: invalid dates")
        if self.cdr_delay:
            self.server.release.wait(self.cdr_delay)
        rows = [row for row in self.cdrs if start <= str(row.get("sc_start", "")) <= end]
        # The real answer repeats every value under positional keys "0".."10" too.
        return Response(200, [{**{str(n): v for n, v in enumerate(row.values())}, **row}
                              for row in rows])
