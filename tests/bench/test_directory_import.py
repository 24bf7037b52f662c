"""switchboard bench directory-import on a few rows: both runs timed, the figures printed,
the stored directory counted, nothing left behind (the figures are measured by running it,
not here)."""

from __future__ import annotations

import re

from bench import directory_data
from tests.bench.conftest import Bench

RUN = re.compile(r"^  (first import \(all rows new\)|again \(all rows unchanged\)) +40 rows in "
                 r" *[\d.]+ s = +[\d,]+ rows/s \(CPU +[\d.]+ s; peak RSS [\d,]+ MB; load average "
                 r"[\d.]+\)  target >= 20,000: (met|MISSED)$", re.M)


def test_the_benchmark_times_both_runs_and_leaves_nothing_behind(bench: Bench) -> None:
    status, out, err = bench("directory-import", "--rows", "40")
    assert status in (0, 1), err
    assert "switchboard bench directory-import: 40 rows" in out
    assert len(RUN.findall(out)) == (4 if bench.backend == "postgresql" else 2), out
    assert "accounts: 22 created, 0 updated; contacts: 24 created, 0 updated; 0 rows " \
           "unchanged" in out
    assert "accounts: 0 created, 0 updated; contacts: 0 created, 0 updated; 40 rows " \
           "unchanged" in out
    assert "stored: 25 accounts, 27 contacts, 53 phones" in out, out
    bench.assert_nothing_left()


def test_the_generated_rows_are_a_valid_dialer_list() -> None:
    rows = directory_data.rows(0, 10)
    assert rows[0][5] == rows[1][5] and rows[0][6] == "B00000000"  # one company's contacts
    assert rows[3][5] == "" and rows[3][6].endswith("A")  # a private customer with a DNI
    assert directory_data.rows(5, 10) == rows[5:]  # written in pieces, the same rows
