"""``switchboard bench stats`` runs end to end on a small scale and cleans up after itself
(the figures themselves are measured by running it, not here)."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from bot.cli.main import main
from store.calls.records import CallRecord
from store.db import make_sessionmaker, transaction
from store.stats.rollups import CallStatsHour
from store.team.people import Person
from tests.conftest import Database


def test_the_benchmark_prints_its_figures_and_leaves_nothing_behind(db: Database) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(["bench", "stats", "--calls", "600", "--days", "3", "--rounds", "2",
                   "--lines", "500"], environ={"DATABASE_URL": db.url, "LOG_LEVEL": "warning"},
                  out=out, err=err)
    text = out.getvalue()
    assert status in (0, 1), err.getvalue()
    for line in ("save_calls (records + hourly rollups)", "/stats day", "/stats week",
                 "/stats month", "target: month median < 100 ms", "queue_log import",
                 "target: >= 50,000 lines/s", "the month's card:"):
        assert line in text
    assert "Calls in queue bench" in text
    with transaction(make_sessionmaker(db.engine)) as session:
        assert session.scalar(select(func.count()).select_from(CallRecord)) == 0
        assert session.scalar(select(func.count()).select_from(CallStatsHour)) == 0
        assert session.scalar(select(func.count()).select_from(Person)) == 0
