"""Google Chat door (POST /chat/google). Being built: see issue 3."""

from __future__ import annotations

from flask import Flask

from bot.runtime import Runtime


def register(app: Flask, runtime: Runtime) -> None:
    """Add the Google Chat route to the app."""
