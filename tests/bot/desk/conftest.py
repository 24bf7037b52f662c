"""The desk's test client: the app as `make run` builds it (local), the demo team in it,
and signing in with a one-time link."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.app import create_app
from bot.desk.auth import sign_in_link
from commands.core import Services

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def app(demo: Services) -> Flask:
    demo.pbx.set_members(["211", "212", "213", "214"])  # as `make run` starts the sim PBX
    return create_app(demo.settings, demo, local=True)


class Desk:
    """A browser-like client: ``desk.sign_in("carla")`` then ``desk.get(...)``."""

    def __init__(self, app: Flask, services: Services) -> None:
        self.app = app
        self.services = services
        self.client: FlaskClient = app.test_client()
        self.csrf = ""

    def sign_in(self, key: str) -> Desk:
        path = sign_in_link(self.services, key)
        assert path is not None
        answer = self.client.get(path)
        assert answer.status_code == 303, answer.data
        page = self.client.get("/desk/week")
        found = CSRF.search(page.text)
        assert found, page.text[:500]
        self.csrf = found.group(1)
        return self

    def post(self, path: str, data: dict[str, str], *, csrf: bool = True) -> object:
        return self.client.post(path, data={**data, **({"csrf": self.csrf} if csrf else {})})


@pytest.fixture
def desk(app: Flask, demo: Services) -> Desk:
    return Desk(app, demo)


@pytest.fixture
def other(app: Flask, demo: Services) -> Desk:
    return Desk(app, demo)
