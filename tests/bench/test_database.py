"""The bench's own PostgreSQL schema is pinned through the URL, keeping other options."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from bench.database import schema_url


def test_the_schema_is_pinned_and_other_options_kept() -> None:
    url = make_url(schema_url("postgresql+psycopg://u:secret@h:5432/db", "bench_1"))
    assert url.query["options"] == "-csearch_path=bench_1" and url.password == "secret"
    both = make_url(schema_url("postgresql+psycopg://u@h/db?options=-cstatement_timeout%3D5000",
                               "bench_2"))
    assert both.query["options"] == "-cstatement_timeout=5000 -csearch_path=bench_2"
