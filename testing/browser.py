"""Real Chromium for the desk's browser tests: Debian's ``chromium`` and ``chromium-driver``
driven by Selenium, headless. Nothing here downloads a browser.

``browser_missing()`` says why the browser cannot run (None when it can); the tests skip
with that reason, except under ``CI=true``, where a missing browser fails the run
(``.ci/run`` installs the packages). ``LiveServer`` serves a Flask app on 127.0.0.1,
port 0, in a thread, as `make run` does.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Self

import pytest
from flask import Flask
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Where the tests also copy their screenshots when set (docs/desk/ holds the committed ones).
SCREENSHOTS_ENV = "DESK_SCREENSHOTS"


def browser_missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} is missing: apt-get install {package} (.ci/run does)"
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_browser() -> None:
    """Skip the calling test (fail it under CI=true) when the browser cannot run."""
    missing = browser_missing()
    if missing is None:
        return
    if in_ci():
        pytest.fail(f"CI=true and the browser is missing: {missing}", pytrace=False)
    pytest.skip(missing)


def chromium() -> webdriver.Chrome:
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,1000", "--lang=en-GB",
                     "--no-first-run", "--disable-extensions", "--disable-sync",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-default-apps", "--hide-scrollbars"):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


def screenshot(driver: webdriver.Chrome, folder: Path, name: str) -> Path:
    """Save the page as ``folder/name.png`` (and in $DESK_SCREENSHOTS when set)."""
    path = folder / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot for {name}"
    extra = os.environ.get(SCREENSHOTS_ENV)
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(extra) / path.name)
    return path


class LiveServer:
    """The app on a real HTTP server at 127.0.0.1, any free port."""

    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
