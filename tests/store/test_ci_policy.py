"""The suite refuses to run, rather than skip, when PostgreSQL is expected but unreachable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pytest_run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "TEST_DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/commands/test_parse.py"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120)


def test_an_unreachable_postgresql_fails_the_run() -> None:
    run = pytest_run({"TEST_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test"})
    assert run.returncode != 0
    assert "is unreachable" in run.stdout + run.stderr


def test_ci_without_postgresql_fails_the_run() -> None:
    run = pytest_run({"CI": "true"})
    assert run.returncode != 0
    assert "TEST_DATABASE_URL is not set" in run.stdout + run.stderr
