"""The one way out for every CSV the project writes: cells a spreadsheet would run are
neutralised.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some, one starting with a tab or a carriage return) as a formula: a line named
``=HYPERLINK("https://evil.example", "Click")`` becomes a link, ``@SUM(1)`` a calculation,
and older ones run commands through DDE. As OWASP's *CSV Injection* advice says, such a
text cell is written with a single quote in front (``'=HYPERLINK(...)``), which every
spreadsheet shows as the text it is. The full-width forms of those characters (``＝``,
``＋``, ``－``, ``＠``), which some spreadsheets read as the same, are treated alike.

Only text is touched. A number the exporter itself writes (a count, a figure, ``-1``) is
passed as a number and written as it is; the neutralising is for text, which is where
what people typed (names of lines, queues, campaigns) ends up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

Cell = str | int | float | None


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Cell) -> Cell:
    """``value`` as a spreadsheet may open it: text that would run gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class CsvWriter:
    """``csv.writer`` whose every text cell goes through ``safe_cell``."""

    def __init__(self, handle: _Writable, *, delimiter: str = ",",
                 lineterminator: str = "\n") -> None:
        self._writer = csv.writer(handle, delimiter=delimiter, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Cell]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Cell]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(rows: Iterable[Iterable[Cell]], *, delimiter: str = ",") -> str:
    """The rows as CSV text (``\\n`` line ends), every text cell neutralised."""
    out = io.StringIO()
    CsvWriter(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()
