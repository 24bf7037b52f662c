"""Without Chromium the browser tests skip with the reason, and fail under CI=true."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing import browser


def test_a_missing_browser_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="is missing: apt-get install chromium "):
        browser.require_browser()


def test_a_missing_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.setattr(browser, "CHROMEDRIVER", tmp_path / "chromedriver")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and the browser is missing"):
        browser.require_browser()
