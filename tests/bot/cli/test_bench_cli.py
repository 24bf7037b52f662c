"""``switchboard bench …`` hands everything after ``bench`` to the benchmarks' own parser,
and says where they are when they are not installed (a wheel or a deployment)."""

from __future__ import annotations

import builtins
import io
from typing import Any

import pytest

from bot.cli.main import main

ENV = {"DATABASE_URL": "sqlite://", "TIMEZONE": "Europe/Madrid", "BACKGROUND_JOBS": "false"}


def test_bench_help_lists_every_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.cli import BENCHES
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--help"], environ=ENV)
    assert exit_.value.code == 0
    shown = capsys.readouterr().out
    for module in BENCHES:
        assert module.__name__.rsplit(".", 1)[1].replace("_", "-") in shown


def test_other_groups_still_refuse_unknown_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["outbox", "--bogus"], environ=ENV)
    assert exit_.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_without_the_checkout_the_cli_says_where_the_benchmarks_are(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_bench(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "bench" or name.startswith("bench."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "bench.cli", raising=False)
    monkeypatch.delitem(__import__("sys").modules, "bench", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_bench)
    err = io.StringIO()
    status = main(["bench", "doors"], environ=ENV, out=io.StringIO(), err=err)
    assert status == 2
    assert "run them from a checkout" in err.getvalue()
