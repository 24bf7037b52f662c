"""The app imports its heavy libraries only where they are used: a fresh interpreter that
builds the app (and the CLI) holds none of them until something asks for a chart, a plan
or a translation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# matplotlib (and numpy, Pillow under it): the stats chart; OR-Tools: the planner; Babel's
# catalogs: translations.
HEAVY = ("matplotlib", "numpy", "PIL", "ortools", "babel", "pandas")

PROBE = """
import json, sys
from bot.app import create_app
from bot.settings import Settings
import bot.cli.main, bot.gunicorn_conf
settings = Settings.load({"DATABASE_URL": sys.argv[1], "BACKGROUND_JOBS": "false",
                          "SECRET_KEY": "a-key-of-its-own-for-this-probe"})
client = create_app(settings).test_client()
assert client.get("/healthz").status_code == 200
client.get("/readyz")
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2:]))
if sys.argv[-1] == "--chart":
    from commands.stats.chart import render_png
    render_png([], "a day")
    heavy = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2:]))
print(json.dumps(heavy))
"""


def probe(tmp_path: Path, *extra: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, f"sqlite:///{tmp_path / 'm.db'}",
                           *HEAVY, *extra], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert isinstance(found, list)
    return found


def test_the_app_holds_no_heavy_library_until_it_is_used(tmp_path: Path) -> None:
    assert probe(tmp_path) == []
    # The probe sees them once they are used: a chart brings matplotlib in.
    assert "matplotlib" in probe(tmp_path, "--chart")
