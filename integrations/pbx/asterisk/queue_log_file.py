"""Reading a queue_log file: bytes to numbered lines, and a file's calls for a period.

A queue_log is read as a stream (``stream_lines``), a line at a time, so its size does
not matter: a busy PBX writes tens of megabytes a month. A line that is not UTF-8 is
reported (``(line, why)``) and skipped rather than refusing the file; a file that starts
with NUL bytes (binary, UTF-16) is refused as the other imports refuse it
(``store.imports``).
"""

from __future__ import annotations

import codecs
import logging
import os
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, tzinfo
from typing import BinaryIO

from integrations.pbx.asterisk.queue_log import MAX_LINE, BadLine, QueueLogEvent, parse_line
from integrations.pbx.asterisk.queue_log_calls import AGENT_EVENTS, CALL_EVENTS, fold
from integrations.pbx.base import PbxError
from store.calls.records import CallInfo
from store.imports import ImportRejected, check_text_start

log = logging.getLogger(__name__)


LINE_BYTES = MAX_LINE * 4 + 2  # the longest line in bytes: 4 per character, and CR LF


def stream_lines(handle: BinaryIO, problems: list[tuple[int, str]], first: int = 1, *,
                 complete_only: bool = False) -> Iterator[tuple[int, str]]:
    """(line number, text) for each line of an open binary file, read one line at a time.

    From the file's start: ImportRejected when it starts like a binary or UTF-16 file. A
    line that is not UTF-8, or longer than any queue_log line (``MAX_LINE``), goes to
    ``problems``; a long line is skipped without being held in memory. ``complete_only``
    leaves out a last line with no newline (a live log's line still being written)."""
    if handle.tell() == 0:
        check_text_start(_peek(handle))
    number = first - 1
    while raw := handle.readline(LINE_BYTES):
        number += 1
        if len(raw) == LINE_BYTES and not raw.endswith(b"\n"):
            _skip_line(handle)
            problems.append((number, f"longer than {MAX_LINE} characters"))
            continue
        if complete_only and not raw.endswith(b"\n"):
            return
        if number == first and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            yield number, raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as err:
            problems.append((number, f"not UTF-8 (byte {err.start + 1} of the line)"))


def _skip_line(handle: BinaryIO) -> None:
    """Read on to the end of the current line, a bounded piece at a time."""
    while (rest := handle.readline(LINE_BYTES)) and not rest.endswith(b"\n"):
        pass


def _peek(handle: BinaryIO) -> bytes:
    """The file's first bytes, left unread (a buffered file can look ahead)."""
    peek = getattr(handle, "peek", None)
    return peek(4096)[:4096] if peek is not None else b""


# Calls last minutes, not days: events this far outside a period cannot belong to a call
# that entered in it (its queue stint, wrap-up included).
MARGIN = timedelta(days=1)
PAST_END = 1000  # events in a row after the period's margin that end the reading
# Figures of a period count the calls that entered in it: their events lie within hours
# of it (a wait, a conversation, a wrap-up), where a pull keeps a day to be safe.
CALL_SPAN = timedelta(hours=2)


def events_between(lines: Iterable[tuple[int, str]], start: datetime, end: datetime,
                   zone: tzinfo, problems: list[tuple[int, str]]) -> list[QueueLogEvent]:
    """The events of these lines from a day before ``start`` to a day after ``end``
    (``window_events``), as a list."""
    return list(window_events(lines, start, end, zone, problems))


