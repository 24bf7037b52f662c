"""A queue_log file read as a stream: numbered lines, bad ones reported and skipped, a
binary file refused, and a period's calls taken from the events near it."""

from __future__ import annotations

import codecs
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from integrations.pbx.asterisk.queue_log import MAX_LINE
from integrations.pbx.asterisk.queue_log_calls import fold
from integrations.pbx.asterisk.queue_log_file import (
    MARGIN,
    PAST_END,
    calls_in_file,
    events_between,
    seek_before,
    stream_lines,
    window_events,
)
from store.imports import ImportRejected

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def lines_of(data: bytes) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    problems: list[tuple[int, str]] = []
    handle = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    return list(stream_lines(handle, problems)), problems


def test_lines_are_numbered_and_bad_ones_reported_in_place() -> None:
    data = (b"\xef\xbb\xbf1|a|q|NONE|ENTERQUEUE\r\n"  # BOM and CRLF
            b"2|caf\xe9|q|NONE|ENTERQUEUE\n"  # Latin-1
            + b"x" * (MAX_LINE * 5) + b"\n"  # longer than any queue_log line
            + "4|cafè|q|NONE|ENTERQUEUE\n".encode()
            + b"5|last|q|NONE|ENTERQUEUE")  # no final newline
    lines, problems = lines_of(data)
    assert lines == [(1, "1|a|q|NONE|ENTERQUEUE"), (4, "4|cafè|q|NONE|ENTERQUEUE"),
                     (5, "5|last|q|NONE|ENTERQUEUE")]
    assert problems == [(2, "not UTF-8 (byte 6 of the line)"),
                        (3, f"longer than {MAX_LINE} characters")]


def test_a_bom_before_an_over_long_first_line_keeps_the_numbering() -> None:
    lines, problems = lines_of(codecs.BOM_UTF8 + b"y" * (MAX_LINE * 4) + b"\n2|b|q|N|X\n")
    assert (lines, problems) == ([(2, "2|b|q|N|X")], [(1, f"longer than {MAX_LINE} characters")])


def test_a_nul_deep_in_the_file_is_a_bad_line_not_a_refused_file(tmp_path: Path) -> None:
    start = int(T0.timestamp())
    good = "".join(f"{start + n}|p{n}|support|NONE|ENTERQUEUE||600111222|1\n"
                   for n in range(200))  # more than the 4 KB looked at for a binary file
    log = tmp_path / "queue_log"
    log.write_bytes(good.encode() + f"{start + 300}|a\x00b|support|NONE|ENTERQUEUE||1|1\n"
                    .encode() + f"{start + 301}|c|support|NONE|ENTERQUEUE||1|1\n".encode())
    with open(log, "rb") as handle:
        lines, problems = list(stream_lines(handle, [])), []
        events = events_between(lines, T0, T0 + timedelta(hours=1), UTC, problems)
    assert problems == [(201, "contains a NUL character")] and len(events) == 201
    calls = calls_in_file(str(log), T0, T0 + timedelta(hours=1), zone=UTC,
                          template="PJSIP/{extension}")
    assert len(calls) == 201


def test_a_pull_leaves_out_the_line_the_pbx_is_still_writing(tmp_path: Path) -> None:
    start = int(T0.timestamp())
    log = tmp_path / "queue_log"
    log.write_text(f"{start}|a|support|NONE|ENTERQUEUE||600111222|1\n"
                   f"{start + 9}|a|support|PJSIP/101|CONNECT|9|a.1|3\n"
                   f"{start + 99}|a|support|PJSIP/101|COMPLETEAGENT|9|9")  # …0|1 to come
    (call,) = calls_in_file(str(log), T0, T0 + timedelta(hours=1), zone=UTC,
                            template="PJSIP/{extension}")
    assert (call.outcome, call.talk_seconds, call.ended_at) == ("answered", None, None)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_file_in_another_encoding_is_refused(encoding: str) -> None:
    with pytest.raises(ImportRejected) as caught:
        lines_of("1|a|q|NONE|ENTERQUEUE\n".encode(encoding))
    assert [p.why for p in caught.value.problems] == [
        f"not UTF-8 text: it looks like {encoding.upper()}; save it as UTF-8 and import it "
        "again"]


def test_a_period_takes_its_calls_and_only_the_events_near_it(tmp_path: Path) -> None:
    start = int(T0.timestamp())
    before, after = start - 3 * 86400, start + 3 * 86400
    log = tmp_path / "queue_log"
    log.write_text(
        f"{before}|0.1|support|NONE|ENTERQUEUE||600000000|1\n"
        f"{before + 30}|0.1|support|NONE|ABANDON|1|1|30\n"
        f"{start + 3590}|1.1|support|NONE|ENTERQUEUE||600111222|1\n"
        f"{start + 3600}|1.1|support|PJSIP/101|CONNECT|10|1.2|3\n"
        f"{start + 7200}|1.1|support|PJSIP/101|COMPLETEAGENT|10|3600|1\n"
        f"{after}|2.1|support|NONE|ENTERQUEUE||600333444|1\n")
    calls = calls_in_file(str(log), T0, T0 + timedelta(hours=1), zone=UTC,
                          template="PJSIP/{extension}")
    assert [(c.call_id, c.outcome, c.talk_seconds, c.ended_at) for c in calls] == [
        ("1.1", "answered", 3600.0, T0 + timedelta(hours=2))]


