"""Reading a queue_log file: bytes to numbered lines, and a file's calls for a period.

The size cap and the UTF-8 check are the imports' own (``store.imports.decode``). A file
that is not UTF-8 as a whole is read line by line instead, so one line with a stray byte
is reported (``(line, why)``) and skipped rather than refusing the file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, tzinfo

from integrations.pbx.base import PbxError
from integrations.pbx.queue_log import BadLine, QueueLogEvent, parse_line
from integrations.pbx.queue_log_calls import fold
from store.calls import CallInfo
from store.imports import ImportRejected, decode

log = logging.getLogger(__name__)


def decoded_lines(data: bytes, max_bytes: int, first: int = 1,
                  problems: list[tuple[int, str]] | None = None) -> Iterator[tuple[int, str]]:
    """(line number, text) for each line; undecodable lines go to ``problems``.

    ImportRejected (from ``decode``) when ``data`` is over the size cap or binary."""
    try:
        text = decode(data, max_bytes)
    except ImportRejected as exc:
        if not any(p.field == "encoding" and "not UTF-8" in p.why for p in exc.problems):
            raise
        text = None
    if text is not None:
        yield from enumerate(text.splitlines(), start=first)
        return
    for number, raw in enumerate(data.splitlines(), start=first):
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as err:
            if problems is not None:
                problems.append((number, f"not UTF-8 (byte {err.start + 1} of the line)"))


def read_events(path: str, zone: tzinfo, max_bytes: int,
                problems: list[tuple[int, str]]) -> list[QueueLogEvent]:
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    events: list[QueueLogEvent] = []
    for number, text in decoded_lines(data, max_bytes, problems=problems):
        try:
            event = parse_line(text, number, zone)
        except BadLine as exc:
            problems.append((number, str(exc)))
            continue
        if event is not None:
            events.append(event)
    return events


def calls_in_file(path: str, start: datetime, end: datetime, *, zone: tzinfo,
                  template: str, max_bytes: int) -> list[CallInfo]:
    """The calls of a queue_log file that entered a queue in [start, end)."""
    problems: list[tuple[int, str]] = []
    try:
        events = read_events(path, zone, max_bytes, problems)
    except OSError as exc:
        raise PbxError(f"cannot read the queue_log {path}: {exc.strerror}") from exc
    except ImportRejected as exc:
        raise PbxError(f"the queue_log {path} was not read: "
                       + "; ".join(p.why for p in exc.problems)) from exc
    for number, why in problems[:20]:
        log.warning("queue_log %s line %d skipped: %s", path, number, why)
    folded = fold(events, {}, template=template)
    return sorted((c for c in folded.calls.values() if start <= c.entered_at < end),
                  key=lambda c: (c.entered_at, c.call_id, c.queue))
