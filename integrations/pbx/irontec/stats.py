"""Irontec's call statistics: the vendor's Elasticsearch index (``sharedstats``).

Irontec's REST API has no call history; its statistics live in an Elasticsearch index,
read here with the ``_search`` API over httpx (``IRONTEC_STATS_URL``, basic auth with
``IRONTEC_STATS_USER``/``IRONTEC_STATS_PASSWORD``). Inbound calls are documents with
``call_type == "entrante"``; ``@calldate`` is epoch milliseconds (UTC); ``hangupcause``
is ATENDIDA (answered), PERDIDA (lost: abandoned), COLA_TIMEOUT (timeout), COLA_LLENA
(queue full) or RINGNOANSWER (nobody answered the ringing: a timeout); ``queuename``,
``wait_time`` and ``agent_time`` (seconds). The same call can be indexed twice: documents
are deduplicated by ``uniqueid``, an answered one winning. The caller and the agent are
read from ``src``/``callerid`` and ``agent``/``agentnum`` when the index has them (an
assumption: the production tool does not read them).

Results are paged with ``from``/``size`` in call order, up to Elasticsearch's default
window of 10,000 documents per query (a helpline day is far below it).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from integrations import tracing
from integrations.pbx.base import PbxError
from integrations.pbx.http import excerpt, unreachable
from store.calls.records import ABANDONED, ANSWERED, FULL, TIMEOUT, CallInfo

log = logging.getLogger(__name__)

CAUSES = {"ATENDIDA": ANSWERED, "PERDIDA": ABANDONED, "COLA_TIMEOUT": TIMEOUT,
          "COLA_LLENA": FULL, "RINGNOANSWER": TIMEOUT}
PAGE = 1000
WINDOW = 10_000
_AGENT = re.compile(r"^\s*(?:[A-Za-z]+/)?([0-9A-Za-z_]{1,32})")


class IrontecStats:
    def __init__(self, url: str, index: str, *, user: str = "", password: str = "",
                 queue: str = "", timeout: float = 10.0,
                 client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.index = index
        self.auth = httpx.BasicAuth(user, password) if user else None
        self.queue = queue  # for documents that name no queue
        self.timeout = timeout
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(
            timeout=timeout, event_hooks=tracing.HTTPX_HOOKS)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def calls(self, start: datetime, end: datetime) -> list[CallInfo]:
        """Inbound calls that entered in [start, end), one per ``uniqueid``."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("calls needs timezone-aware start and end")
        query = {"bool": {"filter": [
            {"term": {"call_type": "entrante"}},
            {"range": {"@calldate": {"gte": _ms(start), "lt": _ms(end),
                                     "format": "epoch_millis"}}}]}}
        found: dict[str, CallInfo] = {}
        offset = 0
        while offset < WINDOW:
            hits = self._search({"query": query, "from": offset, "size": PAGE,
                                 "sort": [{"@calldate": {"order": "asc"}}]})
            for hit in hits:
                call = self._call(hit)
                if call is None:
                    continue
                kept = found.get(call.call_id)
                if kept is None or kept.outcome != ANSWERED:
                    found[call.call_id] = call
            if len(hits) < PAGE:
                break
            offset += PAGE
        return sorted(found.values(), key=lambda c: (c.entered_at, c.call_id))

    def _search(self, body: dict[str, Any]) -> list[Any]:
        url = f"{self.url}/{self.index}/_search"
        try:
            extra: dict[str, Any] = {"auth": self.auth} if self.auth is not None else {}
            response = self._client.post(url, json=body, timeout=self.timeout, **extra)
        except httpx.TransportError as exc:
            raise unreachable("Irontec statistics", exc, self.timeout) from exc
        if response.status_code in (401, 403):
            raise PbxError("Irontec statistics refused the credentials (HTTP "
                           f"{response.status_code}): check IRONTEC_STATS_USER", "auth")
        if response.status_code != 200:
            raise PbxError(f"Irontec statistics answered HTTP {response.status_code}: "
                           f"{excerpt(response.text)}")
        try:
            hits = response.json()["hits"]["hits"]
        except (ValueError, KeyError, TypeError):
            raise PbxError("Irontec statistics answered something that is not an "
                           f"Elasticsearch result: {excerpt(response.text)}") from None
        if not isinstance(hits, list):
            raise PbxError("Irontec statistics: hits.hits is not a list")
        return hits

    def _call(self, hit: Any) -> CallInfo | None:
        source = hit.get("_source") if isinstance(hit, dict) else None
        if not isinstance(source, dict):
            log.warning("Irontec statistics: a hit without _source left out")
            return None
        try:
            call_id = str(source["uniqueid"]).strip()
            entered = datetime.fromtimestamp(float(source["@calldate"]) / 1000, UTC)
            if not call_id:
                raise ValueError("empty uniqueid")
        except (KeyError, TypeError, ValueError, OverflowError, OSError) as exc:
            log.warning("Irontec statistics: document %s left out (%s)", hit.get("_id"), exc)
            return None
        cause = str(source.get("hangupcause") or "").strip().upper()
        outcome = CAUSES.get(cause)
        if outcome is None:
            log.warning("Irontec call %s has an unknown hangupcause %r; counted as a timeout",
                        call_id, cause)
            outcome = TIMEOUT
        wait = _seconds(source.get("wait_time"))
        talk = _seconds(source.get("agent_time"))
        caller = str(source.get("src") or source.get("callerid") or "").strip() or None
        agent = _AGENT.match(str(source.get("agent") or source.get("agentnum") or ""))
        queue = str(source.get("queuename") or self.queue or "").strip()[:64] or "irontec"
        answered = outcome == ANSWERED
        answered_at = entered + timedelta(seconds=wait or 0) if answered else None
        if answered and answered_at is not None and talk is not None:
            ended = answered_at + timedelta(seconds=talk)
        else:
            ended = entered + timedelta(seconds=wait or 0)
        return CallInfo(call_id=call_id[:128], queue=queue, entered_at=entered,
                        outcome=outcome, caller=caller, answered_at=answered_at,
                        ended_at=ended, extension=agent.group(1) if answered and agent else None,
                        wait_seconds=wait, talk_seconds=talk if answered else None)


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _seconds(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds < 86400 * 2 else None