def window_events(lines: Iterable[tuple[int, str]], start: datetime, end: datetime,
                  zone: tzinfo, problems: list[tuple[int, str]], *,
                  after: timedelta = MARGIN,
                  calls_from: datetime | None = None) -> Iterator[QueueLogEvent]:
    """The events of these lines from a day before ``start`` to ``after`` (a day) after
    ``end``, one at a time; calls' events only from ``calls_from`` on, when given (the
    day before is then read for the agents' pauses and sessions alone). A queue_log is
    in time order: reading stops after ``PAST_END`` events in a row past that (not at
    the first, which may be a PBX clock's slip)."""
    first, last = start - MARGIN, end + after
    past = 0
    # Before ``calls_from`` only the agents' lines are read in full; the others are told
    # apart by their epoch and event name alone (the realtime layout is read in full).
    skip_before = int(calls_from.timestamp()) if calls_from is not None else None
    for number, text in lines:
        if skip_before is not None:
            head = text.split("|", 5)
            if len(head) > 4 and head[0].isascii() and head[0].isdigit():
                if int(head[0]) >= skip_before:
                    skip_before = None  # from here on every line is read in full
                elif head[4].strip().upper() not in AGENT_EVENTS:
                    continue
        try:
            event = parse_line(text, number, zone)
        except BadLine as exc:
            problems.append((number, str(exc)))
            continue
        if event is None:
            continue
        if event.at >= last:
            past += 1
            if past >= PAST_END:
                return
            continue
        past = 0
        if event.at >= first and not (calls_from is not None and event.at < calls_from
                                      and event.event in CALL_EVENTS):
            yield event


def enter_window(handle: BinaryIO, start: datetime, zone: tzinfo) -> int:
    """Check that an open queue_log reads as text (ImportRejected if not) and move it to
    a line written a little before a day before ``start`` (``seek_before``): where
    ``window_events`` should start reading. Returns the offset reached."""
    check_text_start(_peek(handle))
    return seek_before(handle, start - MARGIN, zone)


BISECT_STOP = 1 << 16  # bytes: closer than this, reading beats seeking
PROBE_LINES = 50  # lines read after a probe's offset to find one with a time


def seek_before(handle: BinaryIO, when: datetime, zone: tzinfo) -> int:
    """Move the file to the start of a line written before ``when``, at most about
    ``BISECT_STOP`` bytes before the first one written at or after it (or to the file's
    start), by bisecting byte offsets: a queue_log is written in time order. Returns
    the offset reached."""
    handle.seek(0, os.SEEK_END)
    low, high = 0, handle.tell()
    while high - low > BISECT_STOP:
        middle = (low + high) // 2
        at = _time_after(handle, middle, zone)
        if at is not None and at < when:
            low = middle
        else:
            high = middle
    handle.seek(low)
    if low:
        _skip_line(handle)  # the rest of the line ``low`` falls in: written before ``when``
    return handle.tell()


def _time_after(handle: BinaryIO, offset: int, zone: tzinfo) -> datetime | None:
    """The time of the first readable line starting after ``offset``, if one comes soon."""
    handle.seek(offset)
    if offset:
        _skip_line(handle)
    for _ in range(PROBE_LINES):
        raw = handle.readline(LINE_BYTES)
        if not raw:
            return None
        if not raw.endswith(b"\n"):
            _skip_line(handle)
            continue
        try:
            event = parse_line(raw.decode("utf-8"), 0, zone)
        except (UnicodeDecodeError, BadLine):
            continue
        if event is not None:
            return event.at
    return None


def calls_in_file(path: str, start: datetime, end: datetime, *, zone: tzinfo,
                  template: str) -> list[CallInfo]:
    """The calls of a queue_log file that entered a queue in [start, end): the file is
    entered near a day before ``start`` (``seek_before``) and read as a stream until a
    day after ``end``, so a pull every few minutes does not read a month of log."""
    problems: list[tuple[int, str]] = []
    try:
        with open(path, "rb") as handle:
            offset = enter_window(handle, start, zone)
            events = events_between(stream_lines(handle, problems, complete_only=True),
                                    start, end, zone, problems)
    except OSError as exc:
        raise PbxError(f"cannot read the queue_log {path}: {exc.strerror}") from exc
    except ImportRejected as exc:
        raise PbxError(f"the queue_log {path} was not read: "
                       + "; ".join(p.why for p in exc.problems)) from exc
    for number, why in problems[:20]:
        log.warning("queue_log %s: line %d after byte %d skipped: %s", path, number, offset,
                    why)
    folded = fold(events, {}, template=template)
    return sorted((c for c in folded.calls.values() if start <= c.entered_at < end),
                  key=lambda c: (c.entered_at, c.call_id, c.queue))
