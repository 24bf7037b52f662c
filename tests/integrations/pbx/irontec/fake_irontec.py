"""A stateful Irontec ApiRest on a LocalServer, speaking the documented REST protocol.

``POST /login`` issues bearer tokens (opaque, or JWTs with ``exp`` when
``jwt_lifetime`` is set, judged against the shared clock); every other endpoint
answers 401 without a valid token. It keeps agents, queue members (in order),
paused flags and device states, and answers like the documented API: 200 with
data, 403 for a method the route does not allow, 420 for a validation error,
550 for an agent that does not exist. The wording of 420/550 bodies is not
documented; the fake uses ``{"code": …, "message": …}``.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from integrations.clock import Clock
from testing.local_server import Request, Response
from tests.integrations.pbx.fake_http import FakeHttpPbx

BASE = "/ApiRest/index.php/api"
USER, PASSWORD = "apiuser", "s3cret"
_ROUTES: list[tuple[str, re.Pattern[str]]] = [
    ("POST", re.compile(r"/login")),
    ("GET", re.compile(r"/queue/status/(?P<queue>[^/]+)")),
    ("POST", re.compile(r"/queue/addagent")),
    ("DELETE", re.compile(r"/queue/removeagent/(?P<agent>[^/]+)/(?P<queue>[^/]+)")),
    ("PUT", re.compile(r"/agent/(?P<verb>pause|unpause)/(?P<agent>[^/]+)/(?P<queue>[^/]+)")),
    ("GET", re.compile(r"/agent/list")),
    ("PUT", re.compile(r"/agent/modify")),
]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeIrontec(FakeHttpPbx):
    base_path = BASE

    def __init__(self, clock: Clock, user: str = USER, password: str = PASSWORD,
                 queue: str = "900") -> None:
        super().__init__()
        self.clock = clock
        self.user = user
        self.password = password
        self.queue = queue
        self.jwt_lifetime: timedelta | None = None
        self.tokens: set[str] = set()
        self.logins = 0
        self.agents: dict[str, str] = {}  # extension -> name
        self.emails: dict[str, str] = {}  # extension -> email (default ext@example.org)
        self.members: list[str] = []
        self.paused: set[str] = set()
        self.devices: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.lastcall: dict[str, int] = {}  # seconds since the member's last call
        self.incall: dict[str, int] = {}  # seconds the member has spent in calls
        self._serial = itertools.count(1)

    # ------------------------------------------------------------------ test setup

    def seed(self, devices: Sequence[str], members: Sequence[str]) -> None:
        for extension in devices:
            self.agents[extension] = f"Person {extension}"
            self.devices.setdefault(extension, 1)
        self.members = list(members)

    def expire_tokens(self) -> None:
        """Server-side expiry: every token issued so far is refused from now on."""
        self.tokens.clear()

    def calls_to(self, method: str, suffix: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path == BASE + suffix]

    # ------------------------------------------------------------------ the wire

    def handle(self, request: Request) -> Response:
        if not request.path.startswith(BASE + "/"):
            return Response(404, {"message": "Not found"})
        path = request.path[len(BASE):]
        matches = [(m, rx.fullmatch(path)) for m, rx in _ROUTES if rx.fullmatch(path)]
        if not matches:
            return Response(404, {"message": "Not found"})
        route = next(((m, found) for m, found in matches if m == request.method), None)
        if route is None:
            return Response(403, {"code": 403, "message": "Method not allowed"})
        if (scripted := self._scripted(request)) is not None:
            return scripted
        with self._lock:
            if path == "/login":
                return self._login(request)
            if not self._authorized(request):
                return Response(401, {"code": 401, "message": "Invalid or expired token"})
            found = route[1]
            assert found is not None
            return self._dispatch(request, path, found.groupdict())

    def _login(self, r: Request) -> Response:
        body = r.json()
        if not isinstance(body, dict) or (body.get("username"), body.get("password")) != (
                self.user, self.password):
            return Response(401, {"code": 401, "message": "Invalid credentials"})
        self.logins += 1
        serial = next(self._serial)
        if self.jwt_lifetime is None:
            token = f"opaque-token-{serial}"
        else:
            exp = int((self.clock.now() + self.jwt_lifetime).timestamp())
            token = ".".join([_b64(b'{"alg":"HS256","typ":"JWT"}'),
                              _b64(json.dumps({"sub": self.user, "exp": exp,
                                               "jti": serial}).encode()),
                              _b64(b"signature")])
        self.tokens.add(token)
        return Response(200, {"token": token})

    def _authorized(self, r: Request) -> bool:
        scheme, _, token = r.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.tokens:
            return False
        if self.jwt_lifetime is not None:
            claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
            if self.clock.now().timestamp() >= claims["exp"]:
                return False
        return True

    def _dispatch(self, r: Request, path: str, args: dict[str, str]) -> Response:
        if path == "/agent/list":
            return Response(200, [{"agent": ext, "name": name,
                                   "email": self.emails.get(ext, f"{ext}@example.org")}
                                  for ext, name in self.agents.items()])
        if path == "/agent/modify":
            return self._modify(r.json())
        if path.startswith("/queue/status/"):
            if args["queue"] != self.queue:
                return Response(420, {"code": 420, "message": f"Queue {args['queue']} not found"})
            return Response(200, [self._status(ext) for ext in self.members])
        if path == "/queue/addagent":
            return self._add(r.json())
        agent, queue = args["agent"], args["queue"]
        if agent not in self.agents:
            return Response(550, {"code": 550, "message": f"Agent {agent} does not exist"})
        if queue != self.queue or agent not in self.members:
            return _invalid(f"Agent {agent} is not a member of queue {queue}")
        if r.method == "DELETE":
            self.members.remove(agent)
            self.paused.discard(agent)
        elif args["verb"] == "pause":
            if agent in self.paused:
                return _invalid(f"Agent {agent} is already paused in queue {queue}")
            self.paused.add(agent)
        else:
            if agent not in self.paused:
                return _invalid(f"Agent {agent} is not paused in queue {queue}")
            self.paused.discard(agent)
        return Response(200, {"result": "ok"})

    def _modify(self, body: Any) -> Response:
        """PUT /agent/modify {agent, name, email}: names must be ASCII, email required."""
        if not isinstance(body, dict):
            return _invalid("a JSON object is required")
        for field in ("agent", "name", "email"):
            if not isinstance(body.get(field), str):
                return _invalid(f"field {field} is required")
        agent = body["agent"]
        if agent not in self.agents:
            return Response(550, {"code": 550, "message": f"Agent {agent} does not exist"})
        if not body["name"].isascii() or "@" not in body["email"]:
            return _invalid("name must be ASCII and email an address")
        self.agents[agent], self.emails[agent] = body["name"], body["email"]
        return Response(200, {"result": "ok"})

    def _add(self, body: Any) -> Response:
        if not isinstance(body, dict):
            return _invalid("a JSON object is required")
        for field in ("agent", "queue", "priority", "id_dialplan_partition"):
            if field not in body:
                return _invalid(f"field {field} is required")
        agent, queue = str(body["agent"]), str(body["queue"])
        if agent not in self.agents:
            return Response(550, {"code": 550, "message": f"Agent {agent} does not exist"})
        if queue != self.queue:
            return _invalid(f"Queue {queue} not found")
        if agent in self.members:
            return _invalid(f"Agent {agent} is already a member of queue {queue}")
        self.members.append(agent)
        return Response(200, {"result": "ok"})

    def _status(self, extension: str) -> dict[str, Any]:
        return {"agent": extension,
                "status": {"paused": 1 if extension in self.paused else 0,
                           "status": self.devices.get(extension, 5),
                           "callstaken": self.calls.get(extension, 0),
                           "incall": self.incall.get(extension, 0),
                           "lastcall": self.lastcall.get(extension, 0)}}


def _invalid(message: str) -> Response:
    return Response(420, {"code": 420, "message": message})