def month_of_log(path: Path, days: int = 12, per_day: int = 1500) -> bytes:
    """A call every 8 seconds from 08:00, each entering, answered and completed."""
    rows = []
    for day in range(days):
        base = int(T0.timestamp()) - 5 * 86400 + day * 86400
        for n in range(per_day):
            t, call = base + n * 8, f"{day}.{n}"
            rows += [f"{t}|{call}|support|NONE|ENTERQUEUE||600{n:06d}|1",
                     f"{t + 4}|{call}|support|PJSIP/101|CONNECT|4|{call}.1|1",
                     f"{t + 60}|{call}|support|PJSIP/101|COMPLETECALLER|4|56|1"]
    data = ("\n".join(rows) + "\n").encode()
    path.write_bytes(data)
    return data


def test_a_period_is_found_by_bisecting_the_file_and_read_until_past_it(
        tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    data = month_of_log(log)
    start = T0.replace(hour=0)
    with open(log, "rb") as handle:
        offset = seek_before(handle, start - MARGIN, UTC)
    before = data[:offset].decode().splitlines()
    assert 0 < offset < len(data) // 2
    assert all(int(line.split("|")[0]) < (start - MARGIN).timestamp() for line in before)
    assert len(data[offset:].split(b"\n")) < 3 * 1500 * 9  # it skipped days, not lines
    problems: list[tuple[int, str]] = []
    with open(log, "rb") as handle:
        everything = events_between(stream_lines(handle, problems), start,
                                     start + timedelta(days=1), UTC, problems)
    calls = calls_in_file(str(log), start, start + timedelta(days=1), zone=UTC,
                          template="PJSIP/{extension}")
    assert len(calls) == 1500 and not problems
    assert calls == sorted((c for c in fold(everything, {}).calls.values()
                            if start <= c.entered_at < start + timedelta(days=1)),
                           key=lambda c: (c.entered_at, c.call_id, c.queue))


def test_reading_stops_only_after_many_events_past_the_period() -> None:
    start = T0
    slip = int((T0 + timedelta(days=30)).timestamp())
    rows = [f"{int(T0.timestamp())}|a|q|NONE|ENTERQUEUE||1|1",
            f"{slip}|b|q|NONE|ENTERQUEUE||1|1",  # the PBX clock slipped a month ahead
            f"{int(T0.timestamp()) + 60}|a|q|NONE|ABANDON|1|1|60"]
    rows += [f"{slip + n}|c{n}|q|NONE|ENTERQUEUE||1|1" for n in range(PAST_END)]
    rows += [f"{int(T0.timestamp()) + 90}|d|q|NONE|ENTERQUEUE||1|1"]  # never read
    events = events_between(enumerate(rows, start=1), start, start + timedelta(hours=1), UTC,
                            [])
    assert [(e.call_id, e.event) for e in events] == [("a", "ENTERQUEUE"), ("a", "ABANDON")]


def test_a_window_for_figures_reads_only_agents_lines_long_before_the_period() -> None:
    """``calls_from``: the day before keeps the pauses, sessions and restarts (what is
    open when the period starts), not the calls (nor their unreadable lines); from
    ``calls_from`` on, everything."""
    e = int(T0.timestamp())
    rows = [f"{e - 20000}|x|q|NONE|ENTERQUEUE||1|1",
            f"{e - 19000}|x|q|NONE|ABANDON|1|1|not a number",  # a bad line, never parsed
            f"{e - 18000}|NONE|q|PJSIP/211|PAUSE|lunch",
            f"{e - 17000}|NONE|NONE|NONE|QUEUESTART|",
            f"{e - 16000}|MANAGER|q|PJSIP/212|ADDMEMBER|",
            "2026-11-23 06:00:00|r|q|NONE|ENTERQUEUE||1|1",  # realtime layout: parsed
            f"{e - 3000}|y|q|NONE|ENTERQUEUE||1|1",
            f"{e + 60}|y|q|NONE|ABANDON|1|1|3060"]
    problems: list[tuple[int, str]] = []
    events = list(window_events(enumerate(rows, start=1), T0, T0 + timedelta(hours=1), UTC,
                                problems, calls_from=T0 - timedelta(hours=1)))
    assert [(e.call_id, e.event) for e in events] == [
        ("NONE", "PAUSE"), ("NONE", "QUEUESTART"), ("MANAGER", "ADDMEMBER"),
        ("y", "ENTERQUEUE"), ("y", "ABANDON")]
    assert problems == []
    everything = list(window_events(enumerate(rows, start=1), T0, T0 + timedelta(hours=1),
                                    UTC, problems))
    assert len(everything) == 8 - 1 and len(problems) == 1
