"""A large dialer CSV read and checked by forked workers, block by block, gives what the
one-process reader gives: the same rows, labels, problems and ignored columns, in order,
with records that span lines, and a file that is not CSV rejected at the same line."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from bench import directory_data
from store.callers import directory_csv
from store.callers.directory_csv import entries
from store.imports import ImportRejected
from store.workers import can_fork
from testing.processes import killed_midway
from tests.conftest import Database

pytestmark = pytest.mark.skipif(not can_fork(), reason="workers are forked processes")

HEADER = "nombre;telefono1;telefono2;email;empresa;nif;notes\n"


def dialer_file(rows: int) -> str:
    lines = [HEADER]
    for n in range(rows):
        if n % 7 == 3:  # a note with a line break in it, quoted: one record, two lines
            lines.append(f'Ana {n};6{n:08d};;;Acme SL;B12345674;"first\nsecond"\n')
        elif n % 13 == 4:  # a quote inside a name is the name's (O"Brien), then a quoted
            # note with quotes and line breaks in it
            lines.append(f'O"Brien {n};6{n:08d};;;;;"said ""hi""\n;\n"" twice"\n')
        elif n % 11 == 5:
            lines.append(f"Bad {n};12;;not-an-email;;;\n")  # two problems
        else:
            lines.append(f"Luis {n};+346{n:08d};;l{n}@example.org;;;\n")
    return "".join(lines)


def read(text: str, workers: int) -> tuple[list[tuple[object, ...]], list[str]]:
    ignored: list[str] = []
    found = [(label, row, tuple(problems)) for label, row, problems in
             entries(io.StringIO(text, newline=""), "ES", ignored, workers=workers)]
    return found, ignored


@pytest.mark.parametrize(("block_lines", "block_chars"), [(1, 10**6), (4, 10**6),
                                                         (50, 10**6), (50, 200)])
def test_workers_read_what_one_process_reads(monkeypatch: pytest.MonkeyPatch,
                                            block_lines: int, block_chars: int) -> None:
    monkeypatch.setattr(directory_csv, "BLOCK_LINES", block_lines)
    monkeypatch.setattr(directory_csv, "BLOCK_CHARS", block_chars)
    text = dialer_file(300)
    alone, ignored_alone = read(text, workers=0)
    together, ignored_together = read(text, workers=2)
    assert together == alone
    assert ignored_together == ignored_alone == ["notes"]
    assert len(alone) == 300
    assert alone[4][0] == "line 7"  # after the record on lines 5-6 (the header is line 1)
    assert [p.field for p in alone[5][2]] == ["phone1", "email"]  # "Bad 5"


def test_a_file_that_is_not_csv_is_rejected_at_the_same_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directory_csv, "BLOCK_LINES", 10)
    text = dialer_file(100) + 'Eve;600111222;;;"unclosed;;\n' + "Zoe;600111223;;;;;\n" * 50
    problems = []
    for workers in (0, 2):
        with pytest.raises(ImportRejected) as caught:
            read(text, workers)
        problems.append(caught.value.problems)
    assert problems[0] == problems[1]
    assert problems[0][0].field == "csv"


def test_a_small_file_or_a_header_alone_needs_no_worker(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directory_csv, "forked_pool", None)  # would fail if called
    assert read(HEADER, workers=2) == ([], ["notes"])
    assert read(dialer_file(3), workers=2) == read(dialer_file(3), workers=0)
    with pytest.raises(ImportRejected):
        read("", workers=2)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux (/proc, pidfd_open)")
def test_the_workers_die_with_an_import_that_is_killed(db: Database, tmp_path: Path) -> None:
    """Killed in the middle (SIGKILL: nothing of it can shut its pool down), ``switchboard
    directory import`` leaves no worker behind holding its memory."""
    path = tmp_path / "dialer.csv"
    directory_data.write(path, 200_000)
    killed_midway(["directory", "import", str(path)],
                  {**os.environ, "DATABASE_URL": db.url, "LOG_LEVEL": "warning"})
