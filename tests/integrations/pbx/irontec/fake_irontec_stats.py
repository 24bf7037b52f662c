"""An Elasticsearch-shaped local server for Irontec's statistics index (``sharedstats``).

``POST /<index>/_search`` with basic auth answers like Elasticsearch: the documents that
match a ``bool.filter`` of ``term`` and ``range`` (epoch millis) clauses, sorted by
``@calldate``, paged with ``from``/``size``, in ``{"hits": {"total": …, "hits": […]}}``.
Wrong credentials get 401 with Elasticsearch's error body; an unknown index 404. The
query language is the fake's own few lines, not the code under test.
"""

from __future__ import annotations

import base64
from typing import Any

from testing.local_server import LocalServer, Request, Response

USER, PASSWORD = "stats", "s3cret-stats"


class FakeElasticsearch:
    def __init__(self, index: str = "sharedstats", user: str = USER,
                 password: str = PASSWORD) -> None:
        self.index = index
        self.user = user
        self.password = password
        self.documents: list[dict[str, Any]] = []
        self.server = LocalServer(self.handle)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    def __enter__(self) -> FakeElasticsearch:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def handle(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Response(401, {"error": {"type": "security_exception",
                                            "reason": "unable to authenticate user"},
                                  "status": 401})
        if request.method != "POST" or request.path != f"/{self.index}/_search":
            return Response(404, {"error": {"type": "index_not_found_exception"},
                                  "status": 404})
        body = request.json()
        matching = [d for d in self.documents if _matches(d, body.get("query", {}))]
        matching.sort(key=lambda d: d.get("@calldate", 0))
        start, size = int(body.get("from", 0)), int(body.get("size", 10))
        page = matching[start:start + size]
        return Response(200, {"took": 1, "timed_out": False,
                              "hits": {"total": {"value": len(matching), "relation": "eq"},
                                       "hits": [{"_index": self.index, "_id": str(n),
                                                 "_source": d}
                                                for n, d in enumerate(page, start=start)]}})


def _matches(document: dict[str, Any], query: dict[str, Any]) -> bool:
    for clause in query.get("bool", {}).get("filter", []):
        if "term" in clause:
            (field, value), = clause["term"].items()
            if document.get(field) != value:
                return False
        elif "range" in clause:
            (field, bounds), = clause["range"].items()
            value = document.get(field)
            if value is None:
                return False
            if "gte" in bounds and not value >= int(bounds["gte"]):
                return False
            if "lt" in bounds and not value < int(bounds["lt"]):
                return False
        else:
            raise AssertionError(f"the fake does not know the clause {clause}")
    return True
