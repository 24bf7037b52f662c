"""Callers in E.164: remembered, and worked out by a forked worker for a large import with
the same results as in-process; a worker that fails leaves the work to the parent."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from store.calls import caller_numbers
from store.calls.caller_numbers import NumberWorker, caller_e164, e164_of_caller
from testing.processes import killed_midway
from tests.conftest import Database

RAWS = ["600111222", "+34 600 333 444", "0034600555666", "911 22 33 44", "1003",
        "anonymous", "", "+1 212 555 0100", "6001112"]


@pytest.fixture(autouse=True)
def forget() -> None:
    caller_numbers._known.clear()


def test_numbers_as_the_pbx_reports_them() -> None:
    assert [e164_of_caller(raw, "ES") for raw in RAWS] == [
        "+34600111222", "+34600333444", "+34600555666", "+34911223344", None, None, None,
        "+12125550100", None]


def test_the_worker_works_them_out_in_another_process(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    parent = os.getpid()
    real = caller_numbers.e164_of_caller

    def elsewhere(raw: str | None, region: str) -> str | None:
        assert os.getpid() != parent, "worked out in the parent"
        return real(raw, region)

    monkeypatch.setattr(caller_numbers, "e164_of_caller", elsewhere)
    with NumberWorker("ES", min_new=1) as worker:
        worker.start(RAWS)
        worker.finish()
        assert worker.sent == len(set(RAWS) - {""})
        # what the worker sent back is remembered: the parent does not work them out
        assert [caller_e164(raw, "ES") for raw in RAWS] == [real(raw, "ES") for raw in RAWS]


def test_few_new_numbers_stay_in_process() -> None:
    with NumberWorker("ES", min_new=100) as worker:
        worker.start(RAWS)
        worker.finish()
        assert worker.sent == 0
    assert caller_e164("600111222", "ES") == "+34600111222"


def test_a_failing_worker_leaves_the_numbers_to_the_parent(monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture
                                                            ) -> None:
    parent, real = os.getpid(), caller_numbers.e164_of_caller

    def broken_elsewhere(raw: str | None, region: str) -> str | None:
        if os.getpid() != parent:
            raise RuntimeError("the worker broke")
        return real(raw, region)

    monkeypatch.setattr(caller_numbers, "e164_of_caller", broken_elsewhere)
    with NumberWorker("ES", min_new=1) as worker:
        worker.start(RAWS)
        worker.finish()
        assert worker.sent == 0
        worker.start(RAWS)  # no second try
        worker.finish()
    assert "worked out in-process: the worker failed (the worker broke)" in caplog.text
    assert caller_e164("+34 600 333 444", "ES") == "+34600333444"


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caller_numbers, "REMEMBERED", 10)
    for n in range(25):
        caller_e164(f"6001112{n:02d}", "ES")
    assert len(caller_numbers._known) <= 10
    assert ("600111224", "ES") in caller_numbers._known  # the newest are kept


# --------------------------------------------------------------------------- its parent dies


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux (/proc, pidfd_open)")
def test_the_worker_dies_with_an_import_that_is_killed(db: Database, tmp_path: Path) -> None:
    """A killed ``switchboard calls import-queue-log`` once left its worker behind, blocked
    on a pipe with the parent's memory and an idle database connection (3 kills of 3)."""
    start = int(datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Madrid")).timestamp())
    log = tmp_path / "queue_log"
    with log.open("w") as out:  # 60,000 calls, each from a new number: three batches
        for n in range(60_000):
            out.write(f"{start + n}|k.{n}|support|NONE|ENTERQUEUE||6{n:08d}|1\n"
                      f"{start + n + 30}|k.{n}|support|NONE|ABANDON|1|1|30\n")
    killed_midway(["calls", "import-queue-log", str(log)],
                  {**os.environ, "DATABASE_URL": db.url, "LOG_LEVEL": "warning",
                   "TIMEZONE": "Europe/Madrid"})
