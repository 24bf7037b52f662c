"""Running a benchmark through the command line, and proving it left nothing behind."""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.cli.main import main
from tests.conftest import BACKENDS, PG_URL


@dataclass
class Bench:
    """``switchboard bench …`` in-process, configured for one backend."""

    backend: str
    env: dict[str, str]
    scratch: Path  # the temporary directory the benchmark's files go to
    configured: Path | None = None  # the SQLite file DATABASE_URL names (never created)
    schemas: set[str] = field(default_factory=set)  # the schemas its runs said they used
    # This process's children before the benchmark ran (another test's, such as the
    # planner's fork server, are not the benchmark's to end).
    before: set[int] = field(default_factory=lambda: set(children()))

    def __call__(self, *argv: str, **env: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = main(["bench", *argv], environ={**self.env, **env}, out=out, err=err)
        self.schemas.update(re.findall(r"\(schema (bench_[0-9a-f]+), dropped afterwards\)",
                                       out.getvalue()))
        return status, out.getvalue(), err.getvalue()

    def assert_nothing_left(self) -> None:
        left = list(self.scratch.iterdir())
        assert left == [], f"temporary files left behind: {left}"
        if self.configured is not None:
            assert not self.configured.exists(), "the configured database was touched"
        if self.backend == "postgresql":
            assert self.schemas, "the benchmark did not name its schema"
            left_schemas = self.schemas & existing_schemas()
            assert not left_schemas, f"bench schemas left behind: {left_schemas}"
        running = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children()
                   if pid not in self.before}
        assert not running, f"child processes still running: {running}"


def existing_schemas() -> set[str]:
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(text("SELECT nspname FROM pg_namespace")))
    finally:
        engine.dispose()


def children() -> list[int]:
    """Live (not zombie) processes whose parent is this one (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.append(int(entry))
    return found


@pytest.fixture(params=BACKENDS)
def bench(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Bench]:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    env = {"LOG_LEVEL": "warning", "PBX_TIMEOUT": "0.2"}
    if request.param == "sqlite":
        configured = tmp_path / "configured.db"
        yield Bench("sqlite", {**env, "DATABASE_URL": f"sqlite:///{configured}"}, scratch,
                    configured)
    else:
        yield Bench("postgresql", {**env, "DATABASE_URL": PG_URL}, scratch)
