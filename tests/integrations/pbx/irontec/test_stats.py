"""Irontec's call statistics read from an Elasticsearch-shaped local server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.clock import FixedClock
from integrations.pbx import CallInfo, PbxError, PbxUnreachable
from integrations.pbx.irontec.backend import IrontecPbx
from integrations.pbx.irontec.stats import IrontecStats
from tests.conftest import MADRID, T0
from tests.integrations.pbx.irontec.fake_irontec_stats import PASSWORD, USER, FakeElasticsearch

DAY = datetime(2026, 11, 23, tzinfo=MADRID)


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def doc(minute: int, cause: str, uniqueid: str, *, wait: Any = 12, talk: Any = 200,
        kind: str = "entrante", **extra: Any) -> dict[str, Any]:
    at = DAY + timedelta(hours=9, minutes=minute)
    return {"@calldate": ms(at), "call_type": kind, "hangupcause": cause,
            "queuename": "atencio", "wait_time": wait, "agent_time": talk,
            "uniqueid": uniqueid, "src": "600111222", "agent": "SIP/101", **extra}


@pytest.fixture
def es() -> Iterator[FakeElasticsearch]:
    with FakeElasticsearch() as server:
        yield server


@pytest.fixture
def stats(es: FakeElasticsearch) -> Iterator[IrontecStats]:
    client = IrontecStats(es.url, "sharedstats", user=USER, password=PASSWORD, queue="900",
                          timeout=0.5)
    yield client
    client.close()


def test_a_day_of_statistics_becomes_call_records(es: FakeElasticsearch,
                                                 stats: IrontecStats) -> None:
    es.documents = [
        doc(0, "ATENDIDA", "u1"),
        doc(1, "PERDIDA", "u2", wait=40, talk=0),
        doc(2, "COLA_TIMEOUT", "u3", wait=300, talk=0),
        doc(3, "COLA_LLENA", "u4", wait=0, talk=0),
        doc(4, "RINGNOANSWER", "u5", wait=25, talk=0),
        doc(5, "ATENDIDA", "u6", kind="saliente"),  # outbound: not statistics
        doc(6, "PERDIDA", "u7", wait=8, talk=0),
        doc(6, "ATENDIDA", "u7", wait=8, talk=60),  # indexed twice: the answered one wins
        doc(7, "ATENDIDA", "u1"),  # a duplicate of u1
        {**doc(0, "ATENDIDA", "u8"), "@calldate": ms(DAY + timedelta(days=1, hours=1))},
    ]
    calls = stats.calls(DAY, DAY + timedelta(days=1))
    nine = DAY + timedelta(hours=9)
    assert calls[0] == CallInfo(
        call_id="u1", queue="atencio", entered_at=nine.astimezone(UTC), outcome="answered",
        caller="600111222", answered_at=(nine + timedelta(seconds=12)).astimezone(UTC),
        ended_at=(nine + timedelta(seconds=212)).astimezone(UTC), extension="101",
        wait_seconds=12.0, talk_seconds=200.0)
    assert [(c.call_id, c.outcome, c.wait_seconds, c.talk_seconds) for c in calls] == [
        ("u1", "answered", 12.0, 200.0), ("u2", "abandoned", 40.0, None),
        ("u3", "timeout", 300.0, None), ("u4", "full", 0.0, None),
        ("u5", "timeout", 25.0, None), ("u7", "answered", 8.0, 60.0)]
    [search] = es.requests
    assert search.path == "/sharedstats/_search"
    filters = search.json()["query"]["bool"]["filter"]
    assert {"term": {"call_type": "entrante"}} in filters
    assert {"range": {"@calldate": {"gte": ms(DAY), "lt": ms(DAY + timedelta(days=1)),
                                    "format": "epoch_millis"}}} in filters


def test_pages_until_the_last_one(es: FakeElasticsearch, stats: IrontecStats,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("integrations.pbx.irontec.stats.PAGE", 3)
    es.documents = [doc(n, "ATENDIDA", f"u{n:02d}") for n in range(7)]
    assert len(stats.calls(DAY, DAY + timedelta(days=1))) == 7
    assert [r.json()["from"] for r in es.requests] == [0, 3, 6]


def test_unknown_causes_are_timeouts_with_a_warning(es: FakeElasticsearch, stats: IrontecStats,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    es.documents = [doc(0, "DESVIADA", "u1", talk=0)]
    [call] = stats.calls(DAY, DAY + timedelta(days=1))
    assert call.outcome == "timeout" and "unknown hangupcause 'DESVIADA'" in caplog.text


def test_wrong_credentials_and_a_silent_server(es: FakeElasticsearch) -> None:
    wrong = IrontecStats(es.url, "sharedstats", user=USER, password="guess", timeout=0.5)
    with pytest.raises(PbxError, match="refused the credentials") as caught:
        wrong.calls(DAY, DAY + timedelta(days=1))
    assert caught.value.code == "auth"
    wrong.close()
    es.server.handler = lambda request: es.server.hang()
    silent = IrontecStats(es.url, "sharedstats", user=USER, password=PASSWORD, timeout=0.3)
    with pytest.raises(PbxUnreachable, match="Irontec statistics did not answer"):
        silent.calls(DAY, DAY + timedelta(days=1))
    silent.close()


def test_the_irontec_backend_serves_its_call_records_from_the_index(
        es: FakeElasticsearch) -> None:
    es.documents = [doc(0, "ATENDIDA", "u1"), doc(1, "PERDIDA", "u2", talk=0)]
    stats = IrontecStats(es.url, "sharedstats", user=USER, password=PASSWORD, timeout=0.5)
    pbx = IrontecPbx("http://127.0.0.1:1/api", "u", "p", "900", clock=FixedClock(T0),
                     timeout=0.5, stats=stats)
    assert [c.outcome for c in pbx.call_records(DAY, DAY + timedelta(days=1))] == [
        "answered", "abandoned"]
    pbx.close()
