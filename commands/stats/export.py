"""The figures as CSV rows: one row per hour, then the period's total (the CLI's
``stats report --csv`` and the desk's download). The figures stay numbers, so the shared
CSV writer (``store.exports``) writes them as they are.

Two kinds of reader: a program (the CLI's files and tables) gets the figures' own names
as column names, in English whatever the language; a person (the desk's download, opened
in a spreadsheet) asks for ``readable=True`` and gets the header and the total's label
in the current language. In English both are the same.
"""

from __future__ import annotations

from commands.stats.figures import StatsReport
from commands.stats.metrics import HEADLINE, Figures
from store.exports import Cell
from store.i18n import N_, _

# What a person reads for each column name (the English is the column name itself).
READABLE = {
    "hour": N_("hour"),
    "received": N_("received"),
    "offered": N_("offered"),
    "answered": N_("answered"),
    "abandoned": N_("abandoned"),
    "short_abandons": N_("short_abandons"),
    "timeouts": N_("timeouts"),
    "asa_seconds": N_("asa_seconds"),
    "service_level_pct": N_("service_level_pct"),
    "service_level_inclusive_pct": N_("service_level_inclusive_pct"),
    "aht_seconds": N_("aht_seconds"),
    "abandon_rate_pct": N_("abandon_rate_pct"),
    "answered_rate_pct": N_("answered_rate_pct"),
    "total": N_("total"),
}


def csv_rows(report: StatsReport, *, readable: bool = False) -> list[list[Cell]]:
    """The rows, the header first; ``readable``: header and total for a person to read,
    in the current language."""
    def name(column: str) -> str:
        return _(READABLE[column]) if readable else column

    def cells(label: str, f: Figures) -> list[Cell]:
        values = f.to_json()
        figures: list[Cell] = ["" if values[n] is None else values[n] for n in HEADLINE]
        return [label, f.received, *figures]

    rows: list[list[Cell]] = [[name(c) for c in ("hour", "received", *HEADLINE)]]
    rows += [cells(f"{hour:%H:00}", f) for hour, f in report.hourly]
    rows.append(cells(name("total"), report.figures))
    return rows
