"""Third-party test data (real queue_log rows with another tool's figures, real AMI
conversations), read where it lies beside the checkout and never copied into it.

``SWITCHBOARD_SHARED_DATA`` names the folder; otherwise it is the nearest ``shared/data``
above the checkout (``../shared/data`` for a checkout in the workspace). A test that needs
it calls ``shared_data(...)``: when the data is absent the test is skipped with the reason,
and under ``CI=true`` it fails instead, so CI never passes without having run it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def data_root() -> Path:
    if override := os.environ.get("SWITCHBOARD_SHARED_DATA"):
        return Path(override)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return here.parents[2] / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """The path of a third-party file or folder; skips (fails under CI=true) if absent."""
    path = data_root().joinpath(*parts)
    if path.exists():
        return path
    reason = (f"third-party test data {path} is absent (set SWITCHBOARD_SHARED_DATA to the "
              "folder holding it)")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must run these tests", pytrace=False)
    pytest.skip(reason)
