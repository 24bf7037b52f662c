"""A queue_log file read as a stream: numbered lines, bad ones reported and skipped, a
binary file refused, and a period's calls taken from the events near it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from integrations.pbx.queue_log import MAX_LINE
from integrations.pbx.queue_log_file import calls_in_file, stream_lines
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
