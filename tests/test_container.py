"""The Dockerfile and compose.yaml, read without a Docker daemon: a slim Python, a user
without privileges, the app.yaml entrypoint, a health check, migrations as their own step,
and only variables the settings know."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from bench.server import entrypoint
from bot.cli.main import build_parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {var.env for var in Settings.variables()}
# Variables of the image that are not settings, each for a reason.
NOT_SETTINGS = {
    "PORT": "where gunicorn listens, as on App Engine",
    "MPLCONFIGDIR": "matplotlib's cache folder, writable by the unprivileged user",
    "PYTHONDONTWRITEBYTECODE": "Python's", "PYTHONUNBUFFERED": "Python's",
    "PIP_NO_CACHE_DIR": "pip's", "PIP_DISABLE_PIP_VERSION_CHECK": "pip's",
}


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def env_names(arguments: str) -> set[str]:
    return {word.split("=", 1)[0] for word in shlex.split(arguments)}


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_a_slim_python_run_by_a_user_without_privileges() -> None:
    steps = instructions()
    assert re.fullmatch(r"python:3\.1[1-9]-slim", dict(steps)["FROM"])
    users = [args for word, args in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    last_user = max(i for i, (word, _) in enumerate(steps) if word == "USER")
    assert last_user > max(i for i, (word, _) in enumerate(steps) if word == "RUN")


def test_gunicorn_runs_the_app_yaml_entrypoint_and_no_migration() -> None:
    cmd = yaml.safe_load(dict(instructions())["CMD"])  # the exec form is a JSON array
    assert cmd[:2] == ["sh", "-c"]
    words = shlex.split(cmd[2])
    assert words[0] == "exec" and words[1:] == entrypoint()
    assert "upgrade" not in cmd[2]


def test_the_health_check_asks_healthz() -> None:
    check = dict(instructions())["HEALTHCHECK"]
    assert "/healthz" in check and "--timeout=" in check


def test_every_variable_of_the_image_and_of_compose_is_a_setting() -> None:
    image = set().union(*(env_names(a) for w, a in instructions() if w == "ENV"))
    assert image - SETTINGS <= set(NOT_SETTINGS), image - SETTINGS - set(NOT_SETTINGS)
    assert image & SETTINGS, "the image sets no setting at all?"
    services = compose()["services"]
    for name in ("migrate", "app"):
        environment = services[name]["environment"]
        assert set(environment) <= SETTINGS, (name, set(environment) - SETTINGS)
        assert {"DATABASE_URL", "SECRET_KEY"} <= set(environment)


def test_compose_migrates_first_with_the_cli_on_postgresql() -> None:
    services = compose()["services"]
    assert services["db"]["image"].startswith("postgres:")
    migrate = services["migrate"]["command"]
    assert migrate[0] == "switchboard"
    parsed = build_parser().parse_args(migrate[1:])  # a real subcommand of the CLI
    assert (parsed.command, parsed.db_command) == ("db", "upgrade")
    assert services["app"]["depends_on"]["migrate"]["condition"] == \
        "service_completed_successfully"
    assert "command" not in services["app"]  # the image's CMD: gunicorn
    assert services["app"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")


def test_the_image_leaves_the_tooling_out() -> None:
    copied = [a.split()[0] for w, a in instructions() if w == "COPY"]
    assert not {"bench", "testing", "tests", "docs", "."} & set(copied), copied
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for folder in ("bench", "testing", "tests", "docs", ".venv"):
        assert f"{folder}/" in ignored
