"""Logging: plain text for a console, or one JSON object per line (LOG_FORMAT=json).

A JSON line holds ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and,
inside a request or a job run, ``request_id``, ``door``, ``command``, ``person`` (the
asker's key), ``outcome`` and ``duration_ms`` (integrations/tracing.py); a traceback
goes into ``exception``.

Whatever the format, every line is scrubbed before it is written: the configured secrets
(each setting whose name says SECRET, TOKEN, PASSWORD or KEY), bearer tokens and Slack
tokens, and anything that looks like a phone number become ``[redacted]``/``[phone]``.
That is the safety net; log calls themselves name ids and counts, never message bodies.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.settings import Settings
from integrations import tracing

# Libraries that log every request or poll at INFO: the log is for what matters.
CHATTY_LIBRARIES = ("apscheduler", "alembic", "werkzeug", "httpx", "httpcore",
                    "slack_bolt", "slack_sdk", "googleapiclient", "urllib3")
# Libraries whose debug lines carry request and response bodies: never below INFO.
BODY_LOGGERS = ("slack_bolt", "slack_sdk", "httpx", "httpcore", "urllib3", "googleapiclient")
SECRET_WORDS = ("SECRET", "TOKEN", "PASSWORD", "API_KEY")

_TOKENS = re.compile(r"(?i)\b(bearer|basic)\s+[^\s,;\"']+|\bxox[a-z]-[A-Za-z0-9-]+"
                     r"|\bxapp-[A-Za-z0-9-]+|\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_.-]+")
# A phone number: an optional +, then 9 to 15 digits, possibly split by spaces or
# parentheses. Dates, times, versions and addresses stay: their digits are joined by - : .
_PHONE = re.compile(r"(?<![\w.:/-])\+?\(?\d[\d ()]{7,}\d(?![\w.:/-])")


class Scrubber:
    """Takes secrets and phone numbers out of a finished log line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    @classmethod
    def from_settings(cls, settings: Settings) -> Scrubber:
        return cls(value for f in fields(settings)
                   if any(word in f.metadata["var"].env for word in SECRET_WORDS)
                   and isinstance(value := getattr(settings, f.name), str))

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        text = _TOKENS.sub(lambda m: (m.group(1) + " [redacted]") if m.group(1)
                           else "[redacted]", text)
        return _PHONE.sub(_phone, text)


def _no_library_bodies(record: logging.LogRecord) -> bool:
    """Debug lines of the libraries that log bodies are dropped, whatever level their own
    loggers were given (Slack Bolt copies one into each app's logger)."""
    return record.levelno >= logging.INFO or not record.name.startswith(BODY_LOGGERS)


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "[phone]" if 9 <= digits <= 15 else match.group(0)


class TextFormatter(logging.Formatter):
    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        line = (f"{self.formatTime(record)} {record.levelname} {record.name}: "
                f"{self.scrub(record.getMessage())}")
        request_id = tracing.fields().get("request_id")
        if request_id:
            line += f" [{request_id}]"
        if record.exc_info:
            line += "\n" + self.scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            line += "\n" + self.scrub(record.exc_text)
        return line


class JsonFormatter(logging.Formatter):
    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self.scrub(record.getMessage()),
        }
        for name in tracing.FIELDS:
            value = tracing.fields().get(name)
            if value is not None:
                entry[name] = self.scrub(str(value)) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = self.scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = self.scrub(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


def configure(settings: Settings, *, console: bool = False, stream: TextIO | None = None,
              force: bool = False) -> logging.Handler | None:
    """The root logger writes to stderr (or ``stream``) in LOG_FORMAT at LOG_LEVEL; like
    ``logging.basicConfig``, nothing changes when the root logger has a handler already
    (a test's capture) unless ``force``. With the console chat in front (``run``) the
    terminal is for people, so only warnings and errors reach it unless LOG_LEVEL=debug."""
    level = settings.log_level
    if console and level == "info":
        level = "warning"
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING if level != "debug" else
                                         logging.DEBUG if name not in BODY_LOGGERS
                                         else logging.INFO)
    root = logging.getLogger()
    if root.handlers and not force:
        return None
    scrub = Scrubber.from_settings(settings)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_no_library_bodies)
    handler.setFormatter(JsonFormatter(scrub) if settings.log_format == "json"
                         else TextFormatter(scrub))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler
